// An exclusive lock that dies with its holder, with no child process: a unix socket bound to an
// abstract address derived from the lock's path and a key (`\0ovs-plugin-lock/<sha256>`).
// Abstract addresses have no permissions: anyone in the namespace may bind one, so a name
// derived from the path alone could be squatted by any local user, blocking every nic command.
// The key is random, kept in `<path>.key`, mode 0600 and ours: who cannot read it cannot find
// the address (a key file of another user, or readable by others, is refused: ESTATE).
// Binding is exclusive (EADDRINUSE for everyone else) and the kernel releases the address when
// the socket closes, also when its process is SIGKILLed: no stale lock files, no pid guessing.
// Abstract addresses are scoped to the network namespace, which is "the host" of the plugin by
// definition: every process sharing a state file must run in one namespace (state.ts refuses a
// state file written from another). Waiters of one process queue in-process (FIFO); other
// processes poll the bind with a short backoff.
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { sleep } from '../../lib/backoff.ts';
import { isAddressInUse, isFileExists, isMissingPath } from '../../lib/errors.ts';
import { lockTimeout, stateError } from './errors.ts';

/** A held lock; release() is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
}

const addresses = new Map<string, string>();
/** The tail of each lock's in-process queue (the promise the next waiter awaits). */
const queues = new Map<string, Promise<void>>();

/**
 * The lock's key: read from `<path>.key`, made there (0600, published whole by link(2)) if missing; a failed write
 * leaves no temporary file.
 */
async function lockKey(path: string): Promise<string> {
  const file = `${path}.key`;
  for (;;) {
    try {
      const st = await lstat(file); // a symlink planted there is not our key
      if (!st.isFile() || st.uid !== process.getuid!() || (st.mode & 0o077) !== 0)
        throw stateError(
          `${file} is not ours alone (uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}): ` +
            "the lock's key must be readable by its owner only",
          { path: file },
        );
      const key = (await readFile(file, 'utf8')).trim();
      if (!/^[0-9a-f]{64}$/.test(key)) throw stateError(`${file} holds no lock key`, { path: file });
      return key;
    } catch (err) {
      if (!isMissingPath(err)) throw err;
    }
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      await link(tmp, file); // EEXIST: another process made it first; read theirs
    } catch (err) {
      if (!isFileExists(err)) throw err;
    } finally {
      await unlink(tmp).catch((err: unknown) => {
        if (!isMissingPath(err)) throw err;
      }); // ENOENT: never written
    }
  }
}

/** The abstract address of the lock `path` (directory resolved through symlinks, so one file has one address). */
export async function lockAddress(path: string): Promise<string> {
  const abs = resolve(path);
  let a = addresses.get(abs);
  if (a) return a;
  await mkdir(dirname(abs), { recursive: true });
  const real = join(await realpath(dirname(abs)), basename(abs));
  a = `\0ovs-plugin-lock/${createHash('sha256')
    .update(real)
    .update(await lockKey(real))
    .digest('hex')}`;
  addresses.set(abs, a);
  return a;
}

/** Binds `address`; resolves with the server, or undefined when another socket holds it. */
function tryBind(address: string): Promise<Server | undefined> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', (e) => (isAddressInUse(e) ? res(undefined) : rej(e)));
    s.listen({ path: address, exclusive: true }, () => {
      s.unref();
      res(s);
    });
  });
}

/** Takes the lock on `path` (no file is created), waiting up to `timeoutMs`; ELOCKED after that. */
export async function lockFile(path: string, timeoutMs = 30_000): Promise<HeldLock> {
  const address = await lockAddress(path);
  const deadline = Date.now() + timeoutMs;
  // In-process FIFO: only the head of the queue polls the socket.
  const before = queues.get(address) ?? Promise.resolve();
  let leave!: () => void;
  const mine = new Promise<void>((r) => {
    leave = r;
  });
  const tail = before.then(() => mine);
  queues.set(address, tail);
  const cleanup = (): void => {
    leave();
    if (queues.get(address) === tail) queues.delete(address);
  };
  let timer: NodeJS.Timeout | undefined;
  const inLine = await Promise.race([
    before.then(() => true),
    new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!inLine) {
    void before.then(cleanup);
    throw lockTimeout(path, timeoutMs);
  }
  let server: Server | undefined;
  try {
    for (let wait = 1; !(server = await tryBind(address)); wait = Math.min(wait * 2, 16)) {
      if (Date.now() + wait > deadline) throw lockTimeout(path, timeoutMs);
      await sleep(wait);
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  const held = server;
  let open = true;
  return {
    release: async () => {
      if (!open) return;
      open = false;
      await new Promise<void>((r) => held.close(() => r()));
      cleanup();
    },
  };
}

/** Runs `fn` holding the lock on `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs?: number): Promise<T> {
  const l = await lockFile(path, timeoutMs);
  try {
    return await fn();
  } finally {
    await l.release();
  }
}

// Where the daemon listens. The path is checked before anything binds: a unix socket path has
// room for 107 bytes (sun_path is 108 with the NUL; a longer one would be truncated silently),
// its directory must exist, and nobody but us (and root) may be able to replace the socket:
// the directory is owned by us or root and is not writable by group or others unless it has
// the sticky bit (then only an entry's owner can remove or rename it, as in /tmp). An existing
// entry is removed only if it is a dead socket owned by us. The socket is made mode 0600, and
// on exit it is unlinked only if the path still holds the very socket we bound (dev + inode).
import { chmodSync, lstatSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import { bindFailed, isMissingPath, socketInUse, unsafeSocket, ValidationError } from '../../lib/errors.ts';

/** Bytes of a unix socket path (sun_path is 108 bytes including the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** The socket we bound, to be removed by `removeOwnSocket` only while it is still ours. */
export interface BoundSocket {
  path: string;
  dev: number;
  ino: number;
}

const uid = (): number => process.geteuid?.() ?? 0;

/** Checks `path` as a place to listen; throws EINVALID/EUNSAFE naming --socket. */
export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new ValidationError(
      '--socket',
      `${Buffer.byteLength(path)} bytes is longer than a unix socket path can be (${MAX_SOCKET_PATH_BYTES})`,
    );
  }
  if (path.includes('\0')) throw new ValidationError('--socket', 'contains a NUL byte');
  const dir = dirname(resolve(path));
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    if (!isMissingPath(err)) throw err;
    throw new ValidationError('--socket', `directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new ValidationError('--socket', `${dir} is not a directory`);
  if (st.uid !== uid() && st.uid !== 0)
    throw unsafeSocket(`directory ${dir} belongs to uid ${st.uid}, who could replace the socket`, { dir });
  const sticky = (st.mode & 0o1000) !== 0;
  if ((st.mode & 0o022) !== 0 && !sticky) {
    throw unsafeSocket(
      `directory ${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8)}) and not sticky: ` +
        'another user could replace the socket',
      { dir },
    );
  }
}

/** Removes a stale socket of ours at `path`; refuses a live one, a foreign one, or a non-socket. */
export async function clearStaleSocket(path: string): Promise<void> {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (isMissingPath(err)) return;
    throw err;
  }
  if (!st.isSocket()) throw socketInUse(path, 'not-a-socket');
  if (st.uid !== uid()) throw unsafeSocket(`${path} is a socket of uid ${st.uid}, not ours`, { path });
  const live = await new Promise<boolean>((done) => {
    const s = createConnection(path, () => {
      s.destroy();
      done(true);
    });
    s.on('error', () => done(false));
  });
  if (live) throw socketInUse(path, 'live');
  unlinkSync(path);
}

/** Listens on `path` with mode 0600 (umask set around the bind, then chmod) and records what was bound. */
export async function bindSocket(server: Server, path: string, backlog = 511): Promise<BoundSocket> {
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((done, fail) => {
      const onError = (e: Error) => fail(bindFailed(path, e));
      server.once('error', onError);
      server.listen({ path, backlog }, () => {
        server.off('error', onError);
        done();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  const st = lstatSync(path);
  if (!st.isSocket()) throw unsafeSocket(`${path} was replaced right after bind`, { path });
  chmodSync(path, 0o600);
  return { path, dev: st.dev, ino: st.ino };
}

/** Unlinks the socket if the path still holds the one we bound (another daemon's is left alone); true if removed. */
export function removeOwnSocket(b: BoundSocket): boolean {
  try {
    const st = lstatSync(b.path);
    if (st.dev !== b.dev || st.ino !== b.ino) return false;
    unlinkSync(b.path);
    return true;
  } catch {
    // any failure: not removed, which the caller says; shutting down goes on
    return false;
  }
}

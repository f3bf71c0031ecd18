// An exclusive lock that dies with its holder: flock(2) on a lock file. Node has no flock, so
// we open the file and let a `flock -x 3` child take the lock on our open file description
// (fd 3 inherited): the lock belongs to that description, so it stays ours after the child
// exits and is released when we close the fd or die (SIGKILL included): no stale lock files,
// no pid guessing. node:child_process directly: lib/exec cannot pass an extra fd.
import { spawn } from 'node:child_process';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lockTimeout } from './errors.ts';

/** A held lock; release() is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
}

/** Takes the lock on `path` (created if missing), waiting up to `timeoutMs`; ELOCKED after that. */
export async function lockFile(path: string, timeoutMs = 30_000): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true });
  const fh: FileHandle = await open(path, 'a', 0o600);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const c = spawn('flock', ['-x', '-w', String(Math.max(1, Math.ceil(timeoutMs / 1000))), '3'], { stdio: ['ignore', 'ignore', 'ignore', fh.fd] });
      c.once('error', reject);
      c.once('exit', (status) => resolve(status));
    });
    if (code !== 0) throw lockTimeout(path, timeoutMs);
  } catch (err) {
    await fh.close();
    throw err;
  }
  let held = true;
  return { release: async () => { if (held) { held = false; await fh.close(); } } };
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

// <root>/etc/resolv.conf of a container, whose root the container controls. Node has no
// openat(2); the race-free equivalent used here walks the root with directory fds: the root is
// opened O_DIRECTORY, `etc` as `/proc/self/fd/<root>/etc` with O_NOFOLLOW|O_DIRECTORY, the file
// as `/proc/self/fd/<etc>/resolv.conf` with O_NOFOLLOW|O_NONBLOCK (a FIFO does not block the
// open), then fstat: only a regular file of at most RESOLV_MAX bytes is read. A write goes to a
// temporary file made O_CREAT|O_EXCL|O_NOFOLLOW in the etc fd and renamed within it. So no link
// the container plants (etc -> /etc, resolv.conf -> a host file or /dev/zero) is ever followed.
// A root that is the host's `/`, or whose etc is the host's /etc, is refused; `etc` is never
// created (a root without it is refused by attach, skipped by detach and the DHCP hook).
// The DHCP hook does the same walk in its helper (resolv-helper.ts).
import { randomBytes } from 'node:crypto';
import { constants as C } from 'node:fs';
import { lstat, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { errnoOf, isMissingPath, isNotDirectory, isSymlinkLoop, ValidationError } from '../../lib/errors.ts';

/** The largest resolv.conf read (64 KiB); a larger one is refused. */
export const RESOLV_MAX = 64 * 1024;

const at = (dir: FileHandle, name: string): string => `/proc/self/fd/${dir.fd}/${name}`;
const refuse = (root: string, why: string): ValidationError => new ValidationError('nic.root', `${root}: ${why}`);
const same = (a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean =>
  a.dev === b.dev && a.ino === b.ino;

/** Opens <root>/etc without following links (undefined when it does not exist); EINVALID nic.root when hostile. */
export async function openEtc(root: string): Promise<FileHandle | undefined> {
  let dir: FileHandle;
  try {
    dir = await open(root, C.O_RDONLY | C.O_DIRECTORY);
  } catch (err) {
    throw refuse(root, isNotDirectory(err) ? 'not a directory' : `cannot be opened (${errnoOf(err) ?? String(err)})`);
  }
  try {
    if (same(await dir.stat(), await stat('/'))) throw refuse(root, "is the host's root, not a container's");
    let etc: FileHandle;
    try {
      etc = await open(at(dir, 'etc'), C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
    } catch (err) {
      if (isMissingPath(err)) return undefined;
      if (!isSymlinkLoop(err) && !isNotDirectory(err)) throw refuse(root, `etc cannot be opened (${errnoOf(err)})`);
      // Refused either way; lstat only names what it is (any failure of it: the plainer wording).
      const link = (await lstat(at(dir, 'etc')).catch(() => undefined))?.isSymbolicLink();
      throw refuse(root, link ? 'etc is a symbolic link' : 'etc is not a directory');
    }
    if (same(await etc.stat(), await stat('/etc'))) {
      await etc.close();
      throw refuse(root, "etc is the host's /etc");
    }
    return etc;
  } finally {
    await dir.close();
  }
}

/** Runs `fn` with <root>/etc open; EINVALID nic.root when it is missing (attach never creates it). */
export async function withEtc<T>(root: string, fn: (etc: FileHandle) => Promise<T>): Promise<T> {
  const etc = await openEtc(root);
  if (!etc) throw refuse(root, 'has no etc directory (nic.config.dns and dhcp write <root>/etc/resolv.conf)');
  try {
    return await fn(etc);
  } finally {
    await etc.close();
  }
}

/**
 * The text of etc/resolv.conf ('' when missing); EINVALID nic.root unless a regular file of at most RESOLV_MAX bytes.
 */
export async function readResolv(root: string, etc: FileHandle): Promise<string> {
  let f: FileHandle;
  try {
    f = await open(at(etc, 'resolv.conf'), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY);
  } catch (err) {
    if (isMissingPath(err)) return '';
    throw refuse(
      root,
      isSymlinkLoop(err) ? 'etc/resolv.conf is a symbolic link' : `etc/resolv.conf cannot be opened (${errnoOf(err)})`,
    );
  }
  try {
    const st = await f.stat();
    if (!st.isFile()) throw refuse(root, 'etc/resolv.conf is not a regular file');
    if (st.size > RESOLV_MAX) throw refuse(root, `etc/resolv.conf is larger than ${RESOLV_MAX} bytes`);
    const buf = Buffer.alloc(RESOLV_MAX + 1);
    let n = 0;
    for (let r: number; n < buf.length && (r = (await f.read(buf, n, buf.length - n, n)).bytesRead) > 0; ) n += r;
    if (n > RESOLV_MAX) throw refuse(root, `etc/resolv.conf is larger than ${RESOLV_MAX} bytes`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await f.close();
  }
}

/** Replaces etc/resolv.conf with `text`: a new file made in the etc fd (O_EXCL|O_NOFOLLOW), renamed over it. */
export async function writeResolv(etc: FileHandle, text: string): Promise<void> {
  const tmp = `.resolv.conf.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const f = await open(at(etc, tmp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
  try {
    try {
      await f.writeFile(text);
    } finally {
      await f.close();
    }
    await rename(at(etc, tmp), at(etc, 'resolv.conf'));
  } catch (err) {
    await unlink(at(etc, tmp)).catch(() => undefined); // best effort: the write's own error is the one thrown
    throw err;
  }
}

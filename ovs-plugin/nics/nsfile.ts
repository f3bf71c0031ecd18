// What a namespace file is: `net:[INODE]`, `uts:[INODE]`, ..., or a refusal saying what it is
// instead. An open fd of an unmounted namespace file (/proc/PID/ns/net) reads back as
// `TYPE:[INODE]`; a bind-mounted one (`ip netns add` makes /run/netns/NAME so) reads back as its
// mount point, whose line in /proc/self/mountinfo (fs type nsfs) has `TYPE:[INODE]` as its root.
import { constants } from 'node:fs';
import { open, readFile, readlink, stat } from 'node:fs/promises';

/** A namespace: its type (`net`, `uts`, ...) and inode. */
export interface NsFile {
  type: string;
  ino: number;
}

const NS = /^(\w+):\[(\d+)\]$/;

/** mountinfo's octal escapes (`\040` for a space) undone. */
const unescapeOctal = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The namespace mounted at `point` (the last mount there wins), if an nsfs is. */
async function mountedNs(point: string): Promise<NsFile | undefined> {
  let found: NsFile | undefined;
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const [pre, post] = line.split(' - ');
    const f = pre?.split(' ') ?? [];
    if (post?.split(' ')[0] !== 'nsfs' || unescapeOctal(f[4] ?? '') !== point) continue;
    const m = NS.exec(f[3] ?? '');
    found = m ? { type: m[1]!, ino: Number(m[2]) } : undefined;
  }
  return found;
}

/**
 * The namespace at `path` (symlinks followed), or a text saying what it is instead (a plain
 * file, a directory, ...). Only a regular file is opened (a device or FIFO could act on open);
 * a namespace file is one.
 */
export async function nsFileAt(path: string): Promise<NsFile | string> {
  const s = await stat(path);
  if (s.isDirectory()) return 'a directory';
  if (!s.isFile()) return 'not a namespace file';
  const h = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const at = await readlink(`/proc/self/fd/${h.fd}`);
    const m = NS.exec(at);
    const ns = m ? { type: m[1]!, ino: Number(m[2]) } : await mountedNs(at);
    return ns ?? 'a plain file, not a namespace';
  } finally {
    await h.close();
  }
}

// What a namespace file is: `net:[INODE]`, `uts:[INODE]`, ..., or a refusal saying what it is
// instead. An open fd of an unmounted namespace file (/proc/PID/ns/net) reads back as
// `TYPE:[INODE]`; a bind-mounted one (`ip netns add` makes /run/netns/NAME so) reads back as its
// mount point, whose line in /proc/self/mountinfo (fs type nsfs) has `TYPE:[INODE]` as its root.
import { closeSync, constants, openSync, readFileSync, readlinkSync, statSync } from 'node:fs';

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
function mountedNs(point: string): NsFile | undefined {
  let found: NsFile | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
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
  // Synchronous: a namespace file lives on nsfs, procfs or the tmpfs of /run, where these calls
  // never wait, and each await on a loaded node costs a scheduling delay per attach.
  const s = statSync(path);
  if (s.isDirectory()) return 'a directory';
  if (!s.isFile()) return 'not a namespace file';
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const at = readlinkSync(`/proc/self/fd/${fd}`);
    const m = NS.exec(at);
    const ns = m ? { type: m[1]!, ino: Number(m[2]) } : mountedNs(at);
    return ns ?? 'a plain file, not a namespace';
  } finally {
    closeSync(fd);
  }
}

// Whole-file writes that a crash can never leave half-written: write a temporary file in the
// same directory, fsync it, then rename(2) over the target (atomic within one filesystem). A
// failed write removes its temporary file.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

let writes = 0;
/**
 * The temporary file a write of `path` goes through: this process's own and this write's own
 * (two writes of one file within a millisecond once shared one, and the second rename failed
 * with ENOENT: concurrent DHCP attaches writing their helper script).
 */
const tmpOf = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${++writes}.tmp`);

/**
 * Writes `data` to `path` atomically, creating the directory if needed. `sync: false` skips the
 * fsync: the rename alone is atomic for every process (they share the page cache), so a killed
 * writer still leaves the old file or the new one; only a power loss can then leave an empty file.
 * Without the fsync nothing waits on the disk, and the write is done in synchronous calls (a
 * state file's few hundred microseconds, instead of six awaits that each cost a scheduling delay
 * on a loaded node).
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  mode = 0o644,
  o: { sync?: boolean } = {},
): Promise<void> {
  if (o.sync === false) {
    writeFileAtomicNow(path, data, mode);
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = tmpOf(path);
  // Whatever fails (ENOSPC while writing, EIO on close, rename), the temporary file goes: a
  // full file system must not fill up further with the remains of failed writes.
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** writeFileAtomic without the fsync, in synchronous calls. */
function writeFileAtomicNow(path: string, data: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpOf(path);
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      const b = Buffer.from(data);
      for (let at = 0; at < b.length; ) at += writeSync(fd, b, at);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

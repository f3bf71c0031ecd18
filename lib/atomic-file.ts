// Whole-file writes that a crash can never leave half-written: write a temporary file in the
// same directory, fsync it, then rename(2) over the target (atomic within one filesystem). A
// failed write removes its temporary file.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/**
 * Writes `data` to `path` atomically, creating the directory if needed. `sync: false` skips the
 * fsync: the rename alone is atomic for every process (they share the page cache), so a killed
 * writer still leaves the old file or the new one; only a power loss can then leave an empty file.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  mode = 0o644,
  o: { sync?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  // Whatever fails (ENOSPC while writing, EIO on close, rename), the temporary file goes: a
  // full file system must not fill up further with the remains of failed writes.
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      if (o.sync !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

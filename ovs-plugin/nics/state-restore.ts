// nic.state-restore: the explicit way back from a damaged state file (empty, not JSON, a record
// of the wrong shape, a directory in its place). Under the lock, a good file is left as it is;
// a damaged one is kept aside as `<file>.damaged-<ms>` and replaced by the previous good
// generation `<file>.prev` (state.ts keeps it before each write). That generation is one write
// behind: a record the lost write added is missing (nic.gc removes OVS ports and host links of
// ours that no record holds), one it dropped is back (nic.gc finishes or undoes it).
import { link, rename } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { AppError, Code, isNotPermitted } from '../../lib/errors.ts';
import { stateError } from './errors.ts';
import { withLock } from './lock.ts';
import { parseState, prevPath, readStateText } from './state.ts';

/** The answer of nic.state-restore. */
export interface RestoreResult {
  restored: boolean;
  nics: number;
  from?: string;
  damaged?: string;
}

/** nic.state-restore {} -> whether the previous generation was put back, and how many records it holds. */
export async function restoreState(path: string): Promise<RestoreResult> {
  return withLock(`${path}.lock`, async () => {
    let damage: unknown;
    try {
      const text = await readStateText(path);
      return { restored: false, nics: text === undefined ? 0 : parseState(path, text).nics.length };
    } catch (err) {
      if (!(err instanceof AppError && err.code === Code.ESTATE)) throw err;
      damage = err;
    }
    const prev = prevPath(path);
    const text = await readStateText(prev);
    if (text === undefined)
      throw stateError(
        `${path} is damaged and there is no previous generation (${prev}); move the file away to start afresh`,
        { path, cause: String((damage as Error).message) },
      );
    const good = parseState(prev, text, `the previous generation is damaged too; move ${path} away to start afresh`);
    const damaged = `${path}.damaged-${Date.now()}`;
    // A file is kept aside by a hard link, so the path never stops existing (nic.list reads
    // without the lock); a directory in its place has to move.
    await link(path, damaged).catch((err: unknown) => {
      if (!isNotPermitted(err)) throw err;
      return rename(path, damaged);
    }); // EPERM: a directory
    await writeFileAtomic(path, text, 0o600, { sync: false });
    return { restored: true, nics: good.nics.length, from: prev, damaged };
  });
}

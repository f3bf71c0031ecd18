// How a failed attach ends: its steps are undone in reverse. When every undo succeeded nothing is
// left and the record goes. When one failed, what it was to undo is still there (a veth, an OVS
// port, a DHCP client), so the record stays, `detaching` (owner: us) with the error: once this
// call is over (our process exits, or the daemon's call ends), gc, or an identical attach, finds
// it not busy and finishes it with the kind's detach, which works from any partial state.
import { stderrLogger } from '../../lib/log.ts';
import type { UndoFailure, UndoStack } from '../../lib/undo.ts';
import type { Ctx } from '../planners/plan.ts';
import { undoStack } from './failpoint.ts';
import { self } from './proc.ts';
import { dropRecord, updateState } from './state.ts';
import type { NicRecord } from './types.ts';

/** Runs the attach steps of `rec` with their undos; on failure rolls back, settles the record, rethrows. */
export async function attachWithUndo(
  ovs: Ctx,
  rec: NicRecord,
  path: string,
  steps: (undo: UndoStack) => Promise<void>,
): Promise<void> {
  const log = ovs.log ?? stderrLogger();
  const undo = undoStack(log);
  try {
    await steps(undo);
    undo.commit();
  } catch (err) {
    const failed = await undo.rollback();
    if (!failed.length) {
      await updateState(path, (s) => dropRecord(s, rec.key));
      throw err;
    }
    const error = leftError(err, failed);
    log.warn('nic-attach-left', { key: rec.key, error });
    await updateState(path, (s) => {
      const r = s.nics.find((x) => x.key === rec.key);
      if (r) Object.assign(r, { phase: 'detaching', owner: self(), error });
    });
    throw err;
  }
}

/** The record's `error` after a partial rollback: why the attach failed, and what was not undone. */
const leftError = (err: unknown, failed: UndoFailure[]): string =>
  `${err instanceof Error ? err.message : String(err)}; ` +
  `not undone: ${failed.map((f) => `${f.what} (${f.error})`).join(', ')}`;

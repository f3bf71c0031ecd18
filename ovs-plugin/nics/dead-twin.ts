// The retry after a cut-short attach: an identical nic.attach whose record is still mid-phase
// with a dead owner (SIGKILLed, or its last state write failed: ENOSPC) first does what nic.gc
// would do for that one record (undo the attach, or finish the detach), then attaches afresh,
// instead of answering EEXIST for the half-made link until someone runs gc.
import { isDeepStrictEqual } from 'node:util';
import type { Ctx } from '../planners/plan.ts';
import { carryOut } from './detach.ts';
import { isBusy } from './owners.ts';
import { self } from './proc.ts';
import { readState, updateState } from './state.ts';
import { targetKey } from './target.ts';
import type { NicRecord, NicSpec, NsIdentity, TargetSpec } from './types.ts';

/** True when `r` records the request `a` in namespace `ns` (attach's "identical nic"). */
const sameRequest = (r: NicRecord, a: { target: TargetSpec; nic: NicSpec }, ns: NsIdentity): boolean =>
  targetKey(r.target) === targetKey(a.target) &&
  r.ns.dev === ns.dev &&
  r.ns.ino === ns.ino &&
  isDeepStrictEqual(r.nic, a.nic) &&
  (a.nic.name === undefined || r.name === a.nic.name);

/** Settles the record of request `a` whose owner died mid-phase (a live owner's is left to it). */
export async function settleDeadTwin(
  ovs: Ctx,
  a: { target: TargetSpec; nic: NicSpec },
  ns: NsIdentity,
  path: string,
): Promise<void> {
  // A look without the lock first (writes are atomic): the common case costs one read, no lock.
  if (!(await readState(path)).nics.some((x) => sameRequest(x, a, ns) && x.phase !== 'attached' && !isBusy(x))) return;
  const rec = await updateState(path, (s) => {
    const r = s.nics.find((x) => sameRequest(x, a, ns));
    if (!r || r.phase === 'attached' || isBusy(r)) return undefined;
    if (r.phase === 'repairing') {
      r.phase = 'attached';
      return undefined;
    } // a repair re-creates only: nothing to undo
    r.phase = 'detaching';
    r.owner = self();
    return { ...r };
  });
  if (rec) await carryOut(ovs, rec, path);
}

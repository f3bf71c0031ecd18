// nic.check and nic.list. Check compares one attachment's record with the kernel (link there,
// in the right namespace, up, MAC, MTU, address) and OVSDB (port on the right bridge, no
// Interface.error); with `repair` it recreates what drifted (e.g. the OVS port after Open
// vSwitch restarted with a fresh database) and checks again. The summary is kept in the record.
// A check racing a detach answers drift (what vanished) or ENOTFOUND, never a kernel error.
import { LinkNotFoundError, NetnsGoneError } from '../../lib/errors.ts';
import type { Ctx } from '../commands/types.ts';
import { nicNotFound } from './errors.ts';
import { kindOf } from './kinds/index.ts';
import { repairInside } from './inside.ts';
import { putRecord, readState, statePath, updateState } from './state.ts';
import { liveTarget, targetKey } from './target.ts';
import type { Drift, NicRecord, NicState, TargetSpec } from './types.ts';

/** The answer of nic.check. */
export interface CheckResult { ok: boolean; drift: Drift[]; repaired: Drift[] }

/**
 * The record's drift. A link or namespace that vanishes while it is read (a detach or the
 * container's end racing the check) is drift too, never the kernel layer's error.
 */
async function driftOf(ovs: Ctx, rec: NicRecord): Promise<Drift[]> {
  try {
    return await kindOf(rec)!.check({ ovs, target: await liveTarget(rec) }, rec);
  } catch (err) {
    if (err instanceof NetnsGoneError) return [{ what: 'target', want: 'alive', got: 'gone', repairable: false }];
    if (err instanceof LinkNotFoundError) return [{ what: 'link', want: err.link ?? rec.name, got: 'missing', repairable: false }];
    throw err;
  }
}

/** Puts back what drifted; a link or namespace gone meanwhile is left to the check after. */
async function repairDrift(ovs: Ctx, rec: NicRecord, drift: Drift[]): Promise<void> {
  try {
    const target = await liveTarget(rec);
    await kindOf(rec)!.repair?.({ ovs, target }, rec);
    if (target) await repairInside(target, rec, drift);
  } catch (err) {
    if (!(err instanceof LinkNotFoundError || err instanceof NetnsGoneError)) throw err;
  }
}

/** The record `key` if it is still attached (not detached or being detached meanwhile). */
const attachedIn = (s: NicState, key: string): NicRecord | undefined => s.nics.find((x) => x.key === key && x.phase === 'attached');

/**
 * nic.check {target, name, repair?}. The drift is read without the lock; a repair runs under it,
 * on a record still attached, so a detach cannot start meanwhile (nor a repair re-create what a
 * detach removed). A nic detached while it was checked is ENOTFOUND, as one never attached.
 */
export async function checkNic(ovs: Ctx, a: { target: TargetSpec; name: string; repair: boolean }, path = statePath()): Promise<CheckResult> {
  const gone = () => nicNotFound(`no nic ${a.name} attached to ${targetKey(a.target)}`, { field: 'name' });
  const rec = (await readState(path)).nics.find((r) => targetKey(r.target) === targetKey(a.target) && r.name === a.name && r.phase === 'attached');
  if (!rec) throw gone();
  const first = await driftOf(ovs, rec);
  return updateState(path, async (s) => {
    const r = attachedIn(s, rec.key);
    if (!r) throw gone();
    let drift = first;
    let repaired: Drift[] = [];
    if (a.repair && drift.some((d) => d.repairable)) {
      await repairDrift(ovs, r, drift);
      const after = await driftOf(ovs, r);
      repaired = drift.filter((d) => !after.some((x) => x.what === d.what));
      drift = after;
    }
    putRecord(s, { ...r, check: { at: new Date().toISOString(), ok: drift.length === 0, drift: drift.map((d) => d.what) } });
    return { ok: drift.length === 0, drift, repaired };
  });
}

/** One element of nic.list. */
export interface ListedNic {
  target: TargetSpec;
  name: string;
  type: string;
  id?: string | number;
  phase: NicRecord['phase'];
  host?: string;
  hwaddr: string;
  bridge?: string;
  tag?: number;
  vni?: number;
  result?: NicRecord['result'];
  check?: NicRecord['check'];
}

/** nic.list {target?} -> one element per attachment (reads the file; a write is atomic, so no lock). */
export async function listNics(a: { target?: TargetSpec }, path = statePath()): Promise<ListedNic[]> {
  const s = await readState(path);
  return s.nics.filter((r) => !a.target || targetKey(r.target) === targetKey(a.target)).map((r) => ({
    target: r.target, name: r.name, type: r.nic.type, ...(r.nic.id !== undefined ? { id: r.nic.id } : {}), phase: r.phase,
    ...(r.host ? { host: r.host } : {}), hwaddr: r.hwaddr, ...(r.bridge ? { bridge: r.bridge } : {}),
    ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.vni !== undefined ? { vni: r.vni } : {}),
    ...(r.result ? { result: r.result } : {}), ...(r.check ? { check: r.check } : {}),
  }));
}

// nic.check and nic.list. Check compares one attachment's record with the kernel (link there,
// in the right namespace, up, MAC, MTU, address) and OVSDB (port on the right bridge, no
// Interface.error); with `repair` it recreates what drifted (e.g. the OVS port after Open
// vSwitch restarted with a fresh database) and checks again. The summary is kept in the record.
import type { Ctx } from '../commands/types.ts';
import { nicNotFound } from './errors.ts';
import { kindOf } from './kinds/index.ts';
import { repairInside } from './inside.ts';
import { putRecord, readState, statePath, updateState } from './state.ts';
import { liveTarget, targetKey } from './target.ts';
import type { Drift, NicRecord, TargetSpec } from './types.ts';

/** The answer of nic.check. */
export interface CheckResult { ok: boolean; drift: Drift[]; repaired: Drift[] }

async function driftOf(ovs: Ctx, rec: NicRecord): Promise<Drift[]> {
  return kindOf(rec)!.check({ ovs, target: await liveTarget(rec) }, rec);
}

/** nic.check {target, name, repair?}. */
export async function checkNic(ovs: Ctx, a: { target: TargetSpec; name: string; repair: boolean }, path = statePath()): Promise<CheckResult> {
  const rec = (await readState(path)).nics.find((r) => targetKey(r.target) === targetKey(a.target) && r.name === a.name && r.phase === 'attached');
  if (!rec) throw nicNotFound(`no nic ${a.name} attached to ${targetKey(a.target)}`, { field: 'name' });
  let drift = await driftOf(ovs, rec);
  let repaired: Drift[] = [];
  if (a.repair && drift.some((d) => d.repairable)) {
    const target = await liveTarget(rec);
    const kind = kindOf(rec)!;
    await kind.repair?.({ ovs, target }, rec);
    if (target) await repairInside(target, rec, drift);
    const after = await driftOf(ovs, rec);
    repaired = drift.filter((d) => !after.some((x) => x.what === d.what));
    drift = after;
  }
  const summary = { at: new Date().toISOString(), ok: drift.length === 0, drift: drift.map((d) => d.what) };
  await updateState(path, (s) => {
    const r = s.nics.find((x) => x.key === rec.key);
    if (r) putRecord(s, { ...r, check: summary });
  });
  return { ok: drift.length === 0, drift, repaired };
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

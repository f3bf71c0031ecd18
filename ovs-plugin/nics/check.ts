// nic.check and nic.list. Check compares one attachment's record with the kernel (link there,
// in the right namespace, up, MAC, MTU, address) and OVSDB (port on the right bridge, no
// Interface.error); with `repair` it recreates what drifted (e.g. the OVS port after Open
// vSwitch restarted with a fresh database) and checks again. A repair first marks the record
// `repairing` (owner: us) under the lock, so a detach of the nic answers EBUSY meanwhile and a
// repair never re-creates a port of a nic being detached; it is `attached` again after. The
// summary is kept in the record. A check racing a detach answers drift (what vanished) or
// ENOTFOUND, never a kernel error.
import { LinkNotFoundError, NetnsGoneError } from '../../lib/errors.ts';
import type { Ctx } from '../planners/plan.ts';
import { PHASE_WORK } from './detach.ts';
import { nicBusy, nicNotFound } from './errors.ts';
import { kindOf } from './kinds/index.ts';
import { repairInside } from './inside.ts';
import { isBusy, working } from './owners.ts';
import { self } from './proc.ts';
import { putRecord, readState, updateState } from './state.ts';
import { liveTarget, targetKey } from './target.ts';
import { isKind, type Drift, type NicRecord, type NicSettings, type ProcId, type TargetSpec } from './types.ts';
import { ztListed } from './kinds/zerotier.ts';

/** The answer of nic.check. */
export interface CheckResult {
  ok: boolean;
  drift: Drift[];
  repaired: Drift[];
}

/**
 * The record's drift. A link or namespace that vanishes while it is read (a detach or the
 * container's end racing the check) is drift too, never the kernel layer's error.
 */
async function driftOf(ovs: Ctx, rec: NicRecord): Promise<Drift[]> {
  try {
    return await kindOf(rec)!.check({ ovs, target: await liveTarget(rec) }, rec);
  } catch (err) {
    if (err instanceof NetnsGoneError) return [{ what: 'target', want: 'alive', got: 'gone', repairable: false }];
    if (err instanceof LinkNotFoundError)
      return [{ what: 'link', want: err.link ?? rec.name, got: 'missing', repairable: false }];
    throw err;
  }
}

/** Puts back what drifted; a link or namespace gone meanwhile is left to the check after. */
async function repairDrift(ovs: Ctx, rec: NicRecord, drift: Drift[]): Promise<void> {
  try {
    const target = await liveTarget(rec);
    await kindOf(rec)!.repair?.({ ovs, target }, rec);
    if (target) await repairInside(target, rec, drift, ovs.nics.dhcpWaitMs);
  } catch (err) {
    if (!(err instanceof LinkNotFoundError || err instanceof NetnsGoneError)) throw err;
  }
}

const notAttached = (a: { target: TargetSpec; name: string }) =>
  nicNotFound(`no nic ${a.name} attached to ${targetKey(a.target)}`, { field: 'name' });

/**
 * Marks record `key` `repairing` (owner: us); EBUSY when another live process works on it, ENOTFOUND when it is no
 * longer attached.
 */
async function claimRepair(path: string, key: string, a: { target: TargetSpec; name: string }): Promise<ProcId> {
  return updateState(path, (s) => {
    const r = s.nics.find((x) => x.key === key);
    if (r && r.phase !== 'attached' && isBusy(r)) throw nicBusy('name', `${a.name} is being ${PHASE_WORK[r.phase]}`);
    if (!r || (r.phase !== 'attached' && r.phase !== 'repairing')) throw notAttached(a);
    const was = r.owner;
    r.phase = 'repairing';
    r.owner = self();
    return was;
  });
}

/** nic.check {target, name, repair?}; a nic detached while it was checked is ENOTFOUND, as one never attached. */
export async function checkNic(
  ovs: Ctx,
  a: { target: TargetSpec; name: string; repair: boolean },
): Promise<CheckResult> {
  const path = ovs.nics.statePath;
  const rec = (await readState(path)).nics.find(
    (r) =>
      targetKey(r.target) === targetKey(a.target) &&
      r.name === a.name &&
      (r.phase === 'attached' || r.phase === 'repairing'),
  );
  if (!rec) throw notAttached(a);
  let drift = await driftOf(ovs, rec);
  let repaired: Drift[] = [];
  let owner: ProcId | undefined;
  if (a.repair && drift.some((d) => d.repairable)) {
    // In flight before the claim: this process's own gc (the daemon's) must see it busy at once.
    await working(rec.key, async () => {
      owner = await claimRepair(path, rec.key, a);
      try {
        await repairDrift(ovs, rec, drift);
        const after = await driftOf(ovs, rec);
        repaired = drift.filter((d) => !after.some((x) => x.what === d.what));
        drift = after;
      } catch (err) {
        await updateState(path, (s) => {
          endRepair(
            s.nics.find((x) => x.key === rec.key),
            owner!,
          );
        });
        throw err;
      }
    });
  }
  const summary = { at: new Date().toISOString(), ok: drift.length === 0, drift: drift.map((d) => d.what) };
  await updateState(path, (s) => {
    const r = s.nics.find((x) => x.key === rec.key);
    if (r && owner) endRepair(r, owner);
    if (!r || r.phase === 'detaching' || r.phase === 'attaching') throw notAttached(a);
    if (r.phase === 'attached') putRecord(s, { ...r, check: summary });
  });
  return { ok: drift.length === 0, drift, repaired };
}

/** Our repair of `r` is over: attached again, with the owner it had. */
function endRepair(r: NicRecord | undefined, owner: ProcId): void {
  const me = self();
  if (r?.phase === 'repairing' && r.owner.pid === me.pid && r.owner.start === me.start) {
    r.phase = 'attached';
    r.owner = owner;
  }
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
  error?: string;
  /** zerotier: the member's node id. */
  node_id?: string;
  /** zerotier: the network's status now, as the member reports it. */
  network_status?: string;
}

/**
 * nic.list {target?} -> one element per attachment (reads the file; a write is atomic, so no lock). A zerotier nic
 * also shows its network's status now: its member is asked (one short child each).
 */
export async function listNics(
  a: { target?: TargetSpec },
  path: string,
  nics: Pick<NicSettings, 'zerotierOne'>,
): Promise<ListedNic[]> {
  const s = await readState(path);
  return Promise.all(
    s.nics
      .filter((r) => !a.target || targetKey(r.target) === targetKey(a.target))
      .map(async (r) =>
        isKind(r, 'zerotier') && r.phase === 'attached'
          ? { ...listed(r), ...(await ztListed(r, await liveTarget(r), nics)) }
          : listed(r),
      ),
  );
}

/** The list element of record `r`, from the file alone. */
function listed(r: NicRecord): ListedNic {
  return {
    target: r.target,
    name: r.name,
    type: r.nic.type,
    ...(r.nic.id !== undefined ? { id: r.nic.id } : {}),
    phase: r.phase,
    ...(r.host ? { host: r.host } : {}),
    hwaddr: r.hwaddr,
    ...(r.bridge ? { bridge: r.bridge } : {}),
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
    ...(r.vni !== undefined ? { vni: r.vni } : {}),
    ...(r.result ? { result: r.result } : {}),
    ...(r.check ? { check: r.check } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

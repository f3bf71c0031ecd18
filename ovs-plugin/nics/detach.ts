// nic.detach and nic.gc. Detach marks the record `detaching` (owner: us), runs the kind's
// detach (idempotent, from any partial state), then drops the record: killed at any point, the
// record says what is left to finish. gc does the same for every record whose owner died
// mid-phase (an attach is undone, a detach finished) and for every attached nic whose target
// has died (host veth, OVS port, DHCP client removed now, passthrough NIC returned). A repair
// whose owner died is over (the record is attached again). Last, gc rewrites the NAT's rules when
// they no longer match the records and default routes, and removes the OVS ports of ours that no
// record holds (orphans.ts).
import { stderrLogger } from '../../lib/log.ts';
import type { Ctx } from '../planners/plan.ts';
import { nicBusy } from './errors.ts';
import { failpoint } from './failpoint.ts';
import { kindOf } from './kinds/index.ts';
import { refreshNatRules } from './nat-sync.ts';
import { isBusy, working } from './owners.ts';
import { removeOrphanLports, removeOrphanPorts } from './orphans.ts';
import { self } from './proc.ts';
import { dropRecord, updateState } from './state.ts';
import { liveTarget, nsIdentity, targetAlive, targetKey } from './target.ts';
import type { NicRecord, TargetSpec } from './types.ts';

/** What a live owner of each phase is doing (EBUSY messages). */
export const PHASE_WORK: Record<NicRecord['phase'], string> = {
  attaching: 'attached',
  attached: 'used',
  detaching: 'detached',
  repairing: 'repaired',
};

/** What gc did, by record key (orphans: by port name). */
export interface GcReport {
  finished: string[];
  undone: string[];
  removed: string[];
  returned: string[];
  orphans: string[];
}

/**
 * Runs the kind's detach for a record we own now, then drops it. When the detach fails, the
 * record stays `detaching` with the error (logged), for gc or a retry to finish.
 */
export async function carryOut(ovs: Ctx, rec: NicRecord, path: string): Promise<{ returned?: boolean }> {
  return working(rec.key, async () => {
    const kind = kindOf(rec);
    let r: { returned?: boolean };
    try {
      r = kind ? await kind.detach({ ovs, target: await liveTarget(rec) }, rec) : {};
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const log = ovs.log ?? stderrLogger();
      log.warn('nic-detach-failed', { key: rec.key, error });
      // Recorded for nic.list; a write that fails too is logged, never answered over the cause.
      await updateState(path, (s) => {
        const x = s.nics.find((n) => n.key === rec.key);
        if (x?.phase === 'detaching') x.error = error;
      }).catch((e: unknown) =>
        log.warn('nic-detach-error-unrecorded', { key: rec.key, error: e instanceof Error ? e.message : String(e) }),
      );
      throw err;
    }
    failpoint('detach:done');
    await updateState(path, (s) => dropRecord(s, rec.key));
    return r;
  });
}

/** nic.detach {target, name} -> null; a nic that is not there is success. */
export async function detachNic(ovs: Ctx, a: { target: TargetSpec; name: string }): Promise<null> {
  const path = ovs.nics.statePath;
  const now = 'kvm' in a.target ? undefined : await nsIdentity(a.target);
  const rec = await updateState(path, (s) => {
    const all = s.nics.filter((r) => targetKey(r.target) === targetKey(a.target) && r.name === a.name);
    const r = all.find((x) => now && x.ns.dev === now.dev && x.ns.ino === now.ino) ?? all[0];
    if (!r) return undefined;
    if (isBusy(r) && r.phase !== 'attached') throw nicBusy('name', `${a.name} is being ${PHASE_WORK[r.phase]}`);
    r.phase = 'detaching';
    r.owner = self();
    return { ...r };
  });
  if (!rec) return null;
  failpoint('detach:recorded');
  await carryOut(ovs, rec, path);
  return null;
}

/** nic.gc {} -> what it finished, undid, removed and returned. */
export async function gcNics(ovs: Ctx): Promise<GcReport> {
  const path = ovs.nics.statePath;
  const report: GcReport = { finished: [], undone: [], removed: [], returned: [], orphans: [] };
  const todo = await updateState(path, async (s) => {
    const out: { rec: NicRecord; why: keyof GcReport }[] = [];
    for (const r of s.nics) {
      if (r.phase !== 'attached' && isBusy(r)) continue;
      if (r.phase === 'repairing') r.phase = 'attached'; // repair only re-creates what the record holds
      const why =
        r.phase === 'attaching'
          ? 'undone'
          : r.phase === 'detaching'
            ? 'finished'
            : !(await targetAlive(r))
              ? 'removed'
              : undefined;
      if (!why) continue;
      r.phase = 'detaching';
      r.owner = self();
      out.push({ rec: { ...r }, why });
    }
    return out;
  });
  for (const { rec, why } of todo) {
    const r = await carryOut(ovs, rec, path);
    report[why].push(rec.key);
    if (r.returned) report.returned.push(rec.key);
  }
  // The NAT's rules follow the default routes: rewritten when the uplink moved (or they drifted).
  await refreshNatRules(path, ovs.nics.natPool);
  report.orphans = await removeOrphanPorts(ovs, path);
  report.orphans.push(...(await removeOrphanLports(ovs, path)));
  return report;
}

// Orphans: OVS ports of ours (`zos-owner` and `zos-nic=<key>`, ovs-port.ts) whose record is
// gone. A record is written before its port is made and dropped only after it is removed, so a
// tagged port seen first, whose record is then missing from the state file read after (one whole
// generation: the file is replaced atomically; no lock, as OVSDB waits run under none), is an
// orphan, whatever left it (a repair
// that raced a detach on an older build, a state file restored one write behind). They keep
// `ovs.vlan-del` at EBUSY; gc removes them, and the host link of the port's name when it is a
// veth or tap named as ours (`nh`/`kt`/`nt<hex>`, host-link.ts). Fleet mode adds the NB's side:
// logical ports of ours made for a nic on THIS chassis (`zos-chassis`) whose record is gone
// (never another chassis's, whatever its state).
import { Code, OvsdbError } from '../../lib/errors.ts';
import { stderrLogger } from '../../lib/log.ts';
import { membershipOf } from '../fleet/chassis.ts';
import type { Joined } from '../fleet/joined.ts';
import { chassisLports, planLportDel } from '../fleet/lport.ts';
import { nbClient } from '../fleet/nb-link.ts';
import { commitNb, NbView } from '../fleet/nb-plan.ts';
import type { Ctx } from '../planners/plan.ts';
import { isOwned, View } from '../planners/view.ts';
import { deleteHostLinkIfOurs } from './host-link.ts';
import { hasOvsdb } from './ovs-need.ts';
import { NIC_KEY, unplugPlan } from './ovs-port.ts';
import { readState } from './state.ts';

/** Removes every port of ours whose nic has no record in the state file at `path`; returns their names. */
export async function removeOrphanPorts(ovs: Ctx, path: string): Promise<string[]> {
  if (!hasOvsdb(ovs)) return [];
  // The ports first, then the records: a port made meanwhile has its record in what we read.
  const tagged = new View(ovs.client.cache)
    .rows('Port')
    .filter((p) => isOwned(p) && p.external_ids.has(NIC_KEY))
    .map((p) => ({ name: p.name, key: p.external_ids.get(NIC_KEY)! }));
  if (!tagged.length) return [];
  const keys = new Set((await readState(path)).nics.map((r) => r.key));
  const orphans = tagged.filter((o) => !keys.has(o.key));
  for (const o of orphans) {
    await ovs.commit(unplugPlan(o.name, o.key));
    await deleteHostLinkIfOurs(o.name, ['veth', 'tun']); // a veth end or tap named as ours
  }
  return orphans.map((o) => o.name);
}

/**
 * Removes the logical ports of ours made on this chassis whose nic has no record (fleet mode);
 * returns their names. An NB that cannot be reached is logged and left for the next gc.
 */
export async function removeOrphanLports(ovs: Ctx, path: string): Promise<string[]> {
  if (!hasOvsdb(ovs)) return [];
  const m = membershipOf(new View(ovs.client.cache));
  if (!m.joined || !m.nb || !m.chassis) return [];
  try {
    const nb = await nbClient((m as Joined).nb);
    const mine = chassisLports(new NbView(nb), m.chassis);
    if (!mine.length) return [];
    const keys = new Set((await readState(path)).nics.map((r) => r.key));
    const orphans = mine.filter((o) => !keys.has(o.key));
    for (const o of orphans) await commitNb(m.nb, planLportDel(o.name, o.key));
    return orphans.map((o) => o.name);
  } catch (err) {
    if (!(err instanceof OvsdbError && err.code === Code.EOVSDB_CONN)) throw err;
    (ovs.log ?? stderrLogger()).warn('fleet-gc-nb-unreachable', { error: err.message });
    return [];
  }
}

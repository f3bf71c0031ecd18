// Orphans: OVS ports of ours (`zos-owner` and `zos-nic=<key>`, ovs-port.ts) whose record is
// gone. A record is written before its port is made and dropped only after it is removed, so a
// tagged port seen first, whose record is then missing from the state file read after (one whole
// generation: the file is replaced atomically; no lock, as OVSDB waits run under none), is an
// orphan, whatever left it (a repair
// that raced a detach on an older build, a state file restored one write behind). They keep
// `ovs.vlan-del` at EBUSY; gc removes them, and the host link of the port's name when it is a
// veth or tap named as ours (`nh`/`kt`/`nt<hex>`, host-link.ts).
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

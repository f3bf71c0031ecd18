// Orphans: OVS ports of ours (`zos-owner` and `zos-nic=<key>`, ovs-port.ts) whose record is
// gone. A record is written before its port is made and dropped only after it is removed, so
// under the state lock a tagged port with no record is an orphan, whatever left it (a repair
// that raced a detach on an older build, a state file restored one write behind). They keep
// `ovs.vlan-del` at EBUSY; gc removes them, and the host link of the port's name when it is a
// veth or tap named as ours (`nh`/`kt`/`nt<hex>`, host-link.ts).
import type { Ctx } from '../commands/types.ts';
import { isOwned, View } from '../commands/view.ts';
import { deleteHostLinkIfOurs } from './host-link.ts';
import { hasOvsdb } from './ovs-need.ts';
import { NIC_KEY, unplugPlan } from './ovs-port.ts';
import type { NicState } from './types.ts';

/** Removes every port of ours whose nic has no record in `s` (call under the state lock); returns their names. */
export async function removeOrphanPorts(ovs: Ctx, s: NicState): Promise<string[]> {
  if (!hasOvsdb(ovs)) return [];
  const keys = new Set(s.nics.map((r) => r.key));
  const orphans = new View(ovs.client.cache).rows('Port')
    .filter((p) => isOwned(p) && p.external_ids.has(NIC_KEY) && !keys.has(p.external_ids.get(NIC_KEY)!))
    .map((p) => ({ name: p.name, key: p.external_ids.get(NIC_KEY)! }));
  for (const o of orphans) {
    await ovs.commit(unplugPlan(o.name, o.key));
    await deleteHostLinkIfOurs(o.name, ['veth', 'tun']); // a veth end or tap named as ours
  }
  return orphans.map((o) => o.name);
}

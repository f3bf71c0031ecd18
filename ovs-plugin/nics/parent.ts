// Which host links macvlan and passthrough may take: a physical NIC (a veth stands in for one
// in tests), not a bridge (v1 #679: passing a bridge made it vanish from the host), not a link
// Open vSwitch owns (under the userspace datapath an OVS internal port is a tap), not a bond,
// vlan, macvlan, vxlan or tun link, not a port of a bridge (so never the NIC carrying `zos`),
// and not a link an attachment already uses.
import { ValidationError } from '../../lib/errors.ts';
import { getLink, type IpLink } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { nicBusy } from './errors.ts';
import { hasOvsdb } from './ovs-need.ts';
import { byKind, type KindCtx, type NicRecord } from './types.ts';

/** The bridge the node's own address lives on (internet's `zos`). */
export const ZOS_BRIDGE = 'zos';

/** A link as `ip -j link` shows it, with the permanent MAC it prints when it differs. */
export type HostLink = IpLink & { permaddr?: string };

/** The host links a record holds for itself: its host end, and a passthrough's NIC by the name it had. */
export const heldLinks = byKind<string[]>({
  default: (r) => [r.host],
  bridge: (r) => [r.host],
  vlan: (r) => [r.host],
  vxlan: (r) => [r.host],
  macvlan: (r) => [r.host],
  passthrough: (r) => [r.host, r.saved.name],
  network: (r) => [r.host],
  // A member holds no host link: its TAP is made inside the target by zerotier-one.
  zerotier: () => [],
  fleet: (r) => [r.host],
});

/** EBUSY naming nic.id when an attachment already uses host link `id` (under the state lock: records only). */
export function claimParent(id: string, all: readonly NicRecord[]): void {
  if (all.some((r) => heldLinks(r).includes(id))) {
    throw nicBusy('nic.id', `${id} is already attached`, { link: id });
  }
}

/**
 * The host link `id` if macvlan/passthrough may use it; EINVALID / EBUSY naming nic.id otherwise (claimParent checks
 * the records).
 */
export async function allowedParent(ctx: KindCtx, id: string): Promise<HostLink> {
  const l = (await getLink(SELF, id)) as HostLink | undefined;
  if (!l) throw new ValidationError('nic.id', `no link ${id} on the host`);
  // Without OVSDB (Open vSwitch not running) only the kernel's view is left: an openvswitch slave.
  const ovsOwned =
    hasOvsdb(ctx.ovs) && [...(ctx.ovs.client.cache.get('Interface')?.values() ?? [])].some((r) => r.name === id);
  if (ovsOwned || l.linkinfo?.info_slave_kind === 'openvswitch')
    throw new ValidationError('nic.id', `${id} is owned by Open vSwitch`);
  const kind = l.linkinfo?.info_kind;
  if (kind && kind !== 'veth') throw new ValidationError('nic.id', `${id} is a ${kind} link, not a physical NIC`);
  if (l.link_type && l.link_type !== 'ether')
    throw new ValidationError('nic.id', `${id} is not an Ethernet link (${l.link_type})`);
  if (l.master === ZOS_BRIDGE)
    throw nicBusy('nic.id', `${id} carries ${ZOS_BRIDGE}, the node's own network`, { link: id });
  if (l.master) throw nicBusy('nic.id', `${id} is a port of ${l.master}`, { link: id });
  return l;
}

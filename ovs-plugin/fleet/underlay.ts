// The underlay of a chassis: the link that holds the encap IP on this node (fleet.join refuses
// an address that is not here) and the MTU a tunnel leaves for the nics (the link's MTU minus
// the encapsulation's overhead), read from the kernel of the plugin's own namespace.
import { isIPv6 } from 'node:net';
import { ValidationError } from '../../lib/errors.ts';
import { ipJson } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { linkAt, readAddrs } from '../../lib/rtnl.ts';
import type { Encap } from './args.ts';

interface AddrLink {
  ifname: string;
  mtu: number;
  addr_info?: { local?: string }[];
}

/** The link of this node that holds `address` (canonical comparison), or undefined. */
export async function linkHolding(address: string): Promise<{ name: string; mtu: number } | undefined> {
  const want = canonical(address);
  // In-process where lib/rtnl serves (an `ip` child per fleet nic attach otherwise).
  // Of the address's family only, and the one link by index: a node with a fleet nic per
  // container has a link and an IPv6 link-local address per nic.
  const addrs = await readAddrs(SELF, isIPv6(address) ? 6 : 4);
  if (addrs) {
    const a = addrs.find((x) => canonical(x.address) === want);
    const l = a && (await linkAt(SELF, a.index));
    return l ? { name: l.ifname, mtu: l.mtu } : undefined;
  }
  for (const l of await ipJson<AddrLink>(SELF, ['addr', 'show']))
    if ((l.addr_info ?? []).some((a) => a.local !== undefined && canonical(a.local) === want))
      return { name: l.ifname, mtu: l.mtu };
  return undefined;
}

/** The link holding `encap_ip`; EINVALID naming `encap_ip` when no link of this node has it. */
export async function requireEncapLink(address: string): Promise<{ name: string; mtu: number }> {
  const l = await linkHolding(address);
  if (!l) throw new ValidationError('encap_ip', `${address} is not an address of this node`);
  return l;
}

/**
 * Bytes a tunnel adds to each inner frame's IP packet: outer IP (20, IPv6 40) + UDP 8 + the
 * inner Ethernet header 14, + Geneve's 8 and the 8-byte option OVN puts in every packet
 * (ovn-architecture(7) "Tunnel Encapsulations"), or VXLAN's 8.
 */
export function tunnelOverhead(encap: Encap, encapIp: string): number {
  const ip = isIPv6(encapIp) ? 40 : 20;
  return ip + 8 + 14 + (encap === 'geneve' ? 16 : 8);
}

const canonical = (a: string): string => (isIPv6(a) ? new URL(`http://[${a}]/`).hostname : a);

// The IPv6 unique local prefixes of a tenant network (RFC 4193). The network's /48 is `fd` and
// the first 40 bits of sha256(netid) (RFC 4193 section 3.2 asks for 40 pseudo-random bits; a
// hash of the netid makes every node and the planner agree without talking). Each network
// resource's /64 takes its /24's third octet as the 16-bit subnet id, and an IPv4 host
// `x.y.c.d` of that /24 maps to `<prefix>:c::d`, as Zero-OS's Convert4to6 lays it out. Zero-OS
// reads the netid's first five ASCII bytes instead of a hash (md5.New().Sum(netid) appends, it
// does not hash): two netids with one prefix collide there, never here.
import { createHash } from 'node:crypto';
import { subnetBytes, v4Value, type Prefix4 } from './ipv4.ts';

/** The four-hex-digit groups of the network's /48: fdXX:XXXX:XXXX. */
function groups48(netid: string): string {
  const h = createHash('sha256').update(netid, 'utf8').digest();
  const hex = (i: number): string => ((h[i]! << 8) | h[i + 1]!).toString(16);
  return `fd${h[0]!.toString(16).padStart(2, '0')}:${hex(1)}:${hex(3)}`;
}

/** The network's ULA /48, e.g. `fd12:3456:789a::/48` (peers of a laptop route all of it). */
export const ulaNetwork = (netid: string): string => `${groups48(netid)}::/48`;

/** The /64 of the NR whose IPv4 subnet is `subnet` (subnet id = its third octet). */
export const ulaSubnet = (netid: string, subnet: Prefix4): string =>
  `${groups48(netid)}:${subnetBytes(subnet).b3.toString(16)}::/64`;

/** The IPv6 address (no prefix) of IPv4 host `ip` of the network: `<net48>:<c>::<d>` for `x.y.c.d`. */
export function ulaAddress(netid: string, ip: string): string {
  const n = v4Value(ip);
  return `${groups48(netid)}:${((n >>> 8) & 255).toString(16)}::${(n & 255).toString(16)}`;
}

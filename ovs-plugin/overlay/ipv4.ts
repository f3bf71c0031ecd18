// IPv4 prefix arithmetic of a tenant network: its ip_range (a /16 of RFC 1918), the /24 of each
// network resource inside it, and the wire address Zero-OS derives from a /24. Shared by the
// document validator (the node side) and the mesh planner (the client side).
import { isIPv4 } from 'node:net';

/** An IPv4 prefix: its network address as a 32-bit number and its length. */
export interface Prefix4 {
  readonly net: number;
  readonly len: number;
}

/** The 32-bit value of a dotted IPv4 address (caller checked it with isIPv4). */
export const v4Value = (a: string): number => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);

/** Dotted form of a 32-bit value. */
export const v4Text = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** `a.b.c.d/len` with the address exactly the network's (no host bits), or undefined. */
export function parsePrefix4(v: string): Prefix4 | undefined {
  const m = /^([0-9.]+)\/(0|[1-9]\d?)$/.exec(v);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 32) return undefined;
  const len = Number(m[2]);
  const net = v4Value(m[1]!);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (net & mask) >>> 0 === net ? { net, len } : undefined;
}

/** `net/len` as text. */
export const prefixText4 = (p: Prefix4): string => `${v4Text(p.net)}/${p.len}`;

/** True when prefix `inner` lies inside `outer`. */
export const within4 = (inner: Prefix4, outer: Prefix4): boolean =>
  inner.len >= outer.len &&
  Math.floor(inner.net / 2 ** (32 - outer.len)) === Math.floor(outer.net / 2 ** (32 - outer.len));

/** True when two prefixes share an address (one contains the other). */
export const overlap4 = (a: Prefix4, b: Prefix4): boolean => within4(a, b) || within4(b, a);

// RFC 1918 section 3: the three private blocks.
const RFC1918: readonly Prefix4[] = [
  parsePrefix4('10.0.0.0/8')!,
  parsePrefix4('172.16.0.0/12')!,
  parsePrefix4('192.168.0.0/16')!,
];

/** True when `p` is a /16 inside one of RFC 1918's private blocks (what a tenant ip_range must be). */
export const isPrivateSlash16 = (p: Prefix4): boolean => p.len === 16 && RFC1918.some((b) => within4(p, b));

/** Second and third octets of a /24 (`x.<b2>.<b3>.0`): the bytes its wire and ULA addresses use. */
export const subnetBytes = (subnet: Prefix4): { b2: number; b3: number } => ({
  b2: (subnet.net >>> 16) & 255,
  b3: (subnet.net >>> 8) & 255,
});

/** The NR's WireGuard address `100.64.<b2>.<b3>` as Zero-OS derives it from its /24 (`wgIP()`), without prefix. */
export function wireAddress(subnet: Prefix4): string {
  const { b2, b3 } = subnetBytes(subnet);
  return `100.64.${b2}.${b3}`;
}

/** The prefix all wire addresses live in (on the WireGuard link as /16). */
export const WIRE_RANGE = '100.64.0.0/16';

// Which addresses can be a host's own address or its gateway. Shared by the agent's kernel
// command line (`ip=`), its DHCP lease check and the plugin's nic config (`cidr`, `gateway`), so
// all refuse the same class of addresses: a value the kernel would accept on a link (127.0.0.1,
// 224.0.0.1, the subnet's broadcast) but that leaves the host without a working route.
import { isIPv4, isIPv6 } from 'node:net';

/** Numeric value of an IPv4 or IPv6 address (comparisons, subnet arithmetic). */
export function addrValue(addr: string): bigint {
  if (isIPv4(addr)) return addr.split('.').reduce((acc, o) => (acc << 8n) + BigInt(o), 0n);
  const [head, tail = ''] = addr.split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = addr.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

/** The IPv4 address as a 32-bit number. */
const v4 = (a: string): number => Number(addrValue(a));

/** Network address of `addr/prefix` (dotted). */
export function networkOf(addr: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return toDotted((v4(addr) & mask) >>> 0);
}

/** Broadcast address of `addr/prefix` (dotted). */
export function broadcastOf(addr: string, prefix: number): string {
  const host = prefix === 32 ? 0 : 0xffffffff >>> prefix;
  return toDotted((v4(addr) | host) >>> 0);
}

const toDotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** True when `a` lies in `net/prefix`. */
export function inSubnet(a: string, net: string, prefix: number): boolean {
  return networkOf(a, prefix) === networkOf(net, prefix);
}

/**
 * Why an IPv4 address cannot be a unicast host address (undefined: it can): 0.0.0.0/8 "this
 * network", 127/8 loopback, 224/4 multicast, 240/4 reserved and the limited broadcast (RFC 6890);
 * 169.254/16 link-local only when `linkLocal` is false (a gateway may be link-local, a static
 * client address may not: RFC 3927 addresses are self-assigned).
 */
export function notUnicastV4(a: string, opts: { linkLocal?: boolean } = {}): string | undefined {
  if (!isIPv4(a)) return 'is not an IPv4 address';
  const first = v4(a) >>> 24;
  if (first === 0) return 'is in 0.0.0.0/8 (this network), not a host address';
  if (first === 127) return 'is a loopback address';
  if (first >= 224 && first <= 239) return 'is a multicast address';
  if (a === '255.255.255.255') return 'is the broadcast address';
  if (first >= 240) return 'is in the reserved range 240.0.0.0/4';
  if (!opts.linkLocal && a.startsWith('169.254.')) return 'is a link-local address (169.254.0.0/16)';
  return undefined;
}

/** Why an IPv6 address cannot be a host's global address or a gateway (undefined: it can). */
export function notUnicastV6(a: string, opts: { linkLocal?: boolean } = {}): string | undefined {
  if (!isIPv6(a)) return 'is not an IPv6 address';
  if (a.includes('%')) return 'has a zone index (%...): the device names the link';
  if (a.includes('.')) return 'is an IPv4-mapped or -compatible address';
  const n = addrValue(a);
  if (n === 0n) return 'is the unspecified address ::';
  if (n === 1n) return 'is the loopback address ::1';
  if (n >> 120n === 0xffn) return 'is a multicast address';
  if (n >> 32n === 0xffffn) return 'is an IPv4-mapped address';
  if (!opts.linkLocal && n >> 118n === 0x3fan) return 'is a link-local address (fe80::/10)';
  return undefined;
}

/**
 * Why `addr/prefix` cannot be a host's address in its subnet: the network or the broadcast
 * address (except on /31, RFC 3021, and /32, which have neither).
 */
export function notHostInSubnet(addr: string, prefix: number): string | undefined {
  if (prefix >= 31) return undefined;
  if (addr === networkOf(addr, prefix)) return `is the network address of ${networkOf(addr, prefix)}/${prefix}`;
  if (addr === broadcastOf(addr, prefix)) return `is the broadcast address of ${networkOf(addr, prefix)}/${prefix}`;
  return undefined;
}

/** notHostInSubnet for IPv6: the subnet-router anycast address (host part zero, RFC 4291 2.6.1). */
export function notHostInSubnet6(addr: string, prefix: number): string | undefined {
  if (prefix >= 127) return undefined;
  const host = addrValue(addr) & ((1n << BigInt(128 - prefix)) - 1n);
  return host === 0n ? `is the subnet-router anycast address of its /${prefix}` : undefined;
}

/** True when IPv6 `a` and `b` share their first `prefix` bits. */
export function inSubnet6(a: string, b: string, prefix: number): boolean {
  const shift = BigInt(128 - prefix);
  return addrValue(a) >> shift === addrValue(b) >> shift;
}

/**
 * Why `addr/prefix` cannot be a host's own address (undefined: it can): not a unicast address
 * of its family, or its subnet's network / broadcast (IPv6: subnet-router anycast) address.
 * `linkLocal`: whether 169.254/16 and fe80::/10 may be one (not for the node's static ip=).
 */
export function hostAddressProblem(
  addr: string,
  prefix: number,
  family: 4 | 6,
  opts: { linkLocal?: boolean } = {},
): string | undefined {
  return family === 4
    ? (notUnicastV4(addr, opts) ?? notHostInSubnet(addr, prefix))
    : (notUnicastV6(addr, opts) ?? notHostInSubnet6(addr, prefix));
}

/**
 * Why `gw` cannot be the gateway of the host `host/prefix` (undefined: it can): not a unicast
 * address of the host's family (link-local is fine: RFC 4861 routers), the host's own address,
 * or the network / broadcast address of the host's subnet. Whether a gateway outside the subnet
 * is taken is the caller's (the kernel needs `onlink` for it).
 */
export function gatewayProblem(gw: string, host: string, prefix: number, family: 4 | 6): string | undefined {
  const why = family === 4 ? notUnicastV4(gw, { linkLocal: true }) : notUnicastV6(gw, { linkLocal: true });
  if (why) return why;
  if (addrValue(gw) === addrValue(host)) return "is the host's own address";
  if (family === 4 && inSubnet(gw, host, prefix)) return notHostInSubnet(gw, prefix);
  return undefined;
}

/** True when `gw` is on the link of `host/prefix` without `onlink`: in the subnet, or IPv6 link-local. */
export function gatewayOnLink(gw: string, host: string, prefix: number, family: 4 | 6): boolean {
  return family === 4 ? inSubnet(gw, host, prefix) : inSubnet6(gw, host, prefix) || /^fe[89ab]/i.test(gw);
}

// IPv6 router advertisement in a probe namespace: the kernel does the work (accept_ra, SLAAC,
// router solicitations with RFC 7559 backoff); we read its result with iproute2: a default
// route via a link-local router and a global, non-tentative SLAAC address. DNS options
// (RDNSS, DNSSL) are read by ra6-dns.ts; here dns stays [].
import { isIPv6 } from 'node:net';
import { ipJson } from '../../lib/ip.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import { getSysctl } from '../../lib/sysctl.ts';
import type { Ra6 } from '../types.ts';

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}
interface IpAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
  tentative?: boolean;
  dadfailed?: boolean;
  valid_life_time?: number;
  preferred_life_time?: number;
}
interface IpAddr {
  ifname?: string;
  addr_info?: IpAddrInfo[];
}

const FOREVER = 4294967295;

/** The RA result from `ip -j -6 route show default` and `ip -j -6 addr show`, if complete. */
export function parseRa6(ifname: string, routes: IpRoute[], addrs: IpAddr[]): Ra6 | undefined {
  const route = routes.find(
    (r) =>
      r.dst === 'default' &&
      (!r.dev || r.dev === ifname) &&
      typeof r.gateway === 'string' &&
      isIPv6(r.gateway) &&
      /^fe80:/i.test(r.gateway),
  );
  if (!route) return undefined;
  const infos = addrs.filter((a) => !a.ifname || a.ifname === ifname).flatMap((a) => a.addr_info ?? []);
  const addr = infos.find(
    (i) =>
      i.family === 'inet6' &&
      i.scope === 'global' &&
      !i.tentative &&
      !i.dadfailed &&
      typeof i.local === 'string' &&
      isIPv6(i.local) &&
      typeof i.prefixlen === 'number' &&
      i.prefixlen >= 1 &&
      i.prefixlen <= 128,
  );
  if (!addr) return undefined;
  const ra: Ra6 = { address: addr.local!, prefix: addr.prefixlen!, router: route.gateway!, dns: [] };
  if (typeof addr.valid_life_time === 'number' && addr.valid_life_time !== FOREVER) ra.validLft = addr.valid_life_time;
  if (typeof addr.preferred_life_time === 'number' && addr.preferred_life_time !== FOREVER)
    ra.preferredLft = addr.preferred_life_time;
  return ra;
}

/** Reads the RA result of `ifname` inside probe namespace `ref` (undefined: not yet). */
export async function readRa6(ref: NetnsRef, ifname: string): Promise<Ra6 | undefined> {
  // The route first: a NIC without a router (most of them) costs one fork, not two.
  const routes = await ipJson<IpRoute>(ref, ['-6', 'route', 'show', 'default', 'dev', ifname]);
  if (!routes.length) return undefined;
  const addrs = await ipJson<IpAddr>(ref, ['-6', 'addr', 'show', 'dev', ifname, 'scope', 'global']);
  const ra = parseRa6(
    ifname,
    routes.map((r) => ({ ...r, dev: r.dev ?? ifname })),
    addrs,
  );
  if (!ra) return undefined;
  // An RA MTU option lands in the per-device IPv6 MTU (RFC 4861 4.6.4); /proc/sys/net shows
  // the namespace of the reading process, hence read inside the probe namespace.
  const text = await getSysctl(ref, `net/ipv6/conf/${ifname}/mtu`);
  const mtu = Number(text);
  // discover.ts drops one the NIC cannot take (mtu.ts)
  if (text !== undefined && Number.isInteger(mtu) && mtu > 0) ra.mtu = mtu;
  return ra;
}

/**
 * Sysctls of the probe interface, set just after its udhcpc starts (probe-nic.ts): accept RAs,
 * solicit at once and keep soliciting (RFC 7559 backoff, capped at 30 s). DAD is off in the
 * throw-away namespace so the SLAAC address is usable at once (the link-local address's DAD
 * has begun by then: the first RS follows it, ~1 s after up); the address is checked again by
 * DAD when it is applied to `zos`. The
 * first RS is often lost while a link is still coming up, so solicitations start 1 s apart
 * (not RFC 4861's 4 s) and back off to 30 s.
 */
export function ra6Sysctls(ifname: string): string[] {
  const p = `net.ipv6.conf.${ifname.replace(/\./g, '/')}`;
  return [
    `${p}.disable_ipv6=0`,
    `${p}.accept_ra=1`,
    `${p}.autoconf=1`,
    `${p}.forwarding=0`,
    `${p}.accept_dad=0`,
    `${p}.router_solicitation_delay=0`,
    `${p}.router_solicitation_interval=1`,
    `${p}.router_solicitations=-1`,
    `${p}.router_solicitation_max_interval=30`,
  ];
}

// Puts what the probe learned on `zos` directly, so the node is online when the agent exits
// without a second DHCP round trip (Zero-OS threw the probe lease away: zos#2010): the v4 lease
// (address, option-121 routes or the router, MTU, DNS) or the RA (SLAAC address, default route
// via the link-local router, RDNSS), or the static `ip=` configuration.
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { dadFailed, dadTimeout, isKernelRefusal, noRaRoute, toAppError } from '../../lib/errors.ts';
import { ipJson } from '../../lib/ip.ts';
import { replaceAddress, replaceRoute, setLink, waitRunning } from '../../lib/rtnl.ts';
import type { Logger } from '../../lib/log.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import { sleep } from '../../lib/backoff.ts';
import { ZOS } from './bridge.ts';
import { mtuProblem } from '../../lib/mtu.ts';
import type { StaticIp } from '../cmdline.ts';
import type { Choice, Lease4, Ra6 } from '../types.ts';

/** Where and how to apply: namespace, the NIC under zos, resolv.conf path, logger. */
export interface ApplyOptions {
  /** Namespace to configure. */
  ns: NetnsRef;
  /** The NIC under zos (its MTU follows the lease's). */
  nic: string;
  /** resolv.conf to write DNS servers into (tests point it at a scratch file). */
  resolvConf: string;
  log: Logger;
  /** IPv6-only: how long to wait for the kernel's RA default route (default RA_ROUTE_WAIT_MS). */
  raRouteWaitMs?: number;
}

/** What ended up on zos, for the status file. */
export interface Applied {
  mode: 'dhcp' | 'ra' | 'static';
  addresses: string[];
  gateways: string[];
  dns: string[];
  /** The leased IPv4 address dhcp-zos must keep (undefined for RA-only and static). */
  leasedIp?: string;
}

/**
 * Sets the MTU of the NIC and zos (the bridge's own MTU follows its ports otherwise). A value
 * below IPv6's minimum (mtu.ts) or one the NIC refuses (a server's odd option 26) is logged and
 * skipped: it must not keep the node offline nor take IPv6 off zos.
 */
async function setMtu(o: ApplyOptions, mtu: number | undefined): Promise<void> {
  if (!mtu) return;
  const why = mtuProblem(mtu);
  if (why) {
    o.log.warn('apply.mtu-refused', { mtu, error: why });
    return;
  }
  try {
    await setLink(o.ns, o.nic, { mtu });
    await setLink(o.ns, ZOS, { mtu });
  } catch (err) {
    o.log.warn('apply.mtu-refused', { mtu, error: toAppError(err).message });
  }
}

/**
 * `ip route replace <dest> via <gw> dev zos` (in-process: lib/rtnl.ts), with `onlink` when the gateway is off-subnet.
 */
async function routeVia(o: ApplyOptions, family: '-4' | '-6', dest: string, via: string): Promise<void> {
  try {
    await replaceRoute(o.ns, { dest, via, dev: ZOS });
  } catch (err) {
    // The kernel refusing the gateway (off-subnet: ENETUNREACH), in-process or through `ip`; a timeout or a link gone
    // is thrown.
    if (family === '-6' || !isKernelRefusal(err)) throw err;
    await replaceRoute(o.ns, { dest, via, dev: ZOS, onlink: true });
  }
}

/** Writes the DNS servers (and search domain) to resolv.conf atomically; none: left alone. */
export async function writeResolvConf(
  path: string,
  dns: string[],
  domain: string | undefined,
  source: string,
): Promise<void> {
  if (!dns.length) return;
  const lines = [
    `# written by internet (${source} on ${ZOS})`,
    ...(domain ? [`search ${domain}`] : []),
    ...dns.map((d) => `nameserver ${d}`),
  ];
  await writeFileAtomic(path, lines.join('\n') + '\n');
}

/** Applies an IPv4 lease: RFC 3442 says option 121, when present, replaces the router option. */
export async function applyLease4(o: ApplyOptions, l: Lease4): Promise<Applied> {
  await setMtu(o, l.mtu);
  await replaceAddress(o.ns, ZOS, l.address, l.prefix, { broadcast: true });
  const routes = l.staticRoutes ?? [];
  const gateways: string[] = [];
  for (const r of routes) {
    const dest = r.dest === '0.0.0.0/0' ? 'default' : r.dest;
    try {
      if (r.via === '0.0.0.0') await replaceRoute(o.ns, { dest, dev: ZOS });
      else await routeVia(o, '-4', dest, r.via);
      if (dest === 'default') gateways.push(r.via);
    } catch (err) {
      // One odd option-121 route must not keep the node offline; the default route decides.
      o.log.warn('apply.route-refused', { dest, via: r.via, error: toAppError(err).message });
    }
  }
  if (!gateways.length) {
    await routeVia(o, '-4', 'default', l.router);
    gateways.push(l.router);
  }
  await writeResolvConf(o.resolvConf, l.dns, l.domain, 'DHCP');
  o.log.info('apply.v4', {
    address: `${l.address}/${l.prefix}`,
    gateway: gateways.join(','),
    mtu: l.mtu,
    dns: l.dns.join(',') || undefined,
  });
  return { mode: 'dhcp', addresses: [`${l.address}/${l.prefix}`], gateways, dns: l.dns, leasedIp: l.address };
}

/**
 * Applies the RA result. The probe namespace skipped DAD (discover's probe-ra6.ts), so the
 * address does DAD here; IPv6-only (`alone`), we wait for it, since the node is online only
 * once the address is usable. Beside a v4 lease the v4 side owns the link MTU and DNS, and DAD
 * finishes in the background. The default route is the kernel's, from the RAs zos accepts
 * (accept_ra, bridge.ts): `proto ra`, expiring with the router lifetime, withdrawn with it. A
 * static copy would block the kernel's own ("ndisc_router_discovery failed to add default
 * route") and never expire. IPv6-only, we wait for it (bounded) as for DAD.
 */
export async function applyRa6(o: ApplyOptions, ra: Ra6, alone = true): Promise<Applied> {
  if (alone) await setMtu(o, ra.mtu);
  await replaceAddress(
    o.ns,
    ZOS,
    ra.address,
    ra.prefix,
    ra.validLft !== undefined ? { validLft: ra.validLft, preferredLft: ra.preferredLft ?? ra.validLft } : {},
  );
  const router = alone
    ? (await Promise.all([waitRaRoute(o, ra.router, o.raRouteWaitMs), waitDad(o, ra.address)]))[0]
    : ra.router;
  // A link-local server (RFC 8106 allows it) is reachable only through zos: name the zone.
  if (alone)
    await writeResolvConf(
      o.resolvConf,
      ra.dns.map((d) => (/^fe[89ab]/i.test(d) ? `${d}%${ZOS}` : d)),
      ra.domains?.join(' '),
      'RA',
    );
  o.log.info('apply.v6', {
    address: `${ra.address}/${ra.prefix}`,
    gateway: router,
    dns: ra.dns.join(',') || undefined,
  });
  return { mode: 'ra', addresses: [`${ra.address}/${ra.prefix}`], gateways: [router], dns: ra.dns };
}

/** Bound of the wait for the kernel's RA default route on zos (RS after DAD, then the RA). */
export const RA_ROUTE_WAIT_MS = 15_000;

/** Waits for the kernel's default route on zos (proto ra); its router, `want` when there are several. */
async function waitRaRoute(o: ApplyOptions, want: string, ms = RA_ROUTE_WAIT_MS): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const routes = await ipJson<{ gateway?: string; protocol?: string }>(o.ns, [
      '-6',
      'route',
      'show',
      'default',
      'dev',
      ZOS,
    ]);
    const ra = routes.filter((r) => r.protocol === 'ra' && r.gateway);
    if (ra.length) return (ra.find((r) => r.gateway === want) ?? ra[0]!).gateway!;
    if (Date.now() > end) throw noRaRoute(ZOS, want, ms);
    await sleep(100);
  }
}

/** Waits until `address` on zos has passed DAD; EDADFAILED if another node holds it. */
async function waitDad(o: ApplyOptions, address: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const [l] = await ipJson<{ addr_info: { local: string; tentative?: boolean; dadfailed?: boolean }[] }>(o.ns, [
      '-6',
      'addr',
      'show',
      'dev',
      ZOS,
    ]);
    const a = l?.addr_info.find((x) => x.local === address);
    if (a?.dadfailed) throw dadFailed(address, ZOS);
    if (a && !a.tentative) return;
    if (Date.now() > end) throw dadTimeout(address, ZOS, ms);
    await sleep(100);
  }
}

/** Applies a Choice: the v4 lease when there is one (plus the RA if it came too), else the RA. */
export async function applyChoice(o: ApplyOptions, c: Choice): Promise<Applied> {
  if (!c.v4 && !c.v6) throw new Error(`choice for ${c.nic} has neither a lease nor an RA`);
  const v4 = c.v4 ? await applyLease4(o, c.v4) : undefined;
  const v6 = c.v6 ? await applyRa6(o, c.v6, !v4) : undefined;
  if (v4 && v6)
    return {
      ...v4,
      addresses: [...v4.addresses, ...v6.addresses],
      gateways: [...v4.gateways, ...v6.gateways],
      dns: [...v4.dns, ...v6.dns],
    };
  return (v4 ?? v6)!;
}

/** How long a static ip= waits for zos to have carrier before it reports online anyway. */
export const STATIC_CARRIER_WAIT_MS = 3000;

/**
 * Applies `ip=` static configuration (the hostname is recorded, not set: UTS is not ours). A
 * gateway outside the subnet gets an `onlink` route (cmdline.ts warned about it); an IPv6
 * address waits for DAD, as the RA's does.
 */
export async function applyStatic(o: ApplyOptions, s: StaticIp): Promise<Applied> {
  const fam = s.family === 6 ? '-6' : '-4';
  await replaceAddress(o.ns, ZOS, s.address, s.prefix, { broadcast: s.family === 4 });
  if (s.onlink) await replaceRoute(o.ns, { dest: 'default', via: s.gateway, dev: ZOS, onlink: true });
  else await routeVia(o, fam, 'default', s.gateway);
  if (s.family === 6) await waitDad(o, s.address);
  // No probe had the NIC up before: its carrier reaches zos up to a second after `up` (the
  // kernel's link watcher). Online means zos forwards, so wait for it (bounded; never fails).
  // Deliberately any failure: the wait is advice, a link that cannot be read counts as no carrier yet (logged).
  const running = await waitRunning(o.ns, ZOS, STATIC_CARRIER_WAIT_MS).catch((err: unknown) => {
    o.log.debug('apply.carrier-unknown', { error: toAppError(err).message });
    return false;
  });
  if (!running) o.log.warn('apply.no-carrier', { bridge: ZOS, waitedMs: STATIC_CARRIER_WAIT_MS });
  await writeResolvConf(o.resolvConf, s.dns, undefined, 'ip=');
  o.log.info('apply.static', {
    address: `${s.address}/${s.prefix}`,
    gateway: s.gateway,
    onlink: s.onlink,
    dns: s.dns.join(',') || undefined,
  });
  return { mode: 'static', addresses: [`${s.address}/${s.prefix}`], gateways: [s.gateway], dns: s.dns };
}

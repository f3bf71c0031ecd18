// The MTU of an NR: the underlay's path MTU (the MTU of the link of the route to each peer's
// endpoint, or the route's own MTU metric when smaller, as `ip route get` reads them; the host's
// IPv4 default route's link when no peer has one), the smallest, minus 80 (the IPv6 + UDP +
// WireGuard headers, the larger of the two families), so a 1280..9000-byte underlay carries
// full TCP segments without PMTUD (MSS is clamped in the NR: nr-firewall.ts). The WireGuard
// link, the leg, the bridge and every workload nic take it. On an underlay below 1360 bytes the
// NR's MTU is below 1280, where the kernel turns IPv6 off on a link: the NR then carries IPv4
// only (docs/overlay.md).
import { runIn, SELF } from '../../lib/netns.ts';
import { ipv4DefaultRoutes, linksNamed, routesTo } from '../../lib/rtnl.ts';
import type { NetworkDocument } from './document.ts';

/** WireGuard's overhead over IPv6: 40 (IPv6) + 8 (UDP) + 32 (WireGuard). */
export const WG_OVERHEAD = 80;
/** Never below IPv4's minimum datagram. */
export const MIN_MTU = 576;
/** What an underlay link we cannot read is taken to carry. */
const FALLBACK_LINK_MTU = 1500;

/** The address of endpoint `ip:port` / `[v6]:port`. */
export const endpointHost = (e: string): string =>
  e.startsWith('[') ? e.slice(1, e.indexOf(']')) : e.slice(0, e.lastIndexOf(':'));

/**
 * Up to this many endpoints are looked up in-process; more go through one `ip -batch`. Each
 * in-process lookup is ~0.4 ms of the daemon's thread (the package's encoding and parsing): 250
 * took 100-110 ms, where one `ip -batch` of 250 `route get`s took 25-55 ms.
 */
const IN_PROCESS_MAX = 8;

/**
 * The MTU of the link the host routes each of `dsts` (none: its IPv4 default) through, where
 * it has a route, capped by the route's own MTU metric: in-process (lib/rtnl.ts routesTo,
 * ipv4DefaultRoutes: a request per endpoint or the IPv4 routes, and one per link: no dump of
 * every link) for a few endpoints, else one `ip -batch` of `route get`s whatever their number,
 * and their links read by name.
 */
async function routeMtus(dsts: readonly string[]): Promise<number[]> {
  const fast =
    dsts.length > IN_PROCESS_MAX
      ? undefined
      : await (dsts.length ? routesTo(SELF, dsts) : ipv4DefaultRoutes(SELF)).catch(() => undefined);
  if (fast) return fast.flatMap((r) => (r ? [Math.min(r.linkMtu, r.mtu ?? Infinity)] : []));
  const lines = dsts.length ? dsts.map((d) => `route get ${d}`) : ['route show default'];
  const r = await runIn(SELF, 'ip', ['-j', '-force', '-batch', '-'], {
    input: `${lines.join('\n')}\n`,
    allowFailure: true,
    timeoutMs: 15_000,
  });
  const routes = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('['))
    .flatMap((l) => {
      try {
        return JSON.parse(l) as { dev?: string; metrics?: { mtu?: number }[] }[];
      } catch {
        return [];
      }
    });
  const devs = [...new Set(routes.flatMap((rt) => (rt.dev ? [rt.dev] : [])))];
  const links = new Map((await linksNamed(SELF, devs).catch(() => [])).map((l) => [l.ifname, l.mtu]));
  return routes.flatMap((rt) => {
    const m = rt.dev ? links.get(rt.dev) : undefined;
    // ip -j prints a route's MTU metric (`mtu lock 1300`, a learned path MTU) as metrics[].mtu.
    const metric = rt.metrics?.find((x) => x.mtu)?.mtu;
    return m === undefined ? [] : [Math.min(m, metric ?? Infinity)];
  });
}

/** The NR's MTU for `doc` on this host (the smallest path MTU minus 80). */
export async function nrMtu(doc: NetworkDocument): Promise<number> {
  const ends = [...new Set(doc.peers.flatMap((p) => (p.endpoint ? [endpointHost(p.endpoint)] : [])))];
  const mtus = await routeMtus(ends);
  const under = mtus.length ? Math.min(...mtus) : FALLBACK_LINK_MTU;
  return Math.max(MIN_MTU, under - WG_OVERHEAD);
}

/** Whether links of `mtu` carry IPv6 (the kernel turns IPv6 off on links below 1280 bytes). */
export const carriesIpv6 = (mtu: number): boolean => mtu >= 1280;

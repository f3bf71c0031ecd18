// What is already on the node, read before changing anything: is `zos` complete (bridge, up,
// a port, a global address and a default route through it), half-built, or absent? The Go agent
// could not rerun on a configured node; this one checks and exits 0 without touching it.
import { ipJson, type IpLink } from '../../lib/ip.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import { ZOS } from './bridge.ts';
import { listLinksFast, readAddrsAndDefaults, readLink } from '../../lib/rtnl.ts';

/** One address of zos as `ip -j addr` shows it. */
interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  tentative?: boolean;
  dadfailed?: boolean;
}

/** The network state of zos in one namespace. */
export interface ZosState {
  exists: boolean;
  kind?: string;
  up: boolean;
  mac?: string;
  ports: { name: string; mac?: string }[];
  /** Global addresses as address/prefix. */
  v4: string[];
  v6: string[];
  default4?: string;
  default6?: string;
}

/**
 * Reads zos's state in `ns`. `links`: the namespace's links as just read (the preflight's), so
 * they are not read again; addresses and default routes come from two in-process dumps where
 * lib/rtnl serves (a rerun on a configured node forked four `ip` before, one after another).
 */
export async function readZosState(ns: NetnsRef, links?: IpLink[]): Promise<ZosState> {
  // Absent (every first boot): one in-process read, no fork (lib/rtnl.ts).
  if (!(await readLink(ns, ZOS))) return { exists: false, up: false, ports: [], v4: [], v6: [] };
  const all = links?.some((l) => l.ifname === ZOS) ? links : await listLinksFast(ns);
  const zos = all.find((l) => l.ifname === ZOS);
  const st: ZosState = { exists: !!zos, up: false, ports: [], v4: [], v6: [] };
  if (!zos) return st;
  st.kind = zos.linkinfo?.info_kind ?? 'none';
  st.up = zos.flags.includes('UP');
  if (zos.address) st.mac = zos.address;
  st.ports = all
    .filter((l) => l.master === ZOS)
    .map((l) => ({ name: l.ifname, ...(l.address ? { mac: l.address } : {}) }));
  // any in-process failure: `ip` below reads the same
  const live = await readAddrsAndDefaults(ns).catch(() => undefined);
  if (live) {
    for (const a of live.addrs)
      if (a.index === zos.ifindex && a.global && !a.dadfailed)
        (a.family === 4 ? st.v4 : st.v6).push(`${a.address}/${a.prefix}`);
    const gw = (f: 4 | 6) => live.defaults.find((r) => r.family === f && r.oif === zos.ifindex && r.gateway)?.gateway;
    if (gw(4)) st.default4 = gw(4);
    if (gw(6)) st.default6 = gw(6);
    return st;
  }
  const [[addrs], d4, d6] = await Promise.all([
    ipJson<{ addr_info: AddrInfo[] }>(ns, ['addr', 'show', 'dev', ZOS]),
    ipJson<{ gateway?: string }>(ns, ['-4', 'route', 'show', 'default', 'dev', ZOS]),
    ipJson<{ gateway?: string }>(ns, ['-6', 'route', 'show', 'default', 'dev', ZOS]),
  ]);
  for (const a of addrs?.addr_info ?? []) {
    if (a.scope !== 'global' || a.dadfailed) continue;
    (a.family === 'inet' ? st.v4 : st.v6).push(`${a.local}/${a.prefixlen}`);
  }
  if (d4[0]?.gateway) st.default4 = d4[0].gateway;
  if (d6[0]?.gateway) st.default6 = d6[0].gateway;
  return st;
}

/** zos is a bridge, up, with a port, and has a global address with a default route via it. */
export function isOnline(s: ZosState): boolean {
  return (
    s.exists &&
    s.kind === 'bridge' &&
    s.up &&
    s.ports.length > 0 &&
    ((s.v4.length > 0 && !!s.default4) || (s.v6.length > 0 && !!s.default6))
  );
}

/** Does the port match `zos.nic=` (a name or a MAC)? No pin: any port does. */
export function portMatchesPin(s: ZosState, pin: string | undefined): boolean {
  return pin === undefined || s.ports.some((p) => p.name === pin || p.mac === pin);
}

// Which links discovery may probe. Physical, non-wireless NICs (a device behind them), or
// exactly `--nics` (which admits veth, as tests need); `zos.nic=` narrows to one. A NIC that
// carries a global address or the default route is never moved (that would cut a live
// connection, e.g. a VM's own eth0), unless it is already a port of `zos`. Link facts come from
// `ip -j -d link` in the agent's namespace, not /sys, which shows the mount namespace's links;
// /sys is read only for a link whose ifindex there matches (wireless, device).
import { existsSync, readFileSync } from 'node:fs';
import { isMissingPath, noNic, ValidationError } from '../../lib/errors.ts';
import { ipJson, listLinks, type IpLink } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { readAddrsAndDefaults } from '../../lib/rtnl.ts';
import type { Logger } from '../../lib/log.ts';

/** A link discovery may probe (or must skip, with the reason). */
export interface Candidate {
  name: string;
  ifindex: number;
  mac: string;
  mtu: number;
  /** The largest MTU the NIC takes (`max_mtu` of `ip -d link`; 65535 when not shown). */
  maxMtu: number;
  /** Set when the NIC must not be probed; the reason goes into ProbeResult.note. */
  skip?: string;
}

const VIRTUAL_TYPES = new Set(['loopback', 'none', 'void', 'ipip', 'sit', 'gre', 'ip6tnl']);

/** /sys/class/net/NAME facts, only when /sys describes this very link (same ifindex). */
function sysFacts(l: IpLink): { device: boolean; wireless: boolean } | undefined {
  const dir = `/sys/class/net/${l.ifname}`;
  try {
    if (Number(readFileSync(`${dir}/ifindex`, 'utf8').trim()) !== l.ifindex) return undefined;
  } catch (err) {
    if (isMissingPath(err)) return undefined; // no /sys entry of that name (renamed, or another namespace's /sys)
    throw err;
  }
  return {
    device: existsSync(`${dir}/device`),
    wireless: existsSync(`${dir}/wireless`) || existsSync(`${dir}/phy80211`),
  };
}

/** True for a physical, non-wireless NIC. */
export function isPhysical(l: IpLink, sys = sysFacts(l)): boolean {
  if (l.ifname === 'lo' || (l.link_type && VIRTUAL_TYPES.has(l.link_type))) return false;
  if (l.link_type && l.link_type !== 'ether') return false;
  if (l.linkinfo?.info_kind) return false; // veth, bridge, vlan, bond, tun, macvlan, ...
  if (sys?.wireless) return false;
  return !!(l.parentbus || l.parentdev || sys?.device);
}

interface IpAddr {
  ifname: string;
  addr_info?: { scope?: string; family?: string; local?: string }[];
}
interface IpRoute {
  dev?: string;
}

/** Why `l` must not be moved, if it carries a live connection (undefined: free to probe). */
function liveReason(l: IpLink, addrs: IpAddr[], defaults: IpRoute[]): string | undefined {
  if (l.master === 'zos') return undefined;
  if (l.master) return `enslaved to ${l.master}: not moved`;
  if (defaults.some((r) => r.dev === l.ifname)) return 'carries the default route: not moved';
  const global = addrs.find((a) => a.ifname === l.ifname)?.addr_info?.find((i) => i.scope === 'global');
  if (global) return `carries global address ${global.local}: not moved`;
  return undefined;
}

/** Selection options: `--nics`, `zos.nic=`, and (tests only) what counts as physical. */
export interface CandidateOptions {
  nics?: string[];
  pin?: string;
  physical?: (l: IpLink) => boolean;
}

/** True when link `l` is the one `zos.nic=` names (by name, or MAC in any case). */
export const pinMatches = (l: IpLink, pin: string): boolean =>
  l.ifname === pin || l.address?.toLowerCase() === pin.toLowerCase();

/**
 * The links of `links` that are candidates: exactly `--nics`, else the physical ones; narrowed
 * to the `zos.nic` pin (a pin by name also admits a virtual link, as `--nics` does). Pure, so
 * preflight refuses what discovery would refuse. Throws ENONIC (naming the field) when --nics or
 * zos.nic names no NIC here, ValidationError for one that cannot be the NIC.
 */
export function selectLinks(links: IpLink[], opts: CandidateOptions, log?: Logger): IpLink[] {
  const physical = opts.physical ?? ((l: IpLink) => isPhysical(l));
  let chosen: IpLink[];
  if (opts.nics) {
    chosen = [];
    for (const name of opts.nics) {
      const l = links.find((x) => x.ifname === name);
      if (!l)
        throw noNic(
          `--nics: no link named ${JSON.stringify(name)} in the agent's namespace ` +
            `(have: ${links.map((x) => x.ifname).join(', ')})`,
          { field: '--nics' },
        );
      if (l.ifname === 'lo') throw new ValidationError('--nics', '"lo" cannot carry the node\'s network');
      if (l.ifname === 'zos') throw new ValidationError('--nics', '"zos" is the bridge the agent builds: name its NIC');
      notEthernet('--nics', l);
      if (!chosen.includes(l)) chosen.push(l);
    }
  } else {
    chosen = links.filter((l) => physical(l) || (l.ifname === opts.pin && l.ifname !== 'lo' && l.ifname !== 'zos'));
    for (const l of links.filter((x) => !chosen.includes(x) && x.ifname !== 'lo'))
      log?.debug('not-a-candidate', { nic: l.ifname, kind: l.linkinfo?.info_kind ?? l.link_type });
  }
  if (opts.pin !== undefined) {
    const hit = chosen.filter((l) => pinMatches(l, opts.pin!));
    if (!hit.length)
      throw noNic(
        `zos.nic: ${JSON.stringify(opts.pin)} matches no candidate NIC ` +
          `(have: ${chosen.map((l) => `${l.ifname} ${l.address}`).join(', ') || 'none'})`,
        { field: 'zos.nic' },
      );
    chosen = hit;
    for (const l of chosen) notEthernet('zos.nic', l);
  }
  return chosen;
}

/** Throws when `l` is not an Ethernet link (a bridge takes no tun, ipip, wireguard port). */
export function notEthernet(field: string, l: IpLink): void {
  if (l.link_type && l.link_type !== 'ether') {
    throw new ValidationError(
      field,
      `"${l.ifname}" is not an Ethernet link (link/${l.link_type}): it cannot be the NIC under zos`,
    );
  }
}

/** Lists the candidates in the agent's namespace; errors as selectLinks. */
export async function findCandidates(opts: CandidateOptions & { links?: IpLink[] }, log: Logger): Promise<Candidate[]> {
  return toCandidates(selectLinks(opts.links ?? (await listLinks(SELF)), opts, log));
}

/** Global addresses and default routes of this namespace: two in-process dumps (lib/rtnl.ts), else three `ip` forks. */
async function liveFacts(links: IpLink[]): Promise<{ addrs: IpAddr[]; defaults: IpRoute[] }> {
  if (!links.length) return { addrs: [], defaults: [] };
  // any in-process failure: `ip` below reads the same
  const live = await readAddrsAndDefaults(SELF).catch(() => undefined);
  if (live) {
    const name = new Map(links.map((l) => [l.ifindex, l.ifname]));
    return {
      addrs: live.addrs
        .filter((a) => a.global && name.has(a.index))
        .map((a) => ({ ifname: name.get(a.index)!, addr_info: [{ scope: 'global', local: a.address }] })),
      defaults: live.defaults
        .filter((r) => r.oif !== undefined && name.has(r.oif))
        .map((r) => ({ dev: name.get(r.oif!)! })),
    };
  }
  const [addrs, def4, def6] = await Promise.all([
    ipJson<IpAddr>(SELF, ['addr', 'show']),
    ipJson<IpRoute>(SELF, ['-4', 'route', 'show', 'default']),
    ipJson<IpRoute>(SELF, ['-6', 'route', 'show', 'default']),
  ]);
  return { addrs, defaults: [...def4, ...def6] };
}

async function toCandidates(links: IpLink[]): Promise<Candidate[]> {
  const { addrs, defaults } = await liveFacts(links);
  return links.map((l) => {
    const skip = liveReason(l, addrs, defaults);
    const max = (l as IpLink & { max_mtu?: number }).max_mtu;
    const c: Candidate = {
      name: l.ifname,
      ifindex: l.ifindex,
      mac: l.address ?? '',
      mtu: l.mtu,
      maxMtu: typeof max === 'number' && max > 0 ? max : 65535,
    };
    if (skip) c.skip = skip;
    return c;
  });
}

/**
 * A link that appeared after discovery started (a driver loading late, a USB NIC), if it is a
 * candidate: physical and matching the pin. Without `--nics` only; undefined when it is not.
 */
export async function lateCandidate(name: string, opts: CandidateOptions): Promise<Candidate | undefined> {
  if (opts.nics || name === 'lo') return undefined;
  const [l] = await listLinks(SELF, name);
  if (!l || !((opts.physical ?? ((x: IpLink) => isPhysical(x)))(l) || l.ifname === opts.pin)) return undefined;
  if (opts.pin !== undefined && !pinMatches(l, opts.pin)) return undefined;
  return (await toCandidates([l]))[0];
}

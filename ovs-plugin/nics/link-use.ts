// Whether a host link is in use, beyond what allowedParent (parent.ts) refuses: the lower link
// of a macvlan (or another link stacked on it: macvtap, ipvlan, ipvtap, vlan; a vxlan's
// underlay `dev`) on the host or recorded by an attachment, or the link carrying a host address (global scope) or a
// default
// route. Passthrough refuses such a link with EBUSY naming nic.id: moving it away would cut the
// stacked links off their wire, or take the node's address and route with it (detach gives the
// link back, not its addresses and routes). A macvlan may share its parent with both.
import { ipJson, listLinks, type IpLink } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { nicBusy } from './errors.ts';
import type { NicRecord } from './types.ts';

/** Kinds of link that sit on a lower link (`ip -j -d link` names it in `link`). */
const STACKED = new Set(['macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan']);

type Addr = { addr_info?: { local: string; prefixlen: number; scope: string }[] };
type Route = { dst: string; dev?: string; table?: string; nexthops?: { dev?: string }[] };

/** EBUSY naming nic.id when an attachment records a macvlan on `id` (under the state lock: records only). */
export function claimNoUpper(id: string, all: readonly NicRecord[]): void {
  const rec = all.find((r) => r.parent === id);
  if (rec)
    throw nicBusy('nic.id', `${id} is the parent of ${rec.nic.type} ${rec.name} of ${rec.key.split('/')[0]}`, {
      link: id,
    });
}

/** A link stacked on `id` in the host (a vxlan: `id` its underlay). */
async function upperOf(id: string): Promise<string | undefined> {
  const l = ((await listLinks(SELF)) as (IpLink & { link?: string })[]).find(
    (x) =>
      (x.link === id && STACKED.has(x.linkinfo?.info_kind ?? '')) ||
      (x.linkinfo?.info_kind === 'vxlan' && x.linkinfo.info_data?.link === id),
  );
  return l && `${l.linkinfo!.info_kind} ${l.ifname}`;
}

/** The first global address on `id`, in cidr form. */
async function hostAddress(id: string): Promise<string | undefined> {
  const a = (await ipJson<Addr>(SELF, ['addr', 'show', 'dev', id]))[0]?.addr_info?.find((x) => x.scope === 'global');
  return a && `${a.local}/${a.prefixlen}`;
}

/** A default route (IPv4 or IPv6, any table, a nexthop of a multipath one too) through `id`. */
async function defaultRoute(id: string): Promise<string | undefined> {
  for (const family of ['-4', '-6']) {
    const r = (await ipJson<Route>(SELF, [family, 'route', 'show', 'table', 'all', 'default'])).find(
      (x) => x.dev === id || x.nexthops?.some((n) => n.dev === id),
    );
    if (r) return `${family === '-4' ? 'IPv4' : 'IPv6'} default route${r.table ? ` (table ${r.table})` : ''}`;
  }
  return undefined;
}

/**
 * EBUSY naming nic.id when the host link `id` is in use in the kernel (above; claimNoUpper checks the records);
 * passthrough's check.
 */
export async function refuseLinkInUse(id: string): Promise<void> {
  const upper = await upperOf(id);
  if (upper) throw nicBusy('nic.id', `${id} is the parent of ${upper}`, { link: id });
  const addr = await hostAddress(id);
  if (addr) throw nicBusy('nic.id', `${id} carries the host's address ${addr}`, { link: id });
  const route = await defaultRoute(id);
  if (route) throw nicBusy('nic.id', `${id} carries the host's ${route}`, { link: id });
}

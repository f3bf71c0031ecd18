// Link, address and route changes through rtnetlink, in-process (the `netlink` package's
// socket): no fork per step on the agent's only thread, where each `ip` child costs a few ms
// (20-50 ms under QEMU TCG). Node cannot setns, so only SELF goes in-process; a link is moved
// into another namespace by its file descriptor (IFLA_NET_NS_FD) and set up there in the same
// message. Any other namespace, or a bundle whose native addon cannot load (a broken bundle must
// not leave a node offline), gets the same change through `ip`. Failures are the typed errors
// of lib/ip.ts: LinkNotFoundError for ENODEV, else RtnlError naming the errno (the socket: lib/rtnl-socket.ts).
import { closeSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import { isIPv4 } from 'node:net';
import { sleep } from './backoff.ts';
import { LinkNotFoundError, RtnlError } from './errors.ts';
import { ip, listLinks, type IpLink } from './ip.ts';
import { netnsPath, netnsTarget, type NetnsRef } from './netns.ts';
import { inProcess, rtnlRequest, rtnlSocket, type Nl } from './rtnl-socket.ts';
import type { RtNetlinkSocket } from 'netlink';

export { inProcess } from './rtnl-socket.ts';

const FLAGS = { REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400 } as const;
/** RTNH_F_ONLINK, a next-hop flag carried in rtm_flags (the package names only the RTM_F_* ones). */
const RTNH_F_ONLINK = 4;

/** One request on the shared socket (lib/rtnl-socket.ts). */
const req = <T>(what: string, dev: string | undefined, fn: (s: RtNetlinkSocket, nl: Nl) => Promise<T>): Promise<T> =>
  rtnlRequest(what, dev, (r) => fn(r.sock, r.nl));

/** ifindex of `name` in this namespace (LinkNotFoundError when there is none). */
export async function linkIndex(name: string): Promise<number> {
  const [m] = await req(`get link ${name}`, name, (s) => s.getLink({}, { ifname: name }));
  if (m?.data.index === undefined)
    throw new LinkNotFoundError(
      { command: `rtnetlink get link ${name}`, exitCode: 2, stderr: `Device "${name}" does not exist.` },
      name,
    );
  return m.data.index;
}

/** Sets `name` up or down (`ip link set NAME up|down`). */
export async function setLinkUp(ref: NetnsRef, name: string, up: boolean): Promise<void> {
  if (!(await inProcess(ref))) {
    await ip(ref, ['link', 'set', 'dev', name, up ? 'up' : 'down']);
    return;
  }
  await req(`set link ${name} ${up ? 'up' : 'down'}`, name, (s) =>
    s.setLink({ flags: up ? { up: true } : {}, change: { up: true } }, { ifname: name }),
  );
}

/**
 * Moves `name` from `ref` into `to` (by its file) and sets it up there, in one message:
 * the kernel moves it first (which takes it down) and applies the flags in its new namespace.
 */
export async function moveLinkUp(ref: NetnsRef, name: string, to: NetnsRef): Promise<void> {
  if (!(await inProcess(ref))) {
    await ip(ref, ['link', 'set', 'dev', name, 'netns', netnsTarget(to)]);
    await ip(to, ['link', 'set', 'dev', name, 'up']);
    return;
  }
  const nsPath = 'name' in to ? netnsPath(to.name) : 'path' in to ? to.path : `/proc/${process.pid}/ns/net`;
  const fd = openSync(nsPath, 'r');
  try {
    await req(`set link ${name} netns ${nsPath} up`, name, (s) =>
      s.setLink({ flags: { up: true }, change: { up: true } }, { ifname: name, netNsFd: fd }),
    );
  } finally {
    closeSync(fd);
  }
}

/** Creates bridge `name` with STP off, and VLAN filtering on when asked (EEXIST: RtnlError). */
export async function addBridge(ref: NetnsRef, name: string, vlanFiltering: boolean): Promise<void> {
  if (!(await inProcess(ref))) {
    await ip(ref, [
      'link',
      'add',
      name,
      'type',
      'bridge',
      'stp_state',
      '0',
      ...(vlanFiltering ? ['vlan_filtering', '1'] : []),
    ]);
    return;
  }
  await req(`add bridge ${name}`, undefined, (s, nl) => {
    const u32 = Buffer.alloc(4); // stp_state 0
    const data = nl.ifla.formatBridge({ stpState: u32, ...(vlanFiltering ? { vlanFiltering: Buffer.from([1]) } : {}) });
    const linkinfo = nl.ifla.formatInfo({ kind: 'bridge', data: data as Buffer }) as Buffer;
    return s.newLink({}, { ifname: name, linkinfo }, { flags: FLAGS.CREATE | FLAGS.EXCL });
  });
}

/**
 * Turns VLAN filtering on for bridge `name` (`ip link set NAME type bridge vlan_filtering 1`).
 * Apart from creating the bridge: a kernel that refuses it then refuses only this change,
 * where a refused create with it takes ~40 ms to unregister the half-made bridge.
 */
export async function setBridgeVlanFiltering(ref: NetnsRef, name: string): Promise<void> {
  if (!(await inProcess(ref))) {
    await ip(ref, ['link', 'set', name, 'type', 'bridge', 'vlan_filtering', '1']);
    return;
  }
  await req(`set bridge ${name} vlan_filtering 1`, name, (s, nl) => {
    const data = nl.ifla.formatBridge({ vlanFiltering: Buffer.from([1]) });
    const linkinfo = nl.ifla.formatInfo({ kind: 'bridge', data: data as Buffer }) as Buffer;
    return s.newLink({}, { ifname: name, linkinfo }); // no CREATE: changes the existing one
  });
}

/** What setLink changes on a link: its master (null: none), MAC, MTU. */
export interface LinkChange {
  master?: string | null;
  mac?: string;
  mtu?: number;
}

/** `ip link set NAME [master M | nomaster] [address MAC] [mtu N]` in one message. */
export async function setLink(ref: NetnsRef, name: string, c: LinkChange): Promise<void> {
  if (!(await inProcess(ref))) {
    await ip(ref, [
      'link',
      'set',
      'dev',
      name,
      ...(c.master === null ? ['nomaster'] : c.master ? ['master', c.master] : []),
      ...(c.mac ? ['address', c.mac] : []),
      ...(c.mtu ? ['mtu', String(c.mtu)] : []),
    ]);
    return;
  }
  const master = c.master === undefined ? undefined : c.master === null ? 0 : await linkIndex(c.master);
  await req(`set link ${name}`, name, (s) =>
    s.setLink(
      {},
      {
        ifname: name,
        ...(master !== undefined ? { master } : {}),
        ...(c.mac ? { address: Buffer.from(c.mac.split(':').map((h) => parseInt(h, 16))) } : {}),
        ...(c.mtu ? { mtu: c.mtu } : {}),
      },
    ),
  );
}

const ipBytes = (a: string): Buffer => {
  if (isIPv4(a)) return Buffer.from(a.split('.').map(Number));
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(
    words.flatMap((w) => {
      const n = parseInt(w || '0', 16);
      return [n >> 8, n & 255];
    }),
  );
};

/** Address options: IPv4 broadcast derived from the prefix (`broadcast +`), lifetimes in s. */
export interface AddrOptions {
  broadcast?: boolean;
  validLft?: number;
  preferredLft?: number;
}

/** `ip addr replace ADDR/PREFIX dev DEV [broadcast +] [valid_lft .. preferred_lft ..]`. */
export async function replaceAddress(
  ref: NetnsRef,
  dev: string,
  address: string,
  prefix: number,
  o: AddrOptions = {},
): Promise<void> {
  const v4 = isIPv4(address);
  if (!(await inProcess(ref))) {
    await ip(ref, [
      v4 ? '-4' : '-6',
      'addr',
      'replace',
      `${address}/${prefix}`,
      ...(v4 && o.broadcast ? ['broadcast', '+'] : []),
      'dev',
      dev,
      ...(o.validLft !== undefined
        ? ['valid_lft', String(o.validLft), 'preferred_lft', String(o.preferredLft ?? o.validLft)]
        : []),
    ]);
    return;
  }
  const index = await linkIndex(dev);
  const local = ipBytes(address);
  let broadcast: Buffer | undefined;
  if (v4 && o.broadcast && prefix < 31) {
    const n = local.readUInt32BE(0) | (prefix === 0 ? 0xffffffff : 0xffffffff >>> prefix);
    broadcast = Buffer.alloc(4);
    broadcast.writeUInt32BE(n >>> 0, 0);
  }
  const cacheInfo =
    o.validLft === undefined ? undefined : { ifaPrefered: o.preferredLft ?? o.validLft, ifaValid: o.validLft };
  await req(`replace address ${address}/${prefix} dev ${dev}`, dev, (s) =>
    s.newAddress(
      { family: v4 ? 2 : 10, prefixlen: prefix, index, scope: 0 },
      { address: local, local, ...(broadcast ? { broadcast } : {}), ...(cacheInfo ? { cacheInfo } : {}) },
      { flags: FLAGS.CREATE | FLAGS.REPLACE },
    ),
  );
}

/** A route to replace: `dest` 'default' or CIDR; `via` a gateway, or none for on-link (scope link). */
export interface RouteSpec {
  dest: string;
  via?: string;
  dev: string;
  onlink?: boolean;
}

/** `ip route replace DEST [via GW] dev DEV [onlink | scope link]` (main table, proto boot). */
export async function replaceRoute(ref: NetnsRef, r: RouteSpec): Promise<void> {
  const [addr, len] =
    r.dest === 'default'
      ? [undefined, 0]
      : [r.dest.split('/')[0]!, Number(r.dest.split('/')[1] ?? (isIPv4(r.dest) ? 32 : 128))];
  const v4 = r.via ? isIPv4(r.via) : addr ? isIPv4(addr) : true;
  if (!(await inProcess(ref))) {
    await ip(ref, [
      v4 ? '-4' : '-6',
      'route',
      'replace',
      r.dest,
      ...(r.via ? ['via', r.via] : []),
      'dev',
      r.dev,
      ...(r.onlink ? ['onlink'] : []),
      ...(r.via ? [] : ['scope', 'link']),
    ]);
    return;
  }
  const oif = await linkIndex(r.dev);
  await req(`replace route ${r.dest}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}`, r.dev, (s) =>
    s.newRoute(
      {
        family: v4 ? 2 : 10,
        dstLen: len,
        table: 254,
        protocol: 'BOOT',
        scope: r.via ? 'UNIVERSE' : 'LINK',
        type: 'UNICAST',
        ...(r.onlink ? { flags: { __unknown: RTNH_F_ONLINK } } : {}),
      },
      { ...(addr ? { dst: ipBytes(addr) } : {}), ...(r.via ? { gateway: ipBytes(r.via) } : {}), oif },
      { flags: FLAGS.CREATE | FLAGS.REPLACE },
    ),
  );
}

/** A route the kernel picks (`ip route get`): its output link (index, name, MTU), and its MTU metric if it has one. */
export interface RouteToFact {
  oif: number;
  dev: string;
  linkMtu: number;
  mtu?: number;
}

/** The output link of each of `oifs` (RouteToFact's link part), read once per distinct index. */
async function outLinks(ref: NetnsRef, oifs: readonly (number | undefined)[]): Promise<Map<number, IpLink>> {
  const links = new Map<number, IpLink>();
  for (const i of new Set(oifs)) {
    const l = i === undefined ? undefined : await linkAt(ref, i);
    if (l) links.set(l.ifindex, l);
  }
  return links;
}

/**
 * `ip route get` for each of `dsts` in this namespace, in-process: the output link and MTU
 * metric of each, null where the kernel has no route to it (refused: unreachable); undefined
 * where lib/rtnl does not serve (the caller uses `ip`).
 */
export async function routesTo(ref: NetnsRef, dsts: readonly string[]): Promise<(RouteToFact | null)[] | undefined> {
  if (!(await inProcess(ref))) return undefined;
  const got: { oif?: number; mtu?: number }[] = [];
  for (const d of dsts) {
    const v4 = isIPv4(d);
    const [m] = await req(`get route ${d}`, undefined, (s) =>
      s.getRoute({ family: v4 ? 2 : 10, dstLen: v4 ? 32 : 128 }, { dst: ipBytes(d) }),
    ).catch((err: unknown) => {
      if (err instanceof RtnlError || err instanceof LinkNotFoundError) return [];
      throw err;
    });
    const mtu = m?.attrs.metrics?.mtu;
    got.push({
      ...(m?.attrs.oif !== undefined ? { oif: m.attrs.oif } : {}),
      ...(mtu && mtu.length >= 4 ? { mtu: LE ? mtu.readUInt32LE(0) : mtu.readUInt32BE(0) } : {}),
    });
  }
  const links = await outLinks(
    ref,
    got.map((g) => g.oif),
  );
  return got.map((g) => {
    const l = g.oif === undefined ? undefined : links.get(g.oif);
    return l ? { oif: l.ifindex, dev: l.ifname, linkMtu: l.mtu, ...(g.mtu ? { mtu: g.mtu } : {}) } : null;
  });
}

/** The main table's IPv4 default routes in routesTo's shape (no metric); undefined where lib/rtnl does not serve. */
export async function ipv4DefaultRoutes(ref: NetnsRef): Promise<RouteToFact[] | undefined> {
  if (!(await inProcess(ref))) return undefined;
  const oifs = (await defaultRoutes(4)).filter((r) => r.family === 4 && r.oif !== undefined).map((r) => r.oif);
  const links = await outLinks(ref, oifs);
  return [...links.values()].map((l) => ({ oif: l.ifindex, dev: l.ifname, linkMtu: l.mtu }));
}

/**
 * Waits until `name` is running (IFF_RUNNING: carrier seen by the kernel's link watcher, which
 * may lag a second behind `up`), polling every 20 ms, at most `ms`. False when it is not by then.
 */
export async function waitRunning(ref: NetnsRef, name: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const running = (await inProcess(ref))
      ? !!(await req(`get link ${name}`, name, (s) => s.getLink({}, { ifname: name })))[0]?.data.flags?.running
      : ((line) => /[<,]UP[,>]/.test(line) && !/NO-CARRIER/.test(line))(
          await ip(ref, ['-o', 'link', 'show', 'dev', name]),
        );
    if (running) return true;
    if (Date.now() > end) return false;
    await sleep(20);
  }
}

/** What readLink tells of one link: enough to build zos on it (bridge.ts) or see it is absent. */
export interface LinkFacts {
  index: number;
  mtu: number;
  kind?: string;
  master?: string;
  mac?: string;
  vlanFiltering?: boolean;
  up: boolean;
}

/** Reads link `name` in `ref` (undefined: no such link); in-process where lib/rtnl serves, else `ip -j -d`. */
export async function readLink(ref: NetnsRef, name: string): Promise<LinkFacts | undefined> {
  if (!(await inProcess(ref))) {
    const { listLinks } = await import('./ip.ts');
    const [l] = await listLinks(ref, name);
    if (!l) return undefined;
    return {
      index: l.ifindex,
      mtu: l.mtu,
      kind: l.linkinfo?.info_kind,
      ...(l.master ? { master: l.master } : {}),
      mac: l.address,
      vlanFiltering: l.linkinfo?.info_data?.vlan_filtering === 1,
      up: l.flags.includes('UP'),
    };
  }
  const m = await linkMsg({ ifname: name });
  if (!m) return undefined;
  const { nl } = (await rtnlSocket())!;
  const info = m.attrs.linkinfo ? nl.ifla.parseInfo(m.attrs.linkinfo) : undefined;
  const br = info?.kind === 'bridge' && info.data ? nl.ifla.parseBridge(info.data) : undefined;
  const master = m.attrs.master ? (await linkMsg({ index: m.attrs.master }))?.attrs.ifname : undefined;
  return {
    index: m.data.index!,
    mtu: m.attrs.mtu ?? 0,
    kind: info?.kind,
    ...(master ? { master } : {}),
    mac: macText(m.attrs.address),
    vlanFiltering: br?.vlanFiltering ? br.vlanFiltering[0] === 1 : false,
    up: !!m.data.flags?.up,
  };
}

/** A link-layer address attribute as `ip` prints it (aa:bb:...), undefined when empty. */
const macText = (b: Buffer | undefined): string | undefined =>
  b?.length ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(':') : undefined;

/** An address attribute as text: dotted IPv4, or IPv6 in RFC 5952 form (longest zero run as `::`). */
export function addrText(b: Buffer | undefined): string | undefined {
  if (b?.length === 4) return [...b].join('.');
  if (b?.length !== 16) return undefined;
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1,
    len = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i >= 2) {
      best = i;
      len = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  return best < 0 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + len).join(':')}`;
}

/** One address as the kernel lists it (`ip addr show`), by link index. */
export interface AddrFact {
  index: number;
  family: 4 | 6;
  address: string;
  prefix: number;
  global: boolean;
  dadfailed: boolean;
  tentative: boolean;
}
/** One default route of the main table (`ip route show default`), both families. */
export interface DefaultRouteFact {
  family: 4 | 6;
  oif?: number;
  gateway?: string;
}

/**
 * Every address, and the default routes of the main table, in this namespace: two in-process
 * dumps; undefined where lib/rtnl does not serve (the caller uses `ip`).
 */
export async function readAddrsAndDefaults(
  ref: NetnsRef,
): Promise<{ addrs: AddrFact[]; defaults: DefaultRouteFact[] } | undefined> {
  const addrs = await readAddrs(ref);
  return addrs && { addrs, defaults: await defaultRoutes() };
}

/**
 * Every address in this namespace (of `family` only, when given), from one in-process dump;
 * undefined where lib/rtnl does not serve.
 */
export async function readAddrs(ref: NetnsRef, family?: 4 | 6): Promise<AddrFact[] | undefined> {
  if (!(await inProcess(ref))) return undefined;
  const addrs: AddrFact[] = [];
  const only = family ? { family: family === 4 ? 2 : 10 } : undefined;
  for (const a of await req('dump addresses', undefined, (s) => s.getAddresses(only))) {
    const address = addrText(a.attrs.local ?? a.attrs.address);
    if (a.data.index === undefined || !address || a.data.prefixlen === undefined) continue;
    const flags = { ...a.data.flags, ...a.attrs.flags };
    addrs.push({
      index: a.data.index,
      family: address.includes(':') ? 6 : 4,
      address,
      prefix: a.data.prefixlen,
      global: (a.data.scope ?? 0) === 0,
      dadfailed: !!flags.dadfailed,
      tentative: !!flags.tentative,
    });
  }
  return addrs;
}

/**
 * The main table's default routes, both families or IPv4 only, from one in-process dump (the
 * caller checked inProcess). An IPv4 dump is a fraction of one of every family (no IPv6 local
 * and multicast routes, one per link).
 */
async function defaultRoutes(family?: 4): Promise<DefaultRouteFact[]> {
  const defaults: DefaultRouteFact[] = [];
  for (const r of await req('dump routes', undefined, (s) => s.getRoutes(family ? { family: 2 } : undefined))) {
    const table = r.attrs.table ?? r.data.table;
    if (r.data.dstLen !== 0 || table !== 254 || (r.data.family !== 2 && r.data.family !== 10)) continue;
    const gateway = addrText(r.attrs.gateway);
    defaults.push({
      family: r.data.family === 2 ? 4 : 6,
      ...(r.attrs.oif !== undefined ? { oif: r.attrs.oif } : {}),
      ...(gateway ? { gateway } : {}),
    });
  }
  return defaults;
}

/**
 * The node's uplinks: the links of the main table's IPv4 default routes (`ip -4 route show
 * default`'s `dev`s), sorted, without duplicates; in-process where lib/rtnl serves, else `ip`.
 */
export async function ipv4Uplinks(ref: NetnsRef): Promise<string[]> {
  if (!(await inProcess(ref))) {
    const { ipJson } = await import('./ip.ts');
    const routes = await ipJson<{ dev?: string }>(ref, ['-4', 'route', 'show', 'default']);
    return [...new Set(routes.map((r) => r.dev).filter((d): d is string => !!d))].sort();
  }
  const names = (await ipv4DefaultRoutes(ref))!.map((r) => r.dev);
  return [...new Set(names)].sort();
}

/** iproute2's names of the ARPHRD_* link types the agent tells apart (ip's `link_type`). */
const LINK_TYPES: Record<string, string> = {
  ETHER: 'ether',
  LOOPBACK: 'loopback',
  NONE: 'none',
  VOID: 'void',
  TUNNEL: 'ipip',
  SIT: 'sit',
  IPGRE: 'gre',
  TUNNEL6: 'tunnel6',
  INFINIBAND: 'infiniband',
  IEEE80211: 'ieee802.11',
};
/** IFF_* flag names as `ip -j link` prints them. */
const FLAG_NAMES: [string, string][] = [
  ['broadcast', 'BROADCAST'],
  ['pointopoint', 'POINTOPOINT'],
  ['loopback', 'LOOPBACK'],
  ['multicast', 'MULTICAST'],
  ['noarp', 'NOARP'],
  ['allmulti', 'ALLMULTI'],
  ['promisc', 'PROMISC'],
  ['master', 'MASTER'],
  ['slave', 'SLAVE'],
  ['dynamic', 'DYNAMIC'],
  ['up', 'UP'],
  ['lowerUp', 'LOWER_UP'],
  ['dormant', 'DORMANT'],
];
const LE = endianness() === 'LE';
const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

type LinkMsg = Awaited<ReturnType<RtNetlinkSocket['getLinks']>>[number];

/** IFLA_LINK (u32, host order): the link this one sits on (a veth's peer, a VLAN's parent). */
const lowerOf = (m: LinkMsg): number | undefined =>
  m.attrs.link?.length === 4 ? (LE ? m.attrs.link.readUInt32LE(0) : m.attrs.link.readUInt32BE(0)) : undefined;

/**
 * Message `m` in the shape of `ip -j -d link show`; `other(index)` names another link of the
 * namespace and says whether it is up (for `master` and M-DOWN), undefined when it is not there.
 */
function toIpLink(
  m: LinkMsg,
  nl: Nl,
  other: (index: number) => { name?: string; up: boolean } | undefined,
): IpLink & { max_mtu?: number } {
  const f = (m.data.flags ?? {}) as Record<string, boolean | undefined>;
  const flags = FLAG_NAMES.filter(([k]) => f[k]).map(([, v]) => v);
  if (f.up && !f.running) flags.unshift('NO-CARRIER');
  // ip's M-DOWN: the link this one sits on (a veth's peer, a VLAN's parent) is here and down.
  const lower = lowerOf(m);
  if (lower !== undefined && m.attrs.linkNetnsid === undefined && other(lower)?.up === false) flags.push('M-DOWN');
  const info = m.attrs.linkinfo ? nl.ifla.parseInfo(m.attrs.linkinfo) : undefined;
  const type =
    typeof m.data.type === 'string'
      ? (LINK_TYPES[m.data.type] ?? m.data.type.toLowerCase())
      : String(m.data.type ?? '');
  const l: IpLink & { max_mtu?: number } = {
    ifindex: m.data.index!,
    ifname: m.attrs.ifname!,
    flags,
    mtu: m.attrs.mtu ?? 0,
    operstate: OPERSTATES[m.attrs.operstate ?? 0] ?? 'UNKNOWN',
    link_type: type,
  };
  const mac = macText(m.attrs.address);
  if (mac) l.address = mac;
  const master = m.attrs.master !== undefined ? other(m.attrs.master)?.name : undefined;
  if (master) l.master = master;
  if (info?.kind || info?.slaveKind)
    l.linkinfo = {
      ...(info.kind ? { info_kind: info.kind } : {}),
      ...(info.slaveKind ? { info_slave_kind: info.slaveKind } : {}),
    };
  if (m.attrs.maxMtu !== undefined) l.max_mtu = m.attrs.maxMtu;
  return l;
}

/**
 * The links of `ref` in the shape of `ip -j -d link show` (lib/ip.ts IpLink: name, index, flags,
 * MTU and max MTU, operstate, MAC, master, link type, kind), from one in-process dump where
 * lib/rtnl serves, else from `ip`. No parentbus/parentdev (the package does not parse them):
 * candidates.ts reads /sys for the device behind a link. A dump parses every link of the
 * namespace: who wants a few of many reads them by name or index (linksNamed, linkAt).
 */
export async function listLinksFast(ref: NetnsRef): Promise<IpLink[]> {
  if (!(await inProcess(ref))) return listLinks(ref);
  const ms = await req('dump links', undefined, (s) => s.getLinks());
  const { nl } = (await rtnlSocket())!;
  const byIndex = new Map(ms.map((m) => [m.data.index, { name: m.attrs.ifname, up: !!m.data.flags?.up }]));
  return ms
    .filter((m) => m.data.index !== undefined && m.attrs.ifname)
    .map((m) => toIpLink(m, nl, (i) => byIndex.get(i)));
}

/** One link of this namespace by name or index, as the kernel answers it; undefined when there is none. */
async function linkMsg(q: { ifname: string } | { index: number }): Promise<LinkMsg | undefined> {
  const [m] = await req(
    'ifname' in q ? `get link ${q.ifname}` : `get link ${q.index}`,
    'ifname' in q ? q.ifname : undefined,
    (s) => ('ifname' in q ? s.getLink({}, { ifname: q.ifname }) : s.getLink({ index: q.index })),
  ).catch((err: unknown) => {
    if (err instanceof LinkNotFoundError) return [];
    throw err;
  });
  return m?.data.index !== undefined && m.attrs.ifname ? m : undefined;
}

/** Message `m` as listLinksFast gives it: its master and lower link read by index where it has them. */
async function ipLinkOf(m: LinkMsg): Promise<IpLink> {
  const { nl } = (await rtnlSocket())!;
  const others = new Map<number, { name?: string; up: boolean }>();
  const lower = lowerOf(m);
  for (const i of [m.attrs.master, m.attrs.linkNetnsid === undefined ? lower : undefined]) {
    if (i === undefined || others.has(i)) continue;
    const o = await linkMsg({ index: i });
    if (o) others.set(i, { name: o.attrs.ifname, up: !!o.data.flags?.up });
  }
  return toIpLink(m, nl, (i) => others.get(i));
}

/** The links named `names` that exist in `ref` (listLinksFast's shape), one request each in-process. */
export async function linksNamed(ref: NetnsRef, names: readonly string[]): Promise<IpLink[]> {
  if (!(await inProcess(ref))) return (await listLinks(ref)).filter((l) => names.includes(l.ifname));
  const out: IpLink[] = [];
  for (const name of names) {
    const m = await linkMsg({ ifname: name });
    if (m) out.push(await ipLinkOf(m));
  }
  return out;
}

/** Link `index` of `ref` (listLinksFast's shape), one request in-process; undefined when there is none. */
export async function linkAt(ref: NetnsRef, index: number): Promise<IpLink | undefined> {
  if (!(await inProcess(ref))) return (await listLinks(ref)).find((l) => l.ifindex === index);
  const m = await linkMsg({ index });
  return m && ipLinkOf(m);
}

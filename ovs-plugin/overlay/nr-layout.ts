// The kernel side of one NR, as one idempotent convergence (it reads the kernel once, creates
// what is missing, accepts what exists, fixes what differs, in a few `ip -batch` writes) and
// one delete that removes all of it (gone is success):
// namespace `n-<netid>` with forwarding on, host bridge `b-<netid>` (own MAC, IPv6 off, no
// address), the leg `l-<netid>` / `n-<netid>` with the gateway and the ULA /64, the egress
// `e-<netid>` / `public` on the transit /30 with the default route, the WireGuard link
// `w-<netid>` (born in the host, its UDP socket stays there) with the wire address and the routes
// of the network into it. Every call names its namespace (lib/netns.ts).
import { ip, listLinks, type IpLink } from '../../lib/ip.ts';
import { deleteLinkIfExists } from '../../lib/link.ts';
import { deleteNetns, ensureNetns, listNetns, netnsNamed, runIn, SELF, type NetnsRef } from '../../lib/netns.ts';
import { linksNamed } from '../../lib/rtnl.ts';
import { allSettledOrThrow } from '../../lib/settled.ts';
import { getSysctl, setSysctl } from '../../lib/sysctl.ts';
import { conflict } from '../../lib/errors.ts';
import { syncDevice, type WgBackend, type WgDeviceRef } from '../../lib/wireguard/backend.ts';
import type { WgChange } from '../../lib/wireguard/types.ts';
import type { NetworkDocument } from './document.ts';
import { nrAddresses, nrNames, nrRoutes } from './nr-names.ts';
import { desiredWgConfig } from './nr-wireguard.ts';
import { carriesIpv6 } from './nr-mtu.ts';
import { failpoint } from '../nics/failpoint.ts';

/** What the steps act on. */
export interface NrTarget {
  readonly netid: string;
  readonly doc: NetworkDocument;
  readonly index: number;
  readonly mtu: number;
  readonly bridgeMac: string;
}

/** The NR's namespace. */
export const nsOf = (netid: string): NetnsRef => netnsNamed(nrNames(netid).namespace);

/** The NR's WireGuard device. */
export const wgDevOf = (netid: string): WgDeviceRef => ({ name: nrNames(netid).wireguard, netns: nsOf(netid) });

/** The sysctls inside the namespace (slash form) and their values. */
export const NS_SYSCTLS: readonly [string, string][] = [
  ['net/ipv4/ip_forward', '1'],
  ['net/ipv6/conf/all/forwarding', '1'],
];

/** Sets `key` to `value` in `ref` unless it is already. */
async function ensureSysctl(ref: NetnsRef, key: string, value: string): Promise<void> {
  if ((await getSysctl(ref, key)) !== value) await setSysctl(ref, key, value);
}

/** `link` exists as a link of `kind` (veth, bridge, tun, wireguard), else ECONFLICT naming it. */
function checkKind(link: IpLink | undefined, kinds: readonly string[], where: string): void {
  const kind = link?.linkinfo?.info_kind ?? '';
  if (link && !kinds.includes(kind))
    throw conflict(
      `"${link.ifname}" exists ${where} but is not a ${kinds.join(' or ')} (${kind || 'unknown kind'}): ` +
        "it is not this NR's; remove it first",
      { link: link.ifname },
    );
}

/** The links of the NR as the kernel has them now: in the host (by name) and in the namespace. */
interface Seen {
  host: Map<string, IpLink>;
  ns: Map<string, IpLink>;
}

/** The NR's namespace as ensureNrNamespace leaves it: made now or not, and when it exists. */
export interface NrNamespace {
  /** It was not there: there is nothing in it to read. */
  readonly isNew: boolean;
  /** Resolves once it exists (`ip netns add` may still run). */
  readonly ready: Promise<void>;
  /**
   * Lets a new namespace's `ip netns add` go (idempotent). It waits for this so that
   * wireguard-go, the longest path, is the first child started; every step that needs the
   * namespace waits for it in turn.
   */
  readonly release: () => void;
}

/**
 * The host's links of the NR read by name (in-process: a request each, where a dump would parse
 * every NR's links), the namespace's in one dump (none of a new namespace).
 */
async function seeLinks(t: NrTarget, ns: NrNamespace): Promise<Seen> {
  const n = nrNames(t.netid);
  const host = new Map((await linksNamed(SELF, [n.bridge, n.leg, n.egress, n.wireguard])).map((l) => [l.ifname, l]));
  if (ns.isNew) return { host, ns: new Map() };
  await ns.ready;
  return { host, ns: new Map((await listLinks(nsOf(t.netid))).map((l) => [l.ifname, l])) };
}

/** Runs `lines` through one `ip -batch -` in `ref` (it stops at the first failing line and names it). */
async function ipBatch(ref: NetnsRef, lines: readonly string[]): Promise<void> {
  if (lines.length) await ip(ref, ['-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/**
 * The lines that give link `name` MTU `mtu` (when asked), `master` and up, where `link` (as it
 * was read; undefined: made since) differs.
 */
function linkLines(name: string, link: IpLink | undefined, o: { mtu?: number; master?: string }): string[] {
  const out: string[] = [];
  if (o.mtu && link?.mtu !== o.mtu) out.push(`link set dev ${name} mtu ${o.mtu}`);
  if (o.master && link?.master !== o.master) out.push(`link set dev ${name} master ${o.master}`);
  if (!link?.flags.includes('UP')) out.push(`link set dev ${name} up`);
  return out;
}

/** The host's side: the bridge, the leg on it and the egress, their settings, the namespace's sysctls. */
async function hostLinks(t: NrTarget, seen: Seen, ns: NrNamespace): Promise<void> {
  const n = nrNames(t.netid);
  const a = nrAddresses(t.netid, t.doc, t.index);
  await ns.ready;
  failpoint('net-apply:bridge');
  const add: string[] = [];
  if (!seen.host.has(n.bridge)) add.push(`link add name ${n.bridge} address ${t.bridgeMac} mtu ${t.mtu} type bridge`);
  if (!seen.ns.has(n.inner))
    add.push(`link add name ${n.leg} mtu ${t.mtu} type veth peer name ${n.inner} mtu ${t.mtu} netns ${n.namespace}`);
  if (!seen.ns.has(n.public))
    add.push(`link add name ${n.egress} type veth peer name ${n.public} netns ${n.namespace}`);
  await ipBatch(SELF, add);
  failpoint('net-apply:leg');
  // Below 1280 bytes the kernel gives the bridge no IPv6 at all (no conf entry to set); set
  // before the bridge is first up, so it never has a link-local address.
  if (carriesIpv6(t.mtu)) await ensureSysctl(SELF, `net/ipv6/conf/${n.bridge}/disable_ipv6`, '1');
  await ipBatch(SELF, [
    ...linkLines(n.bridge, seen.host.get(n.bridge), { mtu: t.mtu }),
    ...linkLines(n.leg, seen.host.get(n.leg), { mtu: t.mtu, master: n.bridge }),
    ...linkLines(n.egress, seen.host.get(n.egress), {}),
    `addr replace ${a.transitHost} dev ${n.egress}`,
  ]);
  failpoint('net-apply:egress');
  await runIn(nsOf(t.netid), 'sysctl', ['-qw', ...NS_SYSCTLS.map(([k, v]) => `${k}=${v}`)], { timeoutMs: 10_000 });
}

/** The WireGuard device: made when missing (a cut-short attempt's leftover removed first), synced to the document. */
async function wireguard(t: NrTarget, backend: WgBackend, seen: Seen, nrNs: NrNamespace): Promise<WgChange> {
  const n = nrNames(t.netid);
  const dev = wgDevOf(t.netid);
  failpoint('net-apply:wireguard');
  const config = desiredWgConfig(t.doc);
  if (!seen.ns.has(n.wireguard)) {
    // A leftover (a run cut short) is a link in the host or in a namespace that was there:
    // with neither, nothing of it can be left to remove.
    if (!nrNs.isNew || seen.host.has(n.wireguard)) await backend.delete(dev);
    if (seen.host.has(n.wireguard)) await deleteLinkIfExists(SELF, n.wireguard);
    const made = await backend.create({
      name: n.wireguard,
      host: SELF,
      target: nsOf(t.netid),
      config,
      targetReady: nrNs.ready,
      onStarted: nrNs.release,
    });
    if (made.change) return made.change;
  }
  return syncDevice(backend, dev, config);
}

/**
 * Namespace `n-<netid>` (failpoint `net-apply:namespace` first), made in the background once
 * released (a new one: after wireguard-go's start; see NrNamespace): the steps that need it
 * wait for `ready`, the others (wireguard-go's start and its peers, the host's own reads) go on
 * meanwhile. The caller releases it whatever happens (convergeLayout's end at the latest).
 */
export async function ensureNrNamespace(netid: string): Promise<NrNamespace> {
  const name = nrNames(netid).namespace;
  failpoint('net-apply:namespace');
  const isNew = !(await listNetns()).includes(name);
  let release = (): void => undefined;
  const released = isNew ? new Promise<void>((r) => (release = r)) : Promise.resolve();
  const ready = released.then(() => ensureNetns(name));
  // Every step that needs it awaits it; this only keeps a failure from being unhandled meanwhile.
  ready.catch(() => undefined);
  return { isNew, ready, release: () => release() };
}

/**
 * Converges the kernel to NR `t` (the header's layout) in its namespace `nrNs` (ensureNrNamespace)
 * and syncs its WireGuard device; returns the WireGuard change written. Read once (one link dump
 * per namespace; none of a new one), then written in batches: the host's new links, the host's
 * settings, the namespace's sysctls, the WireGuard device (started before the namespace exists,
 * moved in once it does), the namespace's links, addresses and routes. Every step is idempotent: what exists is
 * kept, what differs is fixed, so a run cut short at any point is finished by the next.
 */
export async function convergeLayout(t: NrTarget, backend: WgBackend, nrNs: NrNamespace): Promise<WgChange> {
  const n = nrNames(t.netid);
  const a = nrAddresses(t.netid, t.doc, t.index);
  const ns = nsOf(t.netid);
  const v6 = carriesIpv6(t.mtu);
  const seen = await seeLinks(t, nrNs);
  checkKind(seen.host.get(n.bridge), ['bridge'], 'in the host');
  for (const l of [n.leg, n.egress]) checkKind(seen.host.get(l), ['veth'], 'in the host');
  for (const l of [n.inner, n.public]) checkKind(seen.ns.get(l), ['veth'], `in ${n.namespace}`);
  checkKind(seen.ns.get(n.wireguard), ['wireguard', 'tun'], `in ${n.namespace}`);
  // A host end whose peer is not in the namespace (the namespace was remade) is not ours any more.
  for (const [host, inner] of [
    [n.leg, n.inner],
    [n.egress, n.public],
  ] as const) {
    if (seen.host.has(host) && !seen.ns.has(inner)) {
      await deleteLinkIfExists(SELF, host);
      seen.host.delete(host);
    }
  }
  // The host's links and the WireGuard device (wireguard-go's start is mostly waiting) side by side.
  const [, change] = await allSettledOrThrow([hostLinks(t, seen, nrNs), wireguard(t, backend, seen, nrNs)]);
  failpoint('net-apply:routes');
  const routes = nrRoutes(t.netid, t.doc, t.index).filter((r) => r.family === 4 || v6);
  await ipBatch(ns, [
    ...linkLines('lo', seen.ns.get('lo'), {}),
    ...linkLines(n.inner, seen.ns.get(n.inner), { mtu: t.mtu }),
    `addr replace ${a.gateway} dev ${n.inner}`,
    ...(v6 ? [`addr replace ${a.ula} dev ${n.inner} nodad`] : []),
    ...linkLines(n.public, seen.ns.get(n.public), {}),
    `addr replace ${a.transitNs} dev ${n.public}`,
    ...linkLines(n.wireguard, seen.ns.get(n.wireguard), { mtu: t.mtu }),
    `addr replace ${a.wire} dev ${n.wireguard}`,
    ...routes.map((r) => `route replace ${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}`),
  ]);
  return change;
}

/** IPv4 forwarding on in the host (the egress is routed). */
export const ensureHostForwarding = (): Promise<void> => ensureSysctl(SELF, 'net/ipv4/ip_forward', '1');

/**
 * Removes everything of NR `netid` from the kernel: WireGuard (and its wireguard-go, socket), links, namespace.
 * Idempotent.
 */
export async function deleteLayout(netid: string, backend: WgBackend): Promise<void> {
  const n = nrNames(netid);
  const nsExists = (await listNetns()).includes(n.namespace);
  // The device is looked for in the namespace, then in the host (a crash between create and move).
  await backend.delete(nsExists ? wgDevOf(netid) : { name: n.wireguard, netns: SELF });
  await deleteLinkIfExists(SELF, n.wireguard);
  for (const l of [n.leg, n.egress, n.bridge]) await deleteLinkIfExists(SELF, l);
  await deleteNetns(n.namespace);
}

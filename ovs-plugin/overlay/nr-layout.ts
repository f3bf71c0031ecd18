// The kernel side of one NR, as idempotent ensure steps (each creates what is missing, accepts
// what exists, fixes what differs) and one delete that removes all of it (gone is success):
// namespace `n-<netid>` with forwarding on, host bridge `b-<netid>` (own MAC, IPv6 off, no
// address), the leg `l-<netid>` / `n-<netid>` with the gateway and the ULA /64, the egress
// `e-<netid>` / `public` on the transit /30 with the default route, the WireGuard link
// `w-<netid>` (born in the host, its UDP socket stays there) with the wire address and the routes
// of the network into it. Every call names its namespace (lib/netns.ts).
import { ip, getLink, type IpLink } from '../../lib/ip.ts';
import { deleteLinkIfExists, setupVeth } from '../../lib/link.ts';
import { deleteNetns, ensureNetns, listNetns, netnsNamed, SELF, type NetnsRef } from '../../lib/netns.ts';
import { getSysctl, setSysctl } from '../../lib/sysctl.ts';
import { conflict } from '../../lib/errors.ts';
import { syncDevice, type WgBackend, type WgDeviceRef } from '../../lib/wireguard/backend.ts';
import type { WgChange } from '../../lib/wireguard/types.ts';
import type { NetworkDocument } from './document.ts';
import { nrAddresses, nrNames, nrRoutes } from './nr-names.ts';
import { desiredWgConfig } from './nr-wireguard.ts';
import { carriesIpv6 } from './nr-mtu.ts';

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

/** Namespace `n-<netid>` with lo up and forwarding on. */
export async function ensureNamespace(t: NrTarget): Promise<void> {
  await ensureNetns(nrNames(t.netid).namespace);
  const ns = nsOf(t.netid);
  await ip(ns, ['link', 'set', 'dev', 'lo', 'up']);
  for (const [k, v] of NS_SYSCTLS) await ensureSysctl(ns, k, v);
}

/** `link` exists as a link of `kind` (veth, bridge, tun, wireguard), else ECONFLICT naming it. */
function checkKind(link: IpLink, kinds: readonly string[], where: string): void {
  const kind = link.linkinfo?.info_kind ?? '';
  if (!kinds.includes(kind))
    throw conflict(
      `"${link.ifname}" exists ${where} but is not a ${kinds.join(' or ')} (${kind || 'unknown kind'}): ` +
        "it is not this NR's; remove it first",
      { link: link.ifname },
    );
}

/** Sets `dev`'s MTU in `ref` when it differs. */
async function ensureMtu(ref: NetnsRef, link: IpLink, mtu: number): Promise<void> {
  if (link.mtu !== mtu) await ip(ref, ['link', 'set', 'dev', link.ifname, 'mtu', String(mtu)]);
}

/** Host bridge `b-<netid>`: its own MAC, IPv6 off, up, the NR's MTU. */
export async function ensureBridge(t: NrTarget): Promise<void> {
  const { bridge } = nrNames(t.netid);
  let link = await getLink(SELF, bridge);
  if (!link) {
    await ip(SELF, ['link', 'add', 'name', bridge, 'address', t.bridgeMac, 'mtu', String(t.mtu), 'type', 'bridge']);
    link = (await getLink(SELF, bridge))!;
  }
  checkKind(link, ['bridge'], 'in the host');
  // Below 1280 bytes the kernel gives the bridge no IPv6 at all (no conf entry to set).
  if (carriesIpv6(t.mtu)) await ensureSysctl(SELF, `net/ipv6/conf/${bridge}/disable_ipv6`, '1');
  await ensureMtu(SELF, link, t.mtu);
  if (!link.flags.includes('UP')) await ip(SELF, ['link', 'set', 'dev', bridge, 'up']);
}

/** Adds `cidr` to `dev` in `ref` unless it is there (IPv6 without DAD: the address is ours by construction). */
async function ensureAddress(ref: NetnsRef, dev: string, cidr: string): Promise<void> {
  const v6 = cidr.includes(':');
  await ip(ref, [v6 ? '-6' : '-4', 'addr', 'replace', cidr, 'dev', dev, ...(v6 ? ['nodad'] : [])]);
}

/** A veth `host` (in the host) / `inner` (in the namespace), both up, the host end on `master` if given. */
async function ensureVeth(
  t: NrTarget,
  host: string,
  inner: string,
  mtu: number | undefined,
  master?: string,
): Promise<void> {
  const ns = nsOf(t.netid);
  let h = await getLink(SELF, host);
  if (h) checkKind(h, ['veth'], 'in the host');
  // A host end whose peer is not in the namespace (the namespace was remade) is not ours any more.
  if (h && !(await getLink(ns, inner))) {
    await deleteLinkIfExists(SELF, host);
    h = undefined;
  }
  if (!h) {
    await setupVeth({ ref: SELF, name: host, peer: inner, peerNs: ns, ...(mtu ? { mtu } : {}) });
    h = (await getLink(SELF, host))!;
  }
  if (mtu) await ensureMtu(SELF, h, mtu);
  if (master && h.master !== master) await ip(SELF, ['link', 'set', 'dev', host, 'master', master]);
  if (!h.flags.includes('UP')) await ip(SELF, ['link', 'set', 'dev', host, 'up']);
  const i = (await getLink(ns, inner))!;
  if (mtu) await ensureMtu(ns, i, mtu);
  if (!i.flags.includes('UP')) await ip(ns, ['link', 'set', 'dev', inner, 'up']);
}

/** The leg on the bridge: `l-<netid>` / `n-<netid>` with the gateway and the ULA /64. */
export async function ensureLeg(t: NrTarget): Promise<void> {
  const n = nrNames(t.netid);
  const a = nrAddresses(t.netid, t.doc, t.index);
  await ensureVeth(t, n.leg, n.inner, t.mtu, n.bridge);
  await ensureAddress(nsOf(t.netid), n.inner, a.gateway);
  if (carriesIpv6(t.mtu)) await ensureAddress(nsOf(t.netid), n.inner, a.ula);
}

/** The egress: `e-<netid>` / `public` on the transit /30. */
export async function ensureEgress(t: NrTarget): Promise<void> {
  const n = nrNames(t.netid);
  const a = nrAddresses(t.netid, t.doc, t.index);
  await ensureVeth(t, n.egress, n.public, undefined);
  await ensureAddress(SELF, n.egress, a.transitHost);
  await ensureAddress(nsOf(t.netid), n.public, a.transitNs);
}

/**
 * The WireGuard link: made when missing (a leftover device or wireguard-go of a cut-short
 * attempt removed first), synced to the document (only the difference written; never set
 * down), with the wire address and the NR's MTU. Returns the change written.
 */
export async function ensureWireguard(t: NrTarget, backend: WgBackend): Promise<WgChange> {
  const dev = wgDevOf(t.netid);
  const ns = nsOf(t.netid);
  let link = await getLink(ns, dev.name);
  if (!link) {
    await backend.delete(dev);
    await deleteLinkIfExists(SELF, dev.name);
    await backend.create({ name: dev.name, host: SELF, target: ns });
    link = (await getLink(ns, dev.name))!;
  }
  checkKind(link, ['wireguard', 'tun'], `in ${nrNames(t.netid).namespace}`);
  const change = await syncDevice(backend, dev, desiredWgConfig(t.doc));
  await ensureMtu(ns, link, t.mtu);
  await ensureAddress(ns, dev.name, nrAddresses(t.netid, t.doc, t.index).wire);
  if (!link.flags.includes('UP')) await ip(ns, ['link', 'set', 'dev', dev.name, 'up']);
  return change;
}

/** The routes inside the namespace (ip_range and the ULA /48 into the WireGuard link, the default via the host). */
export async function ensureRoutes(t: NrTarget): Promise<void> {
  for (const r of nrRoutes(t.netid, t.doc, t.index).filter((x) => x.family === 4 || carriesIpv6(t.mtu))) {
    await ip(nsOf(t.netid), [
      `-${r.family}`,
      'route',
      'replace',
      r.dst,
      ...(r.via ? ['via', r.via] : []),
      'dev',
      r.dev,
    ]);
  }
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

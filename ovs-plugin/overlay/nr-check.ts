// net.check, net.list, net.namespace: the record compared with the kernel (namespace, links,
// addresses, routes, sysctls), WireGuard (the device's config against the document's: key,
// port, peers with their allowed IPs and keepalive; a missing device or wireguard-go) and the
// two nft tables; `repair` runs apply's idempotent steps again (or finishes a delete).
import { notFound } from '../../lib/errors.ts';
import { getLink, ipJson } from '../../lib/ip.ts';
import { listNetns, SELF, type NetnsRef } from '../../lib/netns.ts';
import { getSysctl } from '../../lib/sysctl.ts';
import { diffConfig } from '../../lib/wireguard/diff.ts';
import { isEmptyChange } from '../../lib/wireguard/types.ts';
import { publicKeyOf } from './plan-keys.ts';
import { hostTableDrift, nrTableDrift } from './nr-firewall.ts';
import { NS_SYSCTLS, nsOf, wgDevOf } from './nr-layout.ts';
import { nrAddresses, nrNames, nrRoutes } from './nr-names.ts';
import { findNr, readNets, type NrRecord } from './nr-state.ts';
import { desiredWgConfig, nrBackend } from './nr-wireguard.ts';
import { carriesIpv6 } from './nr-mtu.ts';
import { finishDelete } from './nr-delete.ts';
import { reapplyNr, withNrLock } from './nr-apply.ts';

/** One difference between the record and the system. */
export interface NrDrift {
  what: string;
  want?: string;
  got?: string;
  repairable: boolean;
}

/** What net.check answers. */
export interface NrCheckResult {
  ok: boolean;
  drift: NrDrift[];
  repaired: NrDrift[];
}

/** One element of net.list. */
export interface ListedNr {
  netid: string;
  phase: NrRecord['phase'];
  namespace: string;
  listen_port: number;
  public_key: string;
  subnet: string;
  ip_range: string;
  mtu: number;
  peers: number;
}

/** The record of `netid`, or ENOTFOUND. */
async function recordOf(netsPath: string, netid: string): Promise<NrRecord> {
  const r = findNr(await readNets(netsPath), netid);
  if (!r) throw notFound(`netid: no NR ${netid} on this node`, { field: 'netid', netid });
  return r;
}

/** net.namespace {netid} -> "n-<netid>". */
export async function nrNamespace(netsPath: string, netid: string): Promise<string> {
  const r = await recordOf(netsPath, netid);
  if (r.phase === 'deleting') throw notFound(`netid: NR ${netid} is being deleted`, { field: 'netid', netid });
  return nrNames(netid).namespace;
}

/** net.list {} -> every NR. */
export async function listNrs(netsPath: string): Promise<ListedNr[]> {
  return (await readNets(netsPath)).nets.map((r) => ({
    netid: r.netid,
    phase: r.phase,
    namespace: nrNames(r.netid).namespace,
    listen_port: r.port,
    public_key: publicKeyOf(r.doc.wireguard_private_key),
    subnet: r.doc.subnet,
    ip_range: r.doc.ip_range,
    mtu: r.mtu,
    peers: r.doc.peers.length,
  }));
}

/** Addresses on `dev` in `ref` as `addr/prefix`. */
async function addressesOf(ref: NetnsRef, dev: string): Promise<string[]> {
  const r = await ipJson<{ addr_info?: { local: string; prefixlen: number }[] }>(ref, [
    'addr',
    'show',
    'dev',
    dev,
  ]).catch(() => []);
  return (r[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

/** Every difference of NR `r` with the system. */
export async function nrDrift(netsPath: string, r: NrRecord): Promise<NrDrift[]> {
  const d: NrDrift[] = [];
  const n = nrNames(r.netid);
  const ns = nsOf(r.netid);
  if (r.phase !== 'applied') d.push({ what: 'phase', want: 'applied', got: r.phase, repairable: true });
  if (!(await listNetns()).includes(n.namespace))
    return [...d, { what: 'namespace', want: n.namespace, got: 'missing', repairable: true }];
  for (const [where, ref, link] of [
    ['host', SELF, n.bridge],
    ['host', SELF, n.leg],
    ['host', SELF, n.egress],
    ['ns', ns, n.inner],
    ['ns', ns, n.public],
    ['ns', ns, n.wireguard],
  ] as const) {
    const l = await getLink(ref, link);
    if (!l) d.push({ what: `link ${link} (${where})`, got: 'missing', repairable: true });
    else if (link !== n.egress && link !== n.public && l.mtu !== r.mtu)
      d.push({ what: `mtu ${link}`, want: String(r.mtu), got: String(l.mtu), repairable: true });
  }
  const a = nrAddresses(r.netid, r.doc, r.index);
  for (const [ref, dev, cidr] of [
    [ns, n.inner, a.gateway],
    ...(carriesIpv6(r.mtu) ? [[ns, n.inner, a.ula] as const] : []),
    [ns, n.public, a.transitNs],
    [SELF, n.egress, a.transitHost],
    [ns, n.wireguard, a.wire],
  ] as const) {
    if (!(await addressesOf(ref, dev)).includes(cidr))
      d.push({ what: `address ${dev}`, want: cidr, got: 'missing', repairable: true });
  }
  for (const rt of nrRoutes(r.netid, r.doc, r.index).filter((x) => x.family === 4 || carriesIpv6(r.mtu))) {
    const got = await ipJson<{ dst: string; dev?: string; gateway?: string }>(ns, [
      `-${rt.family}`,
      'route',
      'show',
      'exact',
      rt.dst === 'default' ? (rt.family === 4 ? '0.0.0.0/0' : '::/0') : rt.dst,
    ]).catch(() => []);
    if (!got.some((g) => g.dev === rt.dev && (rt.via === undefined || g.gateway === rt.via)))
      d.push({
        what: `route ${rt.dst}`,
        want: `${rt.via ? `via ${rt.via} ` : ''}dev ${rt.dev}`,
        got: 'missing',
        repairable: true,
      });
  }
  for (const [k, v] of NS_SYSCTLS) {
    const got = await getSysctl(ns, k);
    if (got !== v) d.push({ what: `sysctl ${k}`, want: v, got: got ?? 'missing', repairable: true });
  }
  const backend = await nrBackend();
  const state = await backend.get(wgDevOf(r.netid)).catch(() => undefined);
  if (!state)
    d.push({
      what: 'wireguard',
      want: `${backend.kind} device ${n.wireguard}`,
      got: 'unreachable (no device, or no wireguard-go)',
      repairable: true,
    });
  else if (!isEmptyChange(diffConfig(desiredWgConfig(r.doc), state)))
    d.push({ what: 'wireguard config', want: "the document's", got: 'differs', repairable: true });
  const nsTable = await nrTableDrift(ns, r.netid, r.nft);
  if (nsTable) d.push({ what: 'nft inet zos_nr', got: nsTable, repairable: true });
  const host = await hostTableDrift(netsPath, (await readNets(netsPath)).nets);
  if (host) d.push({ what: 'nft inet zos_overlay', got: host, repairable: true });
  return d;
}

/** net.check {netid, repair?}. */
export async function checkNr(netsPath: string, a: { netid: string; repair: boolean }): Promise<NrCheckResult> {
  return withNrLock(netsPath, a.netid, async () => {
    const r = await recordOf(netsPath, a.netid);
    if (r.phase === 'deleting') {
      const drift: NrDrift[] = [{ what: 'phase', want: 'gone', got: 'deleting', repairable: true }];
      if (!a.repair) return { ok: false, drift, repaired: [] };
      await finishDelete(netsPath, a.netid);
      return { ok: true, drift: [], repaired: drift };
    }
    const drift = await nrDrift(netsPath, r);
    if (!a.repair || !drift.length) return { ok: !drift.length, drift, repaired: [] };
    await reapplyNr(netsPath, a.netid);
    const after = await nrDrift(netsPath, await recordOf(netsPath, a.netid));
    return { ok: !after.length, drift: after, repaired: drift.filter((x) => !after.some((y) => y.what === x.what)) };
  });
}

/** What the `network` nic kind needs of an NR (undefined: no such NR, or it is being deleted). */
export interface NrInfo {
  netid: string;
  namespace: string;
  bridge: string;
  subnet: string;
  ip_range: string;
  /** `<subnet>.1` (no prefix). */
  gateway: string;
  /** The NR's ULA /64 and the network's /48. */
  ula64: string;
  ula48: string;
  mtu: number;
  phase: NrRecord['phase'];
}

/** NR `netid` as the `network` nic kind attaches to it, or undefined when it does not exist (or is being deleted). */
export async function nrInfo(netsPath: string, netid: string): Promise<NrInfo | undefined> {
  const r = findNr(await readNets(netsPath), netid);
  if (!r || r.phase === 'deleting') return undefined;
  const n = nrNames(netid);
  const a = nrAddresses(netid, r.doc, r.index);
  return {
    netid,
    namespace: n.namespace,
    bridge: n.bridge,
    subnet: r.doc.subnet,
    ip_range: r.doc.ip_range,
    gateway: a.gateway.split('/')[0]!,
    ula64: `${a.ula.slice(0, -'1/64'.length)}/64`,
    ula48: a.ula48,
    mtu: r.mtu,
    phase: r.phase,
  };
}

/** What gcNrs did: NRs whose drift it repaired, deletes it finished. */
export interface NrGcReport {
  repaired: string[];
  deleted: string[];
}

/**
 * Every NR checked and, where it drifted or was cut short, repaired (or its delete finished):
 * for the daemon's start and its gc timer (not wired in yet: the lead integrates). A healthy NR
 * is only read, so a restart over it changes nothing.
 */
export async function gcNrs(netsPath: string): Promise<NrGcReport> {
  const report: NrGcReport = { repaired: [], deleted: [] };
  // Cut-short deletes first, then cut-short applies, then the rest: the host table is shared, and
  // once the first two are done a healthy NR finds it as it wants it.
  const rank = (r: NrRecord): number => (r.phase === 'deleting' ? 0 : r.phase === 'applying' ? 1 : 2);
  for (const r of [...(await readNets(netsPath)).nets].sort((a, b) => rank(a) - rank(b))) {
    const res = await checkNr(netsPath, { netid: r.netid, repair: true }).catch(() => undefined);
    if (!res?.repaired.length) continue;
    (r.phase === 'deleting' ? report.deleted : report.repaired).push(r.netid);
  }
  return report;
}

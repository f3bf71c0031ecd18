// `network` (`id` = a netid): a workload on a tenant network resource (NR, docs/overlay.md). A
// container's veth or a guest's tap whose host end is a port of the NR's bridge `b-<netid>`, with
// an address of the NR's /24: `config.cidr` when given, else the lowest free one from `.2`,
// allocated in the nic record under the state lock (claim), as `default`'s pool address is, so a
// crash leaves the address with the record that gc then undoes. `.1` is the NR's gateway. Inside a
// container: the address /24, routes to the network's ip_range and to the WireGuard addresses
// (100.64.0.0/16) via `.1`, the default route via `.1` with metric 1000 (the NR's egress, as
// a `config.gateway` is installed: a nic of another kind with a lower metric keeps the
// default), the ULA `ulaAddress(netid, ipv4)/64` with the network's
// /48 via `<ula64>::1`, and the NR's MTU. A guest gets the tap and its address and gateway in the
// answer. Everything the routes need derives from the netid and the recorded address (the /24's
// /16 is the ip_range: overlay/document.ts checks the subnet lies in it), so detach, gc and check
// never need the NR to still exist.
import { subnetExhausted, ValidationError } from '../../../lib/errors.ts';
import { ip, ipJson } from '../../../lib/ip.ts';
import type { NetnsRef } from '../../../lib/netns.ts';
import { GATEWAY_METRIC } from '../inside.ts';
import { parsePrefix4, prefixText4, v4Text, v4Value, WIRE_RANGE, within4 } from '../../overlay/ipv4.ts';
import { ulaAddress, ulaNetwork } from '../../overlay/ula.ts';
import { nicExists } from '../errors.ts';
import { failpoint } from '../failpoint.ts';
import { linkAddresses } from '../link-addresses.ts';
import { readNetResource, type NetResource } from '../net-resource.ts';
import type { Drift, NicKind, RecordOf } from '../types.ts';

/** A network nic's record. */
type NetRecord = RecordOf<'network'>;
import { vethKind, type VethPlug } from '../veth.ts';
import { linuxBridgePlug } from './bridge.ts';

/** What prepare read of the NR, for claim (which does no I/O) to allocate from. */
const prepared = new WeakMap<object, NetResource>();

/** The IPv4 address of a cidr. */
const addrOf = (cidr: string): string => cidr.split('/')[0]!;

/** An IPv6 address in its canonical (RFC 5952) form, as the kernel reports it. */
export const canon6 = (a: string): string => new URL(`http://[${a}]`).hostname.slice(1, -1);

/** Everything a network nic's inside is, derived from its netid and recorded address. */
export interface NetworkInside {
  /** `a.b.c.d/24`. */
  address: string;
  gateway: string;
  /** The network's /16 (the /24's). */
  ipRange: string;
  /** `ulaAddress(netid, a.b.c.d)/64`. */
  ula: string;
  /** `<ula64>::1`. */
  ulaGateway: string;
  ula48: string;
}

/** The inside of nic `rec` (a network nic with its address allocated). */
export function insideOf(rec: Pick<NetRecord, 'nic' | 'address'>): NetworkInside {
  const netid = String(rec.nic.id);
  const v4 = v4Value(addrOf(rec.address));
  const net24 = v4 - (v4 % 256);
  const gateway = v4Text(net24 + 1);
  return {
    address: `${v4Text(v4)}/24`,
    gateway,
    ipRange: `${v4Text(v4 - (v4 % 65536))}/16`,
    ula: `${canon6(ulaAddress(netid, v4Text(v4)))}/64`,
    ulaGateway: canon6(ulaAddress(netid, gateway)),
    ula48: ulaNetwork(netid),
  };
}

/** Refuses (EINVALID nic.config.cidr) a cidr that is not a workload address of the NR's /24. */
function checkCidr(nr: NetResource, cidr: string): void {
  const a = addrOf(cidr);
  const net = prefixText4(nr.subnet);
  const p = parsePrefix4(`${a}/32`);
  if (!p || !within4(p, nr.subnet))
    throw new ValidationError('nic.config.cidr', `${a} is outside ${net}, the /24 of network resource ${nr.netid}`);
  const host = v4Value(a) - nr.subnet.net;
  if (host === 0) throw new ValidationError('nic.config.cidr', `${a} is the network address of ${net}`);
  if (host === 1) throw new ValidationError('nic.config.cidr', `${a} is the gateway of network resource ${nr.netid}`);
  if (host === 255) throw new ValidationError('nic.config.cidr', `${a} is the broadcast address of ${net}`);
}

/** How a network nic's host end (veth or a guest's tap) is plugged into `b-<netid>`, its address allocated. */
export const networkPlug: VethPlug<NetRecord> = {
  ...linuxBridgePlug,
  async prepare(ctx, rec) {
    const nr = await readNetResource(ctx.ovs.nics.statePath, String(rec.nic.id));
    if (rec.nic.config?.cidr) checkCidr(nr, rec.nic.config.cidr);
    rec.bridge = nr.bridge;
    rec.mtu = nr.mtu;
    // A guest configures itself from the answer; a container's gateway is its routes (no default).
    if (!ctx.target) rec.gateway = nr.gateway;
    prepared.set(rec, nr);
  },
  // A guest configures its IPv6 from the answer too (a container's is set inside: ensureInside).
  guestAnswer(rec) {
    if (!rec.address || !hasIpv6(rec)) return {};
    const n = insideOf(rec);
    return { address6: n.ula, gateway6: n.ulaGateway };
  },
  // The record is written: the NR is read again, so a net.delete that marked it `deleting` before
  // this record existed is seen here (and one that marks it after finds the record: EBUSY), never
  // a nic left on a bridge deleted under it (network-users.ts).
  async ensure(ctx, rec) {
    await readNetResource(ctx.ovs.nics.statePath, String(rec.nic.id));
  },
  // Called before prepare too (the records' answer first): then only a given cidr is checked.
  claim(rec, all) {
    const netid = String(rec.nic.id);
    const taken = new Map<string, string>();
    for (const r of all)
      if (r.key !== rec.key && r.nic.type === 'network' && String(r.nic.id) === netid && r.address)
        taken.set(addrOf(r.address), r.key);
    const cidr = rec.nic.config?.cidr;
    if (cidr) {
      const by = taken.get(addrOf(cidr));
      if (by)
        throw nicExists('nic.config.cidr', `${addrOf(cidr)} is in use by nic ${by} of network resource ${netid}`, {
          netid,
        });
      rec.address = cidr;
      return;
    }
    const nr = prepared.get(rec);
    if (!nr) return;
    for (let i = 2; i < 255; i++) {
      const a = v4Text(nr.subnet.net + i);
      if (!taken.has(a)) {
        rec.address = `${a}/24`;
        return;
      }
    }
    throw subnetExhausted(netid, prefixText4(nr.subnet));
  },
};

/** The lines that make the inside beyond the address configureInside sets (each idempotent). */
function insideLines(rec: NetRecord): string[] {
  const n = insideOf(rec);
  return [
    `addr replace ${n.address} dev ${rec.name}`,
    `route replace ${n.ipRange} via ${n.gateway} dev ${rec.name}`,
    `route replace ${WIRE_RANGE} via ${n.gateway} dev ${rec.name}`,
    `route replace default via ${n.gateway} dev ${rec.name} metric ${GATEWAY_METRIC}`,
    // nodad: the address is ours by the record (no other nic of the NR holds it); without DAD it
    // is usable at once, not tentative for a second.
    ...(hasIpv6(rec)
      ? [`addr replace ${n.ula} dev ${rec.name} nodad`, `route replace ${n.ula48} via ${n.ulaGateway} dev ${rec.name}`]
      : []),
  ];
}

/**
 * IPv6 needs an MTU of 1280 at least (the kernel turns it off below): an NR on a smaller underlay path carries IPv4
 * only.
 */
const hasIpv6 = (rec: NetRecord): boolean => (rec.mtu ?? 1500) >= 1280;

/** Sets the ULA and the routes inside (and the IPv4 address again, which the routes' gateway needs). */
async function ensureInside(target: NetnsRef, rec: NetRecord): Promise<void> {
  await ip(target, ['-batch', '-'], { input: insideLines(rec).join('\n') + '\n' });
}

type Route = { dst: string; gateway?: string; dev?: string };

/** What of the ULA and the routes is missing inside. */
async function insideDrift(target: NetnsRef | undefined, rec: NetRecord): Promise<Drift[]> {
  if (!target) return [];
  const n = insideOf(rec);
  const l = await linkAddresses(target, rec.name);
  if (!l) return []; // the link itself is missing: checkInside says so
  const d: Drift[] = [];
  const have6 = l.addresses.some((x) => x.includes(':') && norm(x) === n.ula);
  if (!have6 && hasIpv6(rec)) d.push({ what: 'ula', want: n.ula, repairable: true });
  const r4 = await ipJson<Route>(target, ['-4', 'route', 'show', 'dev', rec.name]);
  const r6 = await ipJson<Route>(target, ['-6', 'route', 'show', 'dev', rec.name]);
  const want: [string, string, string, Route[]][] = [
    ['route-ip-range', n.ipRange, n.gateway, r4],
    ['route-wire', WIRE_RANGE, n.gateway, r4],
    ['route-default', 'default', n.gateway, r4],
    ...(hasIpv6(rec) ? [['route-ula', norm(n.ula48), n.ulaGateway, r6] as [string, string, string, Route[]]] : []),
  ];
  for (const [what, dst, gw, have] of want) {
    if (!have.some((r) => norm(r.dst) === dst && r.gateway !== undefined && norm(r.gateway) === gw))
      d.push({ what, want: `${dst} via ${gw}`, got: 'missing', repairable: true });
  }
  return d;
}

/** A route's destination or gateway with any IPv6 address in canonical form. */
const norm = (x: string): string => {
  if (!x.includes(':')) return x;
  const [addr, len] = x.split('/');
  return len === undefined ? canon6(addr!) : `${canon6(addr!)}/${len}`;
};

const base = vethKind(networkPlug);

/** The network kind for containers: the veth steps, then the ULA and the routes. */
export const networkKind: NicKind<NetRecord> = {
  ...base,
  // The answer is read back: the ULA in the kernel's canonical form after the IPv4 address.
  resultKnown: false,
  async attach(ctx, rec, undo) {
    await base.attach(ctx, rec, undo);
    // Undone with the veth (its addresses and routes go with it).
    await ensureInside(ctx.target!, rec);
    failpoint('attach:routes');
  },
  async check(ctx, rec) {
    return [...(await base.check(ctx, rec)), ...(await insideDrift(ctx.target, rec))];
  },
  async repair(ctx, rec) {
    await base.repair!(ctx, rec);
    if (ctx.target) await ensureInside(ctx.target, rec);
  },
};

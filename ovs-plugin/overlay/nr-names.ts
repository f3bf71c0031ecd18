// The names and addresses of one network resource (NR) on a node, all derived from its netid,
// its document and its index k (docs/overlay.md "Node side"): namespace, host bridge, the legs,
// the WireGuard link, the transit /30 of its egress, its gateway, wire and ULA addresses. Pure.
import type { NetworkDocument } from './document.ts';
import { parsePrefix4, prefixText4, v4Text, WIRE_RANGE, wireAddress, type Prefix4 } from './ipv4.ts';
import { ulaNetwork, ulaSubnet } from './ula.ts';

/** How many NRs one node can hold: the transit /30s of 100.127.0.0/16 (k = 0..16382). */
export const MAX_NR_INDEX = 16382;

/** The transit network every NR's egress /30 is cut from. */
export const TRANSIT_RANGE = '100.127.0.0/16';

/** Link and namespace names of NR `netid` (each fits IFNAMSIZ - 1: netid is 1..13 characters). */
export interface NrNames {
  readonly namespace: string;
  readonly bridge: string;
  /** Host end of the leg on the bridge. */
  readonly leg: string;
  /** The leg's end inside the namespace (holds the gateway). */
  readonly inner: string;
  /** Host end of the egress veth. */
  readonly egress: string;
  /** The egress veth's end inside the namespace. */
  readonly public: string;
  readonly wireguard: string;
}

/** The names of NR `netid`. */
export const nrNames = (netid: string): NrNames => ({
  namespace: `n-${netid}`,
  bridge: `b-${netid}`,
  leg: `l-${netid}`,
  inner: `n-${netid}`,
  egress: `e-${netid}`,
  public: 'public',
  wireguard: `w-${netid}`,
});

/** The addresses and routes of NR `netid` with document `doc` and index `k`. */
export interface NrAddresses {
  /** `<subnet>.1/24` on the leg inside the namespace. */
  readonly gateway: string;
  /** `100.64.b2.b3/16` on the WireGuard link. */
  readonly wire: string;
  /** `<ula64>::1/64` on the leg inside the namespace. */
  readonly ula: string;
  /** The network's ULA /48 (routed into the WireGuard link). */
  readonly ula48: string;
  /** The host end of the transit /30 (`.4k+1/30`). */
  readonly transitHost: string;
  /** The namespace's end (`.4k+2/30`). */
  readonly transitNs: string;
  /** The namespace's IPv4 default gateway (the host end, no prefix). */
  readonly transitGateway: string;
}

/** The NR's /24 as a prefix (the document was validated: it parses). */
export const subnetOf = (doc: NetworkDocument): Prefix4 => parsePrefix4(doc.subnet)!;

/** The addresses of NR `netid`. */
export function nrAddresses(netid: string, doc: NetworkDocument, k: number): NrAddresses {
  const s = subnetOf(doc);
  const base = parsePrefix4('100.127.0.0/16')!.net + 4 * k;
  const ula64 = ulaSubnet(netid, s);
  return {
    gateway: `${v4Text(s.net + 1)}/24`,
    wire: `${wireAddress(s)}/16`,
    ula: `${ula64.slice(0, -'::/64'.length)}::1/64`,
    ula48: ulaNetwork(netid),
    transitHost: `${v4Text(base + 1)}/30`,
    transitNs: `${v4Text(base + 2)}/30`,
    transitGateway: v4Text(base + 1),
  };
}

/** The routes inside the namespace besides the connected ones: destination -> `dev` or `via`. */
export function nrRoutes(
  netid: string,
  doc: NetworkDocument,
  k: number,
): { dst: string; dev: string; via?: string; family: 4 | 6 }[] {
  const n = nrNames(netid);
  const a = nrAddresses(netid, doc, k);
  return [
    { dst: doc.ip_range, dev: n.wireguard, family: 4 },
    { dst: a.ula48, dev: n.wireguard, family: 6 },
    { dst: 'default', dev: n.public, via: a.transitGateway, family: 4 },
  ];
}

/** The prefix of the wire addresses (connected on the WireGuard link). */
export { WIRE_RANGE, prefixText4 };

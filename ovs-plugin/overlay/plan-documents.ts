// One `net.apply` argument `{netid, network}` per node of a plan (the Zero-OS v3 `network`
// document). Public nodes form a full mesh; a hidden node has one peer, its relay, which lists
// it as an endpoint-less peer; a laptop is an endpoint-less peer of its entrypoint. Every other
// node reaches a hidden node or a laptop through the relay's or entrypoint's peer entry (its
// prefixes are added to that entry's allowed_ips). Peers follow the plan's order, so the same
// plan always gives the same documents. No laptop private key is read here.
import { isIPv4, isIPv6 } from 'node:net';
import { parsePrefix4, wireAddress, WIRE_RANGE } from './ipv4.ts';
import { isPublic, type Plan, type PlanNode } from './plan.ts';
import { publicKeyOf } from './plan-keys.ts';
import type { NetworkDocument, NetworkPeer } from './document.ts';
import { ulaNetwork, ulaSubnet } from './ula.ts';

/** What `net.apply` takes for one node. */
export interface NodeDocument {
  readonly netid: string;
  readonly network: NetworkDocument;
}

/** The prefixes routed to the holder of `subnet`: its /24, its wire address /32, its ULA /64. */
export function prefixesOf(netid: string, subnet: string): string[] {
  const p = parsePrefix4(subnet)!;
  return [subnet, `${wireAddress(p)}/32`, ulaSubnet(netid, p)];
}

/** `ip:port` or `[v6]:port` of `to` as `from` dials it: a family both have (IPv4 first), else `to`'s first. */
export function endpointFor(from: PlanNode, to: PlanNode): string | undefined {
  const shared =
    to.endpoints.find((a) => from.endpoints.length === 0 || from.endpoints.some((b) => isIPv4(a) === isIPv4(b))) ??
    to.endpoints[0];
  if (shared === undefined) return undefined;
  return isIPv6(shared) ? `[${shared}]:${to.port}` : `${shared}:${to.port}`;
}

/** The peer entry for public node `peer` on `self`: its prefixes plus those of its hidden nodes and laptops. */
function publicPeer(plan: Plan, self: PlanNode, peer: PlanNode): NetworkPeer {
  const allowed = [
    ...prefixesOf(plan.netid, peer.subnet),
    ...plan.nodes
      .filter((h) => h.relay === peer.id && h.id !== self.id)
      .flatMap((h) => prefixesOf(plan.netid, h.subnet)),
    ...plan.accesses.filter((a) => a.node === peer.id).flatMap((a) => prefixesOf(plan.netid, a.subnet)),
  ];
  const endpoint = endpointFor(self, peer);
  return {
    subnet: peer.subnet,
    wireguard_public_key: publicKeyOf(peer.private_key),
    allowed_ips: allowed,
    ...(endpoint ? { endpoint } : {}),
  };
}

/** The peers of `self`. */
function peersOf(plan: Plan, self: PlanNode): NetworkPeer[] {
  if (!isPublic(self)) {
    // A hidden node's one peer carries everything of the network: stable however the plan grows.
    const relay = plan.nodes.find((n) => n.id === self.relay);
    if (!relay) return [];
    return [{ ...publicPeer(plan, self, relay), allowed_ips: [plan.ip_range, WIRE_RANGE, ulaNetwork(plan.netid)] }];
  }
  const dialIn = (subnet: string, privateKey: string): NetworkPeer => ({
    subnet,
    wireguard_public_key: publicKeyOf(privateKey),
    allowed_ips: prefixesOf(plan.netid, subnet),
  });
  return [
    ...plan.nodes.filter((n) => n !== self && isPublic(n)).map((n) => publicPeer(plan, self, n)),
    ...plan.nodes.filter((n) => n.relay === self.id).map((h) => dialIn(h.subnet, h.private_key)),
    ...plan.accesses.filter((a) => a.node === self.id).map((a) => dialIn(a.subnet, a.private_key)),
  ];
}

/** The document of node `self`. */
export function documentOf(plan: Plan, self: PlanNode): NodeDocument {
  return {
    netid: plan.netid,
    network: {
      ip_range: plan.ip_range,
      subnet: self.subnet,
      wireguard_private_key: self.private_key,
      wireguard_listen_port: self.port,
      peers: peersOf(plan, self),
    },
  };
}

/** Every node's document, keyed by node id in the plan's order. */
export function documentsOf(plan: Plan): Record<string, NodeDocument> {
  return Object.fromEntries(plan.nodes.map((n) => [n.id, documentOf(plan, n)]));
}

// A laptop's `wg-quick` configuration for one access of a plan: its own key and addresses (its
// wire address /32 and an address of its ULA /64), the tunnel MTU, and one peer, the entrypoint,
// through which the whole network is reached (ip_range, the wire range and the ULA /48). The
// keepalive keeps the laptop's NAT mapping open so the network can reach it between its packets.
import { isIPv4, isIPv6 } from 'node:net';
import { parsePrefix4, v4Text, wireAddress, WIRE_RANGE } from './ipv4.ts';
import type { Plan, PlanAccess } from './plan.ts';
import { publicKeyOf } from './plan-keys.ts';
import { ulaAddress, ulaNetwork } from './ula.ts';

/** Seconds between keepalives from the laptop (what Zero-OS's clients write; under common NAT timeouts). */
export const ACCESS_KEEPALIVE = 25;

/** The wg-quick file (INI text) of `access`; its entrypoint must be in the plan (the plan file checks it). */
export function accessConfig(plan: Plan, access: PlanAccess): string {
  const entry = plan.nodes.find((n) => n.id === access.node)!;
  const address = entry.endpoints.find(access.ipv4 ? isIPv4 : isIPv6) ?? entry.endpoints[0]!;
  const endpoint = isIPv6(address) ? `[${address}]:${entry.port}` : `${address}:${entry.port}`;
  const subnet = parsePrefix4(access.subnet)!;
  // The laptop's IPv6 address is the ULA twin of its /24's .1 (`<net48>:<c>::1`).
  const v6 = ulaAddress(plan.netid, v4Text(subnet.net + 1));
  return [
    '[Interface]',
    `# access ${access.name} of network ${plan.name} (netid ${plan.netid}) through node ${entry.id}`,
    `PrivateKey = ${access.private_key}`,
    `Address = ${wireAddress(subnet)}/32, ${v6}/128`,
    `MTU = ${access.mtu}`,
    '',
    '[Peer]',
    `PublicKey = ${publicKeyOf(entry.private_key)}`,
    `Endpoint = ${endpoint}`,
    `AllowedIPs = ${plan.ip_range}, ${WIRE_RANGE}, ${ulaNetwork(plan.netid)}`,
    `PersistentKeepalive = ${ACCESS_KEEPALIVE}`,
    '',
  ].join('\n');
}

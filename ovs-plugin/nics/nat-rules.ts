// The NAT's filtering, as one nft script that replaces our two tables whole in one transaction
// (nft -f applies a file atomically: never half-written, never absent in between):
// - `ip zos_nat`: masquerade of the pool towards the uplinks (the links of the IPv4 default
//   routes); forwarding from nat0 only to an uplink, into nat0 only for replies; from nat0 to
//   the host itself only replies and ICMP echo to nat0's address (the gateway).
// - `bridge zos_nat`: anti-spoofing per nat0 port (a default nic's host veth or guest tap): a
//   frame entering from one carries the nic's recorded MAC and, as IPv4 or ARP, its recorded pool
//   address, else it is dropped (IPv6 and every other ether type too); nothing is bridged from
//   one such port to another (default nics are isolated from each other; they meet only via
//   NAT's uplink, as any outside host would).
// The ports are listed by name (the kernel's `meta ibrname` is not in every kernel we run on).
import type { Pool } from './nat.ts';
import { isKind, type NicRecord, type RecordOf } from './types.ts';

/** nft table name (family `ip` and family `bridge`). */
export const NAT_TABLE = 'zos_nat';

/** What one default nic may send into nat0: from its host end, with its MAC and pool address. */
export interface Guard {
  port: string;
  mac: string;
  ip: string;
}

/** The guards of the default nics the rules must let through (all but those being detached and `without`). */
export function natGuards(all: readonly NicRecord[], without?: string): Guard[] {
  return all
    .filter(
      (r): r is RecordOf<'default'> =>
        isKind(r, 'default') && r.phase !== 'detaching' && r.key !== without && !!r.host && !!r.address,
    )
    .map((r) => ({ port: r.host, mac: r.hwaddr.toLowerCase(), ip: r.address.split('/')[0]! }))
    .sort((a, b) => a.port.localeCompare(b.port));
}

const q = (s: string): string => JSON.stringify(s);
const elements = (items: string[]): string => (items.length ? ` elements = { ${items.join(', ')} };` : '');

/** The nft script for the pool `net` (a.b.c.d/p), gateway, bridge, guards and uplinks. */
export function natRuleset(
  pool: Pool & { net: string },
  bridge: string,
  guards: readonly Guard[],
  uplinks: readonly string[],
): string {
  const br = q(bridge);
  return [
    `table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    `table bridge ${NAT_TABLE}`,
    `delete table bridge ${NAT_TABLE}`,
    `table ip ${NAT_TABLE} {`,
    `  set uplinks { type ifname;${elements(uplinks.map(q))} }`,
    '  chain postrouting { type nat hook postrouting priority srcnat; policy accept; ' +
      `ip saddr ${pool.net} oifname @uplinks masquerade; }`,
    '  chain forward { type filter hook forward priority filter; policy accept;',
    `    iifname ${br} oifname @uplinks ip saddr ${pool.net} accept`,
    `    iifname ${br} drop`,
    `    oifname ${br} ct state established,related accept`,
    `    oifname ${br} drop`,
    '  }',
    '  chain input { type filter hook input priority filter; policy accept;',
    `    iifname ${br} ct state established,related accept`,
    `    iifname ${br} ip daddr ${pool.gateway} icmp type echo-request accept`,
    `    iifname ${br} drop`,
    '  }',
    '}',
    `table bridge ${NAT_TABLE} {`,
    `  set ports { type ifname;${elements(guards.map((g) => q(g.port)))} }`,
    '  set ip4 { type ifname . ether_addr . ipv4_addr;' +
      `${elements(guards.map((g) => `${q(g.port)} . ${g.mac} . ${g.ip}`))} }`,
    '  set arp4 { type ifname . ether_addr . ether_addr . ipv4_addr;' +
      `${elements(guards.map((g) => `${q(g.port)} . ${g.mac} . ${g.mac} . ${g.ip}`))} }`,
    '  chain prerouting { type filter hook prerouting priority filter; policy accept;',
    '    iifname != @ports accept',
    '    iifname . ether saddr . ip saddr @ip4 accept',
    '    iifname . ether saddr . arp saddr ether . arp saddr ip @arp4 accept',
    '    drop',
    '  }',
    '  chain forward { type filter hook forward priority filter; policy accept; iifname @ports drop; }',
    '}',
    '',
  ].join('\n');
}

// The one rule for an IPv4 DHCP lease's gateways, written twice: in TypeScript for the agent's
// probe (internet/discover/probe-dhcp4.ts judges the answer) and in sh for the udhcpc hook
// (lib/udhcpc-hook.ts: dhcp-zos's and the plugin's DHCP nics' renewals), because the hook runs
// under busybox sh with no node. test/lib/router-rule.test.ts runs one table of cases through
// both. The rule:
// - a gateway is a unicast IPv4 address (link-local allowed), not the lease's own address, not
//   its subnet's network or broadcast address (lib/unicast.ts gatewayProblem);
// - a default gateway outside the lease's subnet is taken only when the lease has classless
//   static routes (option 121) (the kernel needs `onlink`; without 121 no server meant it);
// - the default gateway is option 121's `0.0.0.0/0` route's, else option 3's, the first usable
//   one (RFC 3442: 121 replaces the router option); `0.0.0.0/0 via 0.0.0.0` (an on-link default)
//   is not a gateway and is ignored.
import { isIPv4 } from 'node:net';
import { gatewayProblem, inSubnet } from './unicast.ts';

/**
 * Why `gw` cannot be a next hop of the lease `address/prefix` (undefined: it can); `has121`: the lease has option-121
 * routes.
 */
export function routerProblem(gw: string, address: string, prefix: number, has121: boolean): string | undefined {
  if (!isIPv4(gw)) return 'is not IPv4';
  const why = gatewayProblem(gw, address, prefix, 4);
  if (why) return why.replace("host's own", "lease's own");
  if (!has121 && !inSubnet(gw, address, prefix))
    return `is outside ${address}/${prefix} and the lease has no classless static routes (option 121)`;
  return undefined;
}

/** Default-gateway candidates in order: option 121's default (not 0.0.0.0), then option 3's routers. */
export function routerCandidates(default121: string | undefined, routers: string[]): string[] {
  return [...(default121 && default121 !== '0.0.0.0' ? [default121] : []), ...routers];
}

/**
 * The same rule in busybox sh: `gw_why GW HAS121` sets `why` (empty: usable) from the lease in
 * udhcpc's environment (`$ip`, `$mask`); `ip4n A` sets `n` to a dotted quad's value (no fork:
 * shell arithmetic is 64-bit in busybox and dash). Leading zeros are refused (sh reads octal).
 * A lone `\` ending a line is the template's line continuation: the script gets one line there.
 */
export const ROUTER_RULE_SH = `ip4n() {
  case "$1" in ''|*[!0-9.]*|.*|*.|*..*|0[0-9]*|*.0[0-9]*) return 1 ;; esac
  local IFS=.
  set -- $1
  [ $# -eq 4 ] && [ "$1" -le 255 ] && [ "$2" -le 255 ] && [ "$3" -le 255 ] && [ "$4" -le 255 ] || return 1
  n=$(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 ))
}
gw_why() {
  why=
  ip4n "$1" || { why='is not IPv4'; return; }
  local g=$n a m f
  ip4n "$ip" || { why='lease address is not IPv4'; return; }
  a=$n
  case "$mask" in ''|*[!0-9]*) why='lease has no prefix'; return ;; esac
  m=$(( mask == 0 ? 0 : (0xffffffff << (32 - mask)) & 0xffffffff ))
  f=$(( g >> 24 ))
  if [ $f -eq 0 ]; then why='is in 0.0.0.0/8 (this network), not a host address'
  elif [ $f -eq 127 ]; then why='is a loopback address'
  elif [ $f -ge 224 ] && [ $f -le 239 ]; then why='is a multicast address'
  elif [ $g -eq 4294967295 ]; then why='is the broadcast address'
  elif [ $f -ge 240 ]; then why='is in the reserved range 240.0.0.0/4'
  elif [ $g -eq $a ]; then why="is the lease's own address"
  elif [ $(( g & m )) -ne $(( a & m )) ]; then
    [ "$2" = 1 ] || why="is outside $ip/$mask and the lease has no classless static routes (option 121)"
  elif [ "$mask" -lt 31 ] && [ $g -eq $(( a & m )) ]; then why='is the network address of the subnet'
  elif [ "$mask" -lt 31 ] && [ $g -eq $(( (a & m) | (~m & 0xffffffff) )) ]; then \
why='is the broadcast address of the subnet'
  fi
}
`;

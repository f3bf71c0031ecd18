// The udhcpc hook script of dhcp-zos. busybox's and Debian's default scripts flush the
// interface on `deconfig`, which udhcpc runs as soon as it starts: the address the agent just
// put on zos would vanish until the new lease is bound (seconds offline, every boot). This one
// leaves zos alone on the first deconfig (udhcpc asks for the same lease with -r), flushes on a
// later one (a lease really lost), and on bound/renew replaces address, routes and DNS in place.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic-file.ts';

/** The script text (busybox sh; udhcpc passes the lease in the environment). */
export const DHCP_ZOS_SCRIPT = `#!/bin/sh
# udhcpc hook for dhcp-zos, written by internet. Environment from udhcpc: interface ip mask
# router dns domain staticroutes; RESOLV_CONF from the unit.
RESOLV_CONF="\${RESOLV_CONF:-/etc/resolv.conf}"
mark="$0.$PPID"   # beside this script: one mark per udhcpc process
case "$1" in
  deconfig)
    if [ -e "$mark" ]; then
      ip -4 addr flush dev "$interface"
      ip -4 route flush dev "$interface"
    fi
    : > "$mark"
    ip link set dev "$interface" up
    ;;
  bound|renew)
    : > "$mark"
    for a in $(ip -4 -o addr show dev "$interface" | awk '{print $4}'); do
      [ "$a" = "$ip/$mask" ] || ip -4 addr del "$a" dev "$interface"
    done
    ip -4 addr replace "$ip/$mask" broadcast + dev "$interface"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$1" = 0.0.0.0/0 ]; then router="$2"; else ip -4 route replace "$1" via "$2" dev "$interface"; fi
        shift 2
      done
    fi
    router="\${router%% *}"
    [ -n "$router" ] && ip -4 route replace default via "$router" dev "$interface"
    if [ -n "$dns" ]; then
      { [ -n "$domain" ] && echo "search $domain"; for d in $dns; do echo "nameserver $d"; done; } > "$RESOLV_CONF.tmp" \\
        && mv "$RESOLV_CONF.tmp" "$RESOLV_CONF"
    fi
    ;;
esac
exit 0
`;

/** Writes the script to `path` (mode 0755) unless it is already there unchanged. */
export async function writeDhcpZosScript(path: string): Promise<void> {
  const have = await readFile(path, 'utf8').catch(() => undefined);
  if (have !== DHCP_ZOS_SCRIPT) await writeFileAtomic(path, DHCP_ZOS_SCRIPT, 0o755);
}

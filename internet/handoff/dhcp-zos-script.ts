// The script of dhcp-zos, both zinit's exec (`run CLIENT...`) and the client's udhcpc hook.
// - run: busybox udhcpc on an administratively down link never recovers and never exits
//   ("Network is down, reopening socket" once a second, whatever -t/-n say), so a watcher beside
//   the client brings zos back up (at start and every 2 s) and has the client renew (SIGUSR1:
//   the kernel dropped zos's routes with the link), then the script becomes the client:
//   zinit's pid, signals (stop, `kill dhcp-zos SIGUSR1` to renew) and restarts are udhcpc's own.
// - deconfig: busybox's and Debian's default scripts flush the interface on the deconfig udhcpc
//   runs as soon as it starts: the address the agent just put on zos would vanish until the new
//   lease is bound (seconds offline, every boot). This one leaves zos alone on the first
//   deconfig (udhcpc asks for the same lease with -r) and flushes on a later one (a lease really
//   lost).
// - bound/renew: address, option-121 routes, default route and DNS replaced in place, with the
//   agent's rules (apply.ts): a gateway the kernel refuses as off-subnet (a /32 lease, an
//   option-121 gateway outside the subnet) is routed `onlink`, a 0.0.0.0 gateway is on-link.
// `ip` is called by absolute path: the image's busybox sh would run its own applet first.
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { ZOS } from '../zos/bridge.ts';

/** The script text (busybox sh; udhcpc passes the lease in the environment); `ip`: absolute path. */
export function dhcpZosScript(ip: string): string {
  return `#!/bin/sh
# dhcp-zos, written by internet. "run CLIENT ARGS...": keep ${ZOS} up, become the client.
# Otherwise the udhcpc hook. Environment from udhcpc: interface ip mask router dns domain
# staticroutes; RESOLV_CONF from the unit.
IP=${ip}
RESOLV_CONF="\${RESOLV_CONF:-/etc/resolv.conf}"
zos_down() {   # sysfs costs no fork; where /sys is another namespace's, ip tells
  if read -r f 2>/dev/null < /sys/class/net/${ZOS}/flags; then [ $((f & 1)) -eq 0 ]
  else case "$("$IP" -o link show dev ${ZOS} 2>/dev/null)" in ''|*"<UP,"*|*"<UP>"*|*",UP,"*|*",UP>"*) return 1 ;; esac; fi
}
zos_up() {
  zos_down || return 1
  echo "dhcp-zos: ${ZOS} is down, bringing it up"
  "$IP" link set dev ${ZOS} up
}
via() {
  "$IP" -4 route replace "$1" via "$2" dev "$interface" 2>/dev/null \\
    || "$IP" -4 route replace "$1" via "$2" dev "$interface" onlink \\
    || echo "dhcp-zos: no route $1 via $2"
}
case "$1" in
  run)
    shift
    zos_up
    # The kernel dropped zos's routes when it went down: the client renews to put them back.
    ( trap '' USR1 USR2 HUP; while kill -0 $$ 2>/dev/null; do sleep 2; zos_up && kill -USR1 $$; done ) &
    exec "$@"
    ;;
  deconfig)
    mark="$0.$PPID"   # beside this script: one mark per udhcpc process
    if [ -e "$mark" ]; then
      "$IP" -4 addr flush dev "$interface"
      "$IP" -4 route flush dev "$interface"
    fi
    : > "$mark"
    "$IP" link set dev "$interface" up
    ;;
  bound|renew)
    : > "$0.$PPID"
    for a in $("$IP" -4 -o addr show dev "$interface" | awk '{print $4}'); do
      [ "$a" = "$ip/$mask" ] || "$IP" -4 addr del "$a" dev "$interface"
    done
    "$IP" -4 addr replace "$ip/$mask" broadcast + dev "$interface"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$1" = 0.0.0.0/0 ]; then router="$2"
        elif [ "$2" = 0.0.0.0 ]; then "$IP" -4 route replace "$1" dev "$interface" scope link
        else via "$1" "$2"; fi
        shift 2
      done
    fi
    router="\${router%% *}"
    if [ "$router" = 0.0.0.0 ]; then "$IP" -4 route replace default dev "$interface" scope link
    elif [ -n "$router" ]; then via default "$router"; fi
    if [ -n "$dns" ]; then
      { echo "# written by internet (DHCP on $interface)"; [ -n "$domain" ] && echo "search $domain"; for d in $dns; do echo "nameserver $d"; done; } > "$RESOLV_CONF.tmp" \\
        && mv "$RESOLV_CONF.tmp" "$RESOLV_CONF"
    fi
    ;;
esac
exit 0
`;
}

/** True when `path` holds `text` and is executable (zinit execs it: a 0644 file is a Failure). */
export async function scriptInPlace(path: string, text: string): Promise<boolean> {
  const [have, st] = await Promise.all([readFile(path, 'utf8').catch(() => undefined), stat(path).catch(() => undefined)]);
  return have === text && !!st && (st.mode & 0o100) !== 0;
}

/** Writes the script to `path` (mode 0755) unless it is already there, unchanged and executable. */
export async function writeDhcpZosScript(path: string, text: string): Promise<void> {
  if (!(await scriptInPlace(path, text))) await writeFileAtomic(path, text, 0o755);
}

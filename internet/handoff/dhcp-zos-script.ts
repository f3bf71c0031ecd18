// The script of dhcp-zos, both zinit's exec (`run CLIENT...`) and the client's udhcpc hook.
// - run: busybox udhcpc on an administratively down link never recovers and never exits
//   ("Network is down, reopening socket" once a second, whatever -t/-n say), so a watcher beside
//   the client brings zos back up (at start and every 2 s) and has the client renew (SIGUSR1:
//   the kernel dropped zos's routes with the link), then the script becomes the client:
//   zinit's pid, signals (stop, `kill dhcp-zos SIGUSR1` to renew) and restarts are udhcpc's own.
// - deconfig, bound/renew: the generic udhcpc hook (lib/udhcpc-hook.ts): the address the
//   agent just put on zos stays through the first deconfig; lease applied in place.
// `ip` is called by absolute path: the image's busybox sh would run its own applet first.
import { scriptInPlace, udhcpcHookScript, writeScript } from '../../lib/udhcpc-hook.ts';
import { ZOS } from '../zos/bridge.ts';

/** The script text (busybox sh; udhcpc passes the lease in the environment); `ip`: absolute path. */
export function dhcpZosScript(ip: string): string {
  return udhcpcHookScript({
    ip,
    name: 'dhcp-zos',
    writtenBy: 'internet',
    comment: [
      `dhcp-zos, written by internet. "run CLIENT ARGS...": keep ${ZOS} up, become the client.`,
      'Otherwise the udhcpc hook. Environment from udhcpc: interface ip mask router dns domain',
      'staticroutes; RESOLV_CONF from the unit.',
    ],
    // A lone `\` ending a line is the template's line continuation: the script gets one line there.
    functions: `zos_down() {   # sysfs costs no fork; where /sys is another namespace's, ip tells
  if read -r f 2>/dev/null < /sys/class/net/${ZOS}/flags; then [ $((f & 1)) -eq 0 ]
  else case "$("$IP" -o link show dev ${ZOS} 2>/dev/null)" in \
''|*"<UP,"*|*"<UP>"*|*",UP,"*|*",UP>"*) return 1 ;; esac; fi
}
zos_up() {
  zos_down || return 1
  echo "dhcp-zos: ${ZOS} is down, bringing it up"
  "$IP" link set dev ${ZOS} up
}
`,
    cases: `  run)
    shift
    zos_up
    # The kernel dropped zos's routes when it went down: the client renews to put them back.
    ( trap '' USR1 USR2 HUP; while kill -0 $$ 2>/dev/null; do sleep 2; zos_up && kill -USR1 $$; done ) &
    exec "$@"
    ;;
`,
  });
}

/** True when `path` holds `text` and is executable (zinit execs it: a 0644 file is a Failure). */
export { scriptInPlace };

/** Writes the script to `path` (mode 0755) unless it is already there, unchanged and executable. */
export const writeDhcpZosScript = writeScript;

// A busybox udhcpc hook script (`udhcpc -s SCRIPT`), shared by internet's dhcp-zos and the
// plugin's DHCP nics; a caller adds its own functions and `case` arms (dhcp-zos: `run`).
// - deconfig: busybox's and Debian's default scripts flush the interface on the deconfig udhcpc
//   runs as soon as it starts: an address already on the link would vanish until the new lease
//   is bound. This one leaves the link alone on the first deconfig (udhcpc asks for the same
//   lease with -r) and flushes on a later one (a lease really lost).
// - bound/renew: address, option-121 routes, default route and DNS replaced in place. Gateways
//   follow the agent probe's rule (lib/router-rule.ts, one table of cases tests both): an
//   unusable one (the lease's own address, 0.0.0.0, off-subnet without option 121...) is logged
//   and skipped, and with no usable router the previous default route stays; an option-121
//   gateway outside the subnet is routed `onlink`; DNS into $RESOLV_CONF (atomically), then the
//   caller's `afterResolv` command if it gave one.
// - the mark holds `bound` once a lease is applied whole (a deconfig empties it); it is
//   `$UDHCPC_MARK` when the caller sets it (a file it removes when it stops
//   the client), else `$0.$PPID` beside the script.
// `ip` is called by absolute path: the image's busybox sh would run its own applet first.
import { readFile, stat } from 'node:fs/promises';
import { isMissingPath } from './errors.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { ROUTER_RULE_SH } from './router-rule.ts';

/** What a caller puts into the hook script. */
export interface UdhcpcHook {
  /** Absolute path of iproute2's ip. */
  ip: string;
  /** Comment lines after the shebang (without `# `). */
  comment: string[];
  /** The script's name in its messages. */
  name: string;
  /** Who writes the resolv.conf (its first line says "written by WHO"). */
  writtenBy: string;
  /** Shell functions defined before the `case` (text ending in a newline). */
  functions?: string;
  /** `case "$1"` arms placed before deconfig (text ending in a newline). */
  cases?: string;
  /** A shell command run after $RESOLV_CONF is replaced (one line, no newline). */
  afterResolv?: string;
}

/** The script text (busybox sh; udhcpc passes the lease in the environment). */
export function udhcpcHookScript(h: UdhcpcHook): string {
  // A lone `\` ending a line is the template's line continuation (the script gets one line there);
  // `\\` is a backslash in the script.
  return `#!/bin/sh
${h.comment.map((l) => `# ${l}`).join('\n')}
IP=${h.ip}
RESOLV_CONF="\${RESOLV_CONF:-/etc/resolv.conf}"
${h.functions ?? ''}${ROUTER_RULE_SH}via() {
  "$IP" -4 route replace "$1" via "$2" dev "$interface" 2>/dev/null \\
    || "$IP" -4 route replace "$1" via "$2" dev "$interface" onlink \\
    || echo "${h.name}: no route $1 via $2"
}
case "$1" in
${h.cases ?? ''}  deconfig)
    mark="\${UDHCPC_MARK:-$0.$PPID}"   # one mark per udhcpc process
    if [ -e "$mark" ]; then
      "$IP" -4 addr flush dev "$interface"
      "$IP" -4 route flush dev "$interface"
    fi
    : > "$mark"
    "$IP" link set dev "$interface" up
    ;;
  bound|renew)
    : > "\${UDHCPC_MARK:-$0.$PPID}"
    for a in $("$IP" -4 -o addr show dev "$interface" | awk '{print $4}'); do
      [ "$a" = "$ip/$mask" ] || "$IP" -4 addr del "$a" dev "$interface"
    done
    "$IP" -4 addr replace "$ip/$mask" broadcast + dev "$interface"
    # Routes and gateway by the probe's rule (lib/router-rule.ts); an unusable one is logged, skipped.
    has121=0; r121=; d121=
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$2" = 0.0.0.0 ] && [ "$1" != 0.0.0.0/0 ]; then has121=1; \
"$IP" -4 route replace "$1" dev "$interface" scope link
        elif [ "$2" = 0.0.0.0 ]; then d121=1; \
echo "${h.name}: ignored option-121 route 0.0.0.0/0 via 0.0.0.0: an on-link default is no gateway"
        else
          gw_why "$2" 1
          [ "$1" = 0.0.0.0/0 ] && d121=1
          if [ -n "$why" ]; then echo "${h.name}: ignored option-121 route $1 via $2: $2 $why"
          elif [ "$1" = 0.0.0.0/0 ]; then has121=1; [ -n "$r121" ] || r121="$2"
          else has121=1; via "$1" "$2"; fi
        fi
        shift 2
      done
    fi
    gw=
    for r in $r121 $router; do
      gw_why "$r" "$has121"
      [ -z "$why" ] && { gw="$r"; break; }
      echo "${h.name}: router $r $why"
    done
    if [ -n "$gw" ]; then via default "$gw"
    elif [ -n "$d121$router" ]; then echo "${h.name}: no usable router in the lease: the previous default route stays"
    fi
    # The search domain the probe takes (probe-dhcp4.ts): 1..253 of A-Z a-z 0-9 . -, else none.
    case "$domain" in *[!A-Za-z0-9.-]*) echo "${h.name}: ignored invalid search domain"; domain= ;; esac
    [ \${#domain} -le 253 ] || { echo "${h.name}: ignored search domain longer than 253"; domain=; }
    if [ -n "$dns" ]; then
      { echo "# written by ${h.writtenBy} (DHCP on $interface)"; [ -n "$domain" ] && echo "search $domain"; \
for d in $dns; do echo "nameserver $d"; done; } > "$RESOLV_CONF.tmp" \\
        && mv "$RESOLV_CONF.tmp" "$RESOLV_CONF"${
          h.afterResolv
            ? ` \\
        && ${h.afterResolv}`
            : ''
        }
    fi
    echo bound > "\${UDHCPC_MARK:-$0.$PPID}"   # the lease is applied whole: address, routes, DNS
    ;;
esac
exit 0
`;
}

/** True when `path` holds `text` and is executable (a 0644 hook is not run). */
export async function scriptInPlace(path: string, text: string): Promise<boolean> {
  const missing = (err: unknown): undefined => {
    if (isMissingPath(err)) return undefined;
    throw err;
  };
  const [have, st] = await Promise.all([readFile(path, 'utf8').catch(missing), stat(path).catch(missing)]);
  return have === text && !!st && (st.mode & 0o100) !== 0;
}

/** Writes the script to `path` (mode 0755) unless it is already there, unchanged and executable. */
export async function writeScript(path: string, text: string): Promise<void> {
  if (!(await scriptInPlace(path, text))) await writeFileAtomic(path, text, 0o755);
}

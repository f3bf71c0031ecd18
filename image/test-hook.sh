#!/bin/sh
# Boot tests' hook, run when zos.test= is on the command line (every image has it): `online`
# (a oneshot after internet) runs the in-node checks where the image has them (the test images:
# test/image/node-checks/, image/build.sh TEST_CHECKS), then prints the status; `timeout` (the
# /init watchdog) prints the last status. One line `STATUS {...}` in one write(), kernel console
# messages quieted first; zos.test=poweroff then powers the node off.
export PATH=/usr/bin
dmesg -n 1
read -r cmdline </proc/cmdline
mode=
for w in $cmdline; do case $w in zos.test=*) mode=${w#zos.test=} ;; esac; done
line=/run/zos-test.$1
checks=/usr/lib/zos/zos-test-checks.js
if [ "$1" = online ]; then
  if [ -f "$checks" ]; then
    node "$checks"
  else
    # A check asked for on an image without them: say so instead of a silently missing line.
    # (Only the check's name goes into the JSON, never the rest of the word.)
    for w in $cmdline; do case $w in zos.test.plugin | zos.test.nics | zos.test.nics=* | zos.test.scale | zos.test.scale=* | zos.test.rerun | zos.test.wg | zos.test.overlay=* | zos.test.fleet=*)
      printf 'CHECKS {"ok":false,"error":"%s: this image has no test checks (build it with TEST_CHECKS)"}\n' "${w%%=*}" >/dev/console ;;
    esac; done
  fi
fi
f=/run/internet/status.json
{ printf 'STATUS '; if [ -s "$f" ]; then sed 's/^[[:space:]]*//' "$f" | tr -d '\n'; else printf '{"phase":"none"}'; fi; printf '\n'; } >"$line"
dd if="$line" of=/dev/console bs=4M 2>/dev/null
[ "$mode" = poweroff ] && { sync; poweroff -f; }
exit 0

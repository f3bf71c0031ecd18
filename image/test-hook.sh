#!/bin/sh
# Boot tests' hook, run when zos.test= is on the command line: `online` (a oneshot after
# internet) runs the in-node checks (image/zos-init/test-checks.ts), then prints the status; `timeout` (the /init
# watchdog) prints the last status. One line `STATUS {...}` in one write(), kernel console
# messages quieted first; zos.test=poweroff then powers the node off.
export PATH=/usr/bin
dmesg -n 1
read -r cmdline </proc/cmdline
mode=
for w in $cmdline; do case $w in zos.test=*) mode=${w#zos.test=} ;; esac; done
line=/run/zos-test.$1
if [ "$1" = online ]; then
  node /usr/lib/zos/zos-init.js test-checks
fi
f=/run/internet/status.json
{ printf 'STATUS '; if [ -s "$f" ]; then sed 's/^[[:space:]]*//' "$f" | tr -d '\n'; else printf '{"phase":"none"}'; fi; printf '\n'; } >"$line"
dd if="$line" of=/dev/console bs=4M 2>/dev/null
[ "$mode" = poweroff ] && { sync; poweroff -f; }
exit 0

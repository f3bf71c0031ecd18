#!/usr/bin/env bash
# `make image-repro`: builds the image twice from scratch (same inputs, separate dirs) and
# checks that the four artefacts are byte-identical; prints their sha256.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${OUT:-build/image-repro}
# Both builds from the same commit and time, even if HEAD moves while they run.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export ZOS_VERSION=${ZOS_VERSION:-$(git rev-parse --short HEAD)}
for n in a b; do
  OUT=$base/$n bash image/build.sh >/dev/null
  rm -rf "$base/$n/work"
done
rc=0
for f in pxe/vmlinuz pxe/initrd.img pxe/boot.ipxe usb.img pvh/vmlinux; do
  if cmp -s "$base/a/$f" "$base/b/$f"; then
    printf 'same  %s  %s\n' "$(sha256sum <"$base/a/$f" | cut -c1-16)" "$f"
  else
    printf 'DIFF  %s\n' "$f"; rc=1
  fi
done
exit $rc

# The initramfs tree: a merged-/usr layout with busybox applets, the real tools the agent and
# OVS need (with the libraries ldd lists), Node stripped, our bundles, units and /init; the
# boot tests' checks bundle only when TEST_CHECKS names it.

# Minifies a bundle into $root$2.
minify_bundle() {
  node_modules/.bin/esbuild "$1" --minify --keep-names --platform=node --format=cjs --target=node20 \
    --log-level=warning --outfile="$root$2" || die "cannot minify $1 (run npm ci)"
}

# Copies an executable to $root$2 (default: same path), and every library ldd names.
copy_exe() {
  local src dest=${2:-$1} lib
  src=$(readlink -f "$1")
  [ -f "$src" ] || die "missing $1 on the build machine"
  install -D -m 0755 "$src" "$root$dest"
  for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
    [ -e "$root/usr/lib/x86_64-linux-gnu/$(basename "$lib")" ] && continue
    install -D -m 0755 "$(readlink -f "$lib")" "$root/usr/lib/x86_64-linux-gnu/$(basename "$lib")"
  done
}

# Copies the modules we need with their dependencies and runs depmod on the subset.
copy_modules() {
  local kdir=$1 kver=$2 m path
  # The .deb ships no modules.dep: make one on the extracted tree first.
  depmod -b "$kdir" "$kver"
  for m in "${MODULES[@]}" "${NFT_MODULES[@]}"; do
    modprobe -S "$kver" -d "$kdir" --show-depends "$m" >/dev/null 2>&1 || die "kernel $kver has no module $m"
    modprobe -S "$kver" -d "$kdir" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | sort -u | while read -r path; do
    install -D -m 0644 "$path" "$root/usr/${path#"$kdir"/}"
  done
  cp "$kdir/lib/modules/$kver/modules.order" "$kdir/lib/modules/$kver/modules.builtin" \
    "$kdir/lib/modules/$kver/modules.builtin.modinfo" "$root/usr/lib/modules/$kver/"
  depmod -b "$root/usr" "$kver"
}

# busybox applets as links in /usr/bin, except those a real tool replaces.
link_busybox() {
  local a name
  install -D -m 0755 "$(readlink -f /bin/busybox)" "$root/usr/bin/busybox"
  for a in $(/bin/busybox --list-full); do
    name=$(basename "$a")
    case $name in busybox|linuxrc|ip|bridge|nsenter|setpriv|sysctl|sh|modprobe|depmod|insmod|rmmod|lsmod|modinfo) continue ;; esac
    [ -e "$root/usr/bin/$name" ] || ln -s busybox "$root/usr/bin/$name"
  done
}

build_rootfs() {
  local kdir=$2 kver=$3 d
  mkdir -p "$root"/usr/{bin,lib/x86_64-linux-gnu,lib64,lib/zos,share} "$root"/{dev,proc,sys,run,tmp,mnt,root,etc/zinit}
  for d in bin sbin; do ln -s usr/bin "$root/$d"; done
  ln -s bin "$root/usr/sbin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  mkdir -p "$root/var/lib" "$root/var/log"
  ln -s ../run "$root/var/run"
  chmod 1777 "$root/tmp"
  install -D -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/usr/lib64/ld-linux-x86-64.so.2"

  link_busybox
  # dash as /bin/sh: busybox's sh runs its own applets before $PATH (its `ip` ignores
  # vlan_filtering), so no `sh -c` in a unit or in the agent may reach busybox's ip.
  copy_exe /bin/dash /usr/bin/sh
  copy_exe /usr/sbin/ip /usr/bin/ip
  copy_exe /usr/sbin/bridge /usr/bin/bridge
  copy_exe /usr/bin/nsenter /usr/bin/nsenter
  # setpriv --pdeathsig KILL ties the agent's fallback `ip monitor` to the agent's life.
  copy_exe /usr/bin/setpriv /usr/bin/setpriv
  copy_exe /usr/sbin/sysctl /usr/bin/sysctl
  # nice(1): /init loads the modules boot does not need at the lowest priority (busybox has none).
  copy_exe /usr/bin/nice /usr/bin/nice
  # nft: the NR's and the default nics' firewall (nftables; its modules: NFT_MODULES in build.sh).
  copy_exe /usr/sbin/nft /usr/bin/nft
  copy_exe /usr/bin/rdisc6 /usr/bin/rdisc6
  chmod 0755 "$root/usr/bin/rdisc6"
  copy_exe /usr/bin/kmod /usr/bin/kmod
  for d in modprobe depmod insmod rmmod lsmod modinfo; do ln -s kmod "$root/usr/bin/$d"; done
  for d in ovs-vswitchd ovsdb-server ovsdb-tool ovs-vsctl ovs-appctl ovsdb-client; do
    copy_exe "$(command -v "$d" || echo "/usr/sbin/$d")" "/usr/bin/$d"
  done
  install -D -m 0644 /usr/share/openvswitch/vswitch.ovsschema "$root/usr/share/openvswitch/vswitch.ovsschema"
  # OVN's chassis daemon (Debian ovn-host) for fleet mode, run by zinit/ovn-controller.yaml once
  # the node has joined. It needs no file of /usr/share/ovn (the SB schema comes over the wire).
  copy_exe /usr/bin/ovn-controller /usr/bin/ovn-controller
  mkdir -p "$root/etc/openvswitch"
  [ -d /etc/iproute2 ] && cp -r /etc/iproute2 "$root/etc/iproute2"
  [ -d /usr/share/iproute2 ] && cp -r /usr/share/iproute2 "$root/usr/share/iproute2"

  # Node, stripped (the build machine's own binary: ~12 MB less), and our bundles.
  copy_exe "$(command -v node)" /usr/bin/node
  strip --strip-all "$root/usr/bin/node"
  # The bundles minified (names kept): V8 parses half the bytes; under TCG that is ~0.3 s less
  # per Node process before the agent's first line (the image ships no source maps anyway).
  for d in internet ovs-plugin zos-init; do minify_bundle "dist/$d.js" "/usr/lib/zos/$d.js"; done
  # Test code stays out of the product: the checks only in the images the boot tests boot.
  if [ -n "$TEST_CHECKS" ]; then minify_bundle "$TEST_CHECKS" /usr/lib/zos/zos-test-checks.js; fi
  cp dist/package.json "$root/usr/lib/zos/"
  cp -r dist/prebuilds "$root/usr/lib/zos/prebuilds"
  for d in $(find "$root/usr/lib/zos/prebuilds" -name '*.node'); do
    for lib in $(ldd "$d" 2>/dev/null | awk '/=> \// {print $3}'); do
      [ -e "$root/usr/lib/x86_64-linux-gnu/$(basename "$lib")" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root/usr/lib/x86_64-linux-gnu/$(basename "$lib")"
    done
  done
  if [ -n "$ZINIT" ]; then copy_exe "$ZINIT" /usr/bin/zinit; fi

  cp zinit/*.yaml "$root/etc/zinit/"
  cp "$here"/units/*.yaml "$root/etc/zinit/"
  install -m 0755 "$here/init" "$root/init"
  install -D -m 0755 "$here/test-hook.sh" "$root/usr/lib/zos/test-hook.sh"
  copy_modules "$kdir" "$kver"
  # /init loads these (one list: MODULES in build.sh), BOOT_MODULES before zinit, all in the background.
  printf '%s\n' "${BOOT_MODULES[@]}" >"$root/etc/modules.boot"
  printf '%s\n' "${MODULES[@]}" >"$root/etc/modules"

  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
  printf 'PATH=/usr/bin\n' >"$root/etc/environment"
  : >"$root/etc/resolv.conf"
  printf 'NAME="zos-network appliance"\nID=zos\nVERSION_ID=%s\n' "$ZOS_VERSION" >"$root/etc/os-release"
}

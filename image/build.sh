#!/usr/bin/env bash
# `make image`: the appliance image (kernel + initramfs for PXE, a FAT disk with a unified EFI
# executable for USB). Inputs come from the environment (set by the Makefile):
#   OUT      output and scratch dir (default build/image)
#   ZINIT    a zinit binary to run as PID 1 (optional; without it the fallback init runs)
#   CMDLINE  appended to the default kernel command line
#   CACHE    where the downloaded kernel package is kept (default OUT/cache)
#   TEST_CHECKS  the boot tests' in-node checks bundle (dist/zos-test-checks.js) to put in
#            as /usr/lib/zos/zos-test-checks.js; only the test images have it (default: none)
# Reproducible: the same inputs give byte-identical artefacts (SOURCE_DATE_EPOCH, default the
# last commit's time). Needs root only to install missing Debian build packages.
set -euo pipefail
cd "$(dirname "$0")/.."
here=image
OUT=${OUT:-build/image}
ZINIT=${ZINIT:-}
CMDLINE=${CMDLINE:-}
CACHE=${CACHE:-$OUT/cache}
TEST_CHECKS=${TEST_CHECKS:-}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
# The version in /etc/os-release (and the UKI's .osrel): the commit, unless given.
export ZOS_VERSION=${ZOS_VERSION:-$(git rev-parse --short HEAD 2>/dev/null || echo dev)}
export LC_ALL=C TZ=UTC
# quiet: the kernel's ~300 boot lines on the serial console cost ~1 s under TCG (A/B in image/README.md).
DEFAULT_CMDLINE="panic=10 quiet console=ttyS0,115200"
# Kernel modules the product needs (their dependencies come along through modules.dep); the
# NIC drivers among them are loaded before zinit, the rest in the background (image/init).
# geneve and vport_geneve: fleet mode's tunnels (OVN's default encap) on the kernel datapath.
MODULES=(virtio_pci virtio_net bridge 8021q vxlan geneve macvlan openvswitch vport_vxlan vport_geneve tun veth wireguard)
BOOT_MODULES=(virtio_pci virtio_net)
# Modules in the image that boot does not load: the kernel loads them through modprobe when the
# first nft transaction needs them (nfnetlink and nf_tables by their netlink aliases, the chain
# types and expressions by nft-chain-*/nft-expr-* aliases). nftables' rules: the NR's `inet zos_nr`
# and the host's `inet zos_overlay` (ct state, masquerade in a nat chain; tcp option maxseg and rt
# mtu are nf_tables' own), the default nics' `ip zos_nat` and `bridge zos_nat`.
NFT_MODULES=(nfnetlink nf_tables nft_ct nft_chain_nat nft_masq nf_nat nf_conntrack nft_meta_bridge)

say() { printf 'image: %s\n' "$*"; }
die() { printf 'image: error: %s\n' "$*" >&2; exit 1; }

. "$here/lib/packages.sh"
. "$here/lib/rootfs.sh"
. "$here/lib/artefacts.sh"

[ -z "$ZINIT" ] || [ -x "$ZINIT" ] || die "ZINIT=$ZINIT is not an executable file"
[ -z "$TEST_CHECKS" ] || [ -f "$TEST_CHECKS" ] || die "TEST_CHECKS=$TEST_CHECKS is not a file (run make build)"
ensure_build_packages
[ -f dist/internet.js ] && [ -f dist/ovs-plugin.js ] && [ -f dist/zos-init.js ] || die "dist/ bundles missing: run make build"

work=$OUT/work
rm -rf "$work" "$OUT/pxe" "$OUT/pvh" "$OUT/usb.img"
mkdir -p "$work" "$CACHE" "$OUT/pxe"
root=$work/root

kdir=$(realpath "$(fetch_kernel "$CACHE" "$work/kernel")")
kver=$(basename "$(ls -d "$kdir"/lib/modules/*)")
say "kernel $kver"
build_rootfs "$root" "$kdir" "$kver"
cmdline="$DEFAULT_CMDLINE${CMDLINE:+ $CMDLINE}"
make_initrd "$root" "$OUT/pxe/initrd.img"
cp "$kdir/boot/vmlinuz-$kver" "$OUT/pxe/vmlinuz"
make_ipxe "$OUT/pxe/boot.ipxe" "$cmdline"
make_pvh "$OUT/pxe/vmlinuz" "$OUT/pvh/vmlinux"
make_usb "$OUT/pxe/vmlinuz" "$OUT/pxe/initrd.img" "$cmdline" "$work/uki" "$OUT/usb.img"
touch -d "@$SOURCE_DATE_EPOCH" "$OUT/pxe/"* "$OUT/pvh/vmlinux" "$OUT/usb.img"
print_sizes "$root" "$OUT"

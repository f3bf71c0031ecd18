#!/usr/bin/env bash
# The boot benchmark's anchor (test/bench/boot.ts), never part of the image: the image's own
# kernel and initramfs with only /init replaced by a plain busybox script (proc/sys/dev, the NIC
# drivers, eth0 up, `udhcpc -q -n`, the lease applied, `ANCHOR LEASE <uptime>`; then, after the
# lease, `node -e 0` and OVS up with a bridge, each stamped; poweroff).
# The initrd is the image's initrd.img byte for byte followed by a small uncompressed cpio
# holding the new /init (the kernel unpacks both, the later /init wins): the same contents
# (busybox, Node, OVS, modules: the same unpacking cost), no recompression.
#   bash image/anchor.sh IMAGE OUT   (IMAGE: a built image dir; OUT: the anchor's dir)
# OUT gets the image's layout (pxe/vmlinuz, pxe/initrd.img, pxe/boot.ipxe, pvh/vmlinux,
# usb.img: a UKI built by image/lib/artefacts.sh's make_usb with the image's command line).
# Cached: rebuilt only when the image's artefacts or this script change (OUT/stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
here=image
IMAGE=${1:?usage: anchor.sh IMAGE OUT}
OUT=${2:?usage: anchor.sh IMAGE OUT}
say() { printf 'anchor: %s\n' "$*"; }
die() { printf 'anchor: error: %s\n' "$*" >&2; exit 1; }
for f in pxe/vmlinuz pxe/initrd.img pxe/boot.ipxe pvh/vmlinux; do
  [ -f "$IMAGE/$f" ] || die "$IMAGE/$f missing: build the image first (make image-test)"
done
stamp=$(cat "$0" "$IMAGE/pxe/vmlinuz" "$IMAGE/pxe/initrd.img" "$IMAGE/pxe/boot.ipxe" | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ] && [ -f "$OUT/usb.img" ]; then
  say "cached: $OUT"
  exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT/pxe" "$OUT/pvh" "$OUT/work/tree"
tree=$OUT/work/tree
# busybox sh, applets named through busybox (its shell prefers its own applets), iproute2 by path.
cat >"$tree/init" <<'EOF'
#!/usr/bin/busybox sh
export PATH=/usr/bin
bb=/usr/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null
read -r up _ </proc/uptime
echo "ANCHOR INIT ${up}s"
/usr/bin/modprobe -a virtio_pci virtio_net
while [ ! -e /sys/class/net/eth0 ]; do $bb usleep 10000; done
/usr/sbin/ip link set eth0 up
if $bb udhcpc -q -n -i eth0 -s /anchor-dhcp; then
  read -r up _ </proc/uptime
  echo "ANCHOR LEASE ${up}s $(/usr/sbin/ip -4 -o addr show dev eth0 | $bb awk '{print $4}')"
else
  echo "ANCHOR NO LEASE"
fi
# After the lease, for scale: what the issue's anchor ran before its lease (Node's first start
# under TCG, OVS up with a bridge), each stamped on the same clock.
/usr/bin/node -e 0
read -r up _ </proc/uptime
echo "ANCHOR NODE ${up}s"
$bb mount -t tmpfs tmpfs /run
$bb mkdir -p /run/openvswitch /etc/openvswitch
/usr/bin/modprobe openvswitch
/usr/bin/ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema &&
  /usr/bin/ovsdb-server /etc/openvswitch/conf.db --remote=punix:/run/openvswitch/db.sock --pidfile=/run/openvswitch/ovsdb-server.pid --detach &&
  /usr/bin/ovs-vsctl --db=unix:/run/openvswitch/db.sock --no-wait init &&
  /usr/bin/ovs-vswitchd unix:/run/openvswitch/db.sock -vconsole:off --pidfile=/run/openvswitch/ovs-vswitchd.pid --detach &&
  /usr/bin/ovs-vsctl --db=unix:/run/openvswitch/db.sock --timeout=60 add-br br0 &&
  read -r up _ </proc/uptime && echo "ANCHOR OVS ${up}s"
$bb poweroff -f
EOF
cat >"$tree/anchor-dhcp" <<'EOF'
#!/usr/bin/busybox sh
case "$1" in bound|renew)
  /usr/sbin/ip addr replace "$ip/$mask" dev "$interface"
  [ -z "$router" ] || /usr/sbin/ip route replace default via "${router%% *}" dev "$interface"
;; esac
exit 0
EOF
chmod 0755 "$tree/init" "$tree/anchor-dhcp"
# The kernel wants each archive 4-byte aligned: pad the image's zstd stream.
cp "$IMAGE/pxe/initrd.img" "$OUT/pxe/initrd.img"
pad=$(( (4 - $(stat -c %s "$OUT/pxe/initrd.img") % 4) % 4 ))
head -c "$pad" /dev/zero >>"$OUT/pxe/initrd.img"
(cd "$tree" && printf '%s\n' init anchor-dhcp | cpio --quiet -o -H newc -R 0:0) >>"$OUT/pxe/initrd.img"
cp "$IMAGE/pxe/vmlinuz" "$IMAGE/pxe/boot.ipxe" "$OUT/pxe/"
cp "$IMAGE/pvh/vmlinux" "$OUT/pvh/vmlinux"
# The UKI with the image's command line (make_usb reads $root/etc/os-release).
cmdline=$(sed -n 's/^kernel vmlinuz initrd=initrd.img //p' "$IMAGE/pxe/boot.ipxe")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
root=$OUT/work/root
mkdir -p "$root/etc"
printf 'NAME=zos-anchor\nID=zos-anchor\n' >"$root/etc/os-release"
. "$here/lib/artefacts.sh"
make_usb "$OUT/pxe/vmlinuz" "$OUT/pxe/initrd.img" "$cmdline" "$OUT/work/uki" "$OUT/usb.img"
rm -rf "$OUT/work"
echo "$stamp" >"$OUT/stamp"
say "built $OUT"

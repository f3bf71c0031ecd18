# The boot artefacts: zstd initramfs, iPXE script, FAT disk with a unified kernel image.
# Every one is reproducible: fixed times, owners and order; no random or time-based ids.

# newc cpio of the tree, sorted, owner root, every time SOURCE_DATE_EPOCH, zstd -19.
make_initrd() {
  local tree=$1 out=$2
  find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$tree" && find . -mindepth 1 | sed 's|^\./||' | sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) >"$out.cpio"
  zstd -q -19 -T2 -f --rm "$out.cpio" -o "$out"
}

# The kernel's own ELF (vmlinux), unpacked from the bzImage's xz payload, for a PVH direct boot
# (`qemu -kernel OUT/pvh/vmlinux`: no real-mode set-up, no self-decompression: ~2-3 s less under
# TCG). Not part of the PXE set or the USB image; the kernel has CONFIG_PVH.
make_pvh() {
  local kernel=$1 out=$2 off
  off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$kernel" | head -n1 | cut -d: -f1)
  [ -n "$off" ] || die "no xz payload in $kernel (not an xz bzImage)"
  mkdir -p "$(dirname "$out")"
  # xz stops after its stream: tail then dies of SIGPIPE, which is no error here.
  { tail -c +$((off + 1)) "$kernel" || true; } | xz -dcq --single-stream >"$out" || die "cannot unpack vmlinux from $kernel"
}

# iPXE script: fetches kernel and initrd relative to its own URL and boots them.
make_ipxe() {
  printf '#!ipxe\nkernel vmlinuz initrd=initrd.img %s\ninitrd initrd.img\nboot\n' "$2" >"$1"
}

align() { echo $(( ($1 + 0xfff) / 0x1000 * 0x1000 )); }

# Unified kernel image: systemd-boot's EFI stub with .osrel/.cmdline/.linux/.initrd sections
# (Debian has no ukify; objcopy's time stamp replaced by SOURCE_DATE_EPOCH), then a FAT disk holding it as EFI/BOOT/BOOTX64.EFI.
make_usb() {
  local kernel=$1 initrd=$2 cmdline=$3 dir=$4 out=$5 stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
  local end osrel cmd linux initrd_at size kb
  mkdir -p "$dir"
  cp "$root/etc/os-release" "$dir/os-release"
  printf '%s' "$cmdline" >"$dir/cmdline"
  end=0
  while read -r _ _ sz vma _; do
    (( 0x$vma + 0x$sz > end )) && end=$(( 0x$vma + 0x$sz ))
  done < <(objdump -h "$stub" | awk 'NF == 7 && $1 ~ /^[0-9]+$/')
  osrel=$(align "$end")
  cmd=$(align $(( osrel + $(stat -c %s "$dir/os-release") )))
  linux=$(align $(( cmd + $(stat -c %s "$dir/cmdline") )))
  initrd_at=$(align $(( linux + $(stat -c %s "$kernel") )))
  objcopy \
    --add-section .osrel="$dir/os-release" --change-section-vma .osrel="$(printf 0x%x "$osrel")" \
    --add-section .cmdline="$dir/cmdline" --change-section-vma .cmdline="$(printf 0x%x "$cmd")" \
    --add-section .linux="$kernel" --change-section-vma .linux="$(printf 0x%x "$linux")" \
    --add-section .initrd="$initrd" --change-section-vma .initrd="$(printf 0x%x "$initrd_at")" \
    "$stub" "$dir/BOOTX64.EFI"
  node "$here/lib/pe-timestamp.mjs" "$dir/BOOTX64.EFI"
  touch -d "@$SOURCE_DATE_EPOCH" "$dir/BOOTX64.EFI"
  size=$(stat -c %s "$dir/BOOTX64.EFI")
  kb=$(( (size / 1024 + 4096) / 1024 * 1024 + 1024 ))
  rm -f "$out"
  mkfs.vfat -F 32 -C -i 5a05ca5e -n ZOS --invariant "$out" "$kb" >/dev/null
  MTOOLS_SKIP_CHECK=1 mmd -i "$out" ::/EFI ::/EFI/BOOT
  MTOOLS_SKIP_CHECK=1 mcopy -m -i "$out" "$dir/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
}

mb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1e6}'; }

print_sizes() {
  local tree=$1 out=$2 raw
  raw=$(du -sb "$tree" | awk '{print $1}')
  say "kernel     $(mb "$(stat -c %s "$out/pxe/vmlinuz")")  $out/pxe/vmlinuz"
  say "initrd     $(mb "$(stat -c %s "$out/pxe/initrd.img")")  $out/pxe/initrd.img (zstd; $(mb "$raw") unpacked)"
  say "usb.img    $(mb "$(stat -c %s "$out/usb.img")")  $out/usb.img"
  say "vmlinux    $(mb "$(stat -c %s "$out/pvh/vmlinux")")  $out/pvh/vmlinux (PVH direct boot only)"
  say "PXE set    $(mb "$(cat "$out"/pxe/* | wc -c)")"
}

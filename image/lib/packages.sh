# Debian packages for the image build: what the build machine must have installed (their
# files are copied into the image, or they are the build's tools), and the kernel package,
# which is downloaded and extracted, never installed.

# Installed packages whose binaries go into the image or build it.
BUILD_PACKAGES=(busybox-static dash iproute2 ndisc6 util-linux procps kmod
  openvswitch-switch openvswitch-common ovn-host nftables cpio zstd xz-utils dosfstools mtools binutils systemd-boot-efi coreutils)

# IMAGE_EXTRA_PACKAGES (space-separated) adds to the list (the build test uses it).
# shellcheck disable=SC2206
BUILD_PACKAGES+=(${IMAGE_EXTRA_PACKAGES:-})

# Installs what is missing; names the package that could not be installed and fails.
ensure_build_packages() {
  local p missing=()
  for p in "${BUILD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing build packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    for p in "${missing[@]}"; do
      apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || die "cannot install Debian package $p"
    done
  fi
}

# Downloads Debian's current amd64 kernel package into $1 (kept as a cache) and extracts it
# into $2; prints $2.
fetch_kernel() {
  local cache=$1 dest=$2 pkg deb
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || die "cannot get Debian package linux-image-amd64 (apt-cache knows no kernel; run apt-get update)"
  deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    (cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1) || die "cannot get Debian package $pkg (apt-get download failed)"
    deb=$(ls "$cache/${pkg}"_*.deb | head -n1)
  fi
  mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest" || die "cannot extract $deb"
  printf '%s\n' "$dest"
}

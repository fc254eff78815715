#!/usr/bin/env bash
# Build the systemd test-host images localhost/gpuhost-test-debian12 and -debian13 with debootstrap.
#
# * Mirror: the Debian URI from this machine's own apt configuration, or debootstrap's default when none
#   is configured. No mirror host name is written here.
# * Components main contrib non-free non-free-firmware; suites <release>, <release>-updates and
#   <release>-security inside the image.
# * Cache: a content key (this script + containers.conf + the include list) labels the podman image and
#   names the tarball in the cache directory; a matching image is reused, a matching tarball is imported.
#
# usage: build-images.sh debian12 [debian13 ...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
cache="${GPUHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuhost-provision}"
mkdir -p "$cache"

include="systemd,systemd-sysv,python3,sudo,dbus,procps,ca-certificates"
key=$(cat "$0" "$CONTAINERS_CONF" | sha256sum | cut -c1-12)

codename() {
  case "$1" in
    debian12) echo bookworm ;;
    debian13) echo trixie ;;
    *) echo "build-images: unknown image '$1' (known: debian12 debian13)" >&2; return 2 ;;
  esac
}

# First URI of a Debian archive (and of its security archive) in this machine's apt sources; empty when
# none is configured, in which case debootstrap and the image use their defaults.
apt_uri() {  # $1 = regex the suite must match
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] || return 0
  {
    # one-line format: deb [opts] URI SUITE COMPONENTS
    grep -hsE '^[[:space:]]*deb[[:space:]]' "${files[@]}" | sed -E 's/\[[^]]*\]//' | awk -v re="$1" '$3 ~ re {print $2}'
    # deb822 format: URIs + Suites in one stanza
    awk -v re="$1" 'BEGIN{RS="";FS="\n"} {u="";s="";for(i=1;i<=NF;i++){if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i);split($i,a," ");u=a[1]} if($i ~ /^Suites:/){sub(/^Suites:[ \t]*/,"",$i);s=$i}} n=split(s,ss," ");for(j=1;j<=n;j++) if(u!="" && ss[j] ~ re){print u;break}}' "${files[@]}" 2>/dev/null
  } | grep -E '^https?://' | head -n1
}

build_one() {
  local name=$1 suite image tarball root mirror security
  suite=$(codename "$name")
  image="localhost/gpuhost-test-$name"
  tarball="$cache/gpuhost-test-$name-$key.tar.zst"

  if [ "$(podman image inspect --format '{{ index .Labels "gpuhost.key" }}' "$image" 2>/dev/null)" = "$key" ]; then
    echo "images: $image is current (key $key)"
    return 0
  fi
  if [ ! -s "$tarball" ]; then
    mirror=$(apt_uri '^(bookworm|trixie|stable|testing)(-updates)?$' || true)
    security=$(apt_uri '-security$' || true)
    root=$(mktemp -d "$cache/rootfs-$name.XXXX")
    echo "images: debootstrap $suite (mirror: ${mirror:-debootstrap default}) -> $tarball"
    debootstrap --variant=minbase --components=main,contrib,non-free,non-free-firmware \
      --include="$include" "$suite" "$root" ${mirror:+"$mirror"} > "$cache/debootstrap-$name.log" 2>&1 \
      || { tail -n 30 "$cache/debootstrap-$name.log" >&2; rm -rf "$root"; echo "images: debootstrap of $suite failed (log above)" >&2; return 1; }
    mirror=${mirror:-$(awk '$1=="deb"{print $2; exit}' "$root/etc/apt/sources.list")}
    security=${security:-${mirror%/debian}/debian-security}
    cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main contrib non-free non-free-firmware
deb $mirror $suite-updates main contrib non-free non-free-firmware
deb $security $suite-security main contrib non-free non-free-firmware
SOURCES
    # a test host, not a real one: no docs or apt caches, no getty on a console that is not there
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
    ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
    ln -sf /dev/null "$root/etc/systemd/system/console-getty.service"
    echo "$name" > "$root/etc/hostname"
    tar -C "$root" --numeric-owner -cf - . | zstd -q -T0 -o "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  echo "images: podman import $tarball as $image"
  zstd -dc "$tarball" | podman import \
    --change 'CMD ["/lib/systemd/systemd"]' --change 'ENV container=podman' \
    --change "LABEL gpuhost.key=$key" - "$image" > /dev/null 2>&1
  # Scenario images built on top of the old one (molecule_local/gpuhost-*) would go on using it: drop them.
  podman images --format '{{.Repository}}' | grep '^molecule_local/gpuhost-' | sort -u | xargs -r podman rmi -f > /dev/null 2>&1 || true
}

[ "$#" -gt 0 ] || set -- debian12 debian13
for name in "$@"; do build_one "$name"; done

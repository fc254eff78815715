#!/usr/bin/env bash
# What the test hosts' package cache saves: downloads the Debian 12 driver packages the nvidia_driver role
# installs (nvidia-driver, nvidia-kernel-dkms and what they pull in beyond this machine's own packages) into
# private APT directories, ROUNDS times directly and through the cache (scripts/apt-cache.sh), and prints the
# seconds for the index update and the package download of each. Needs a Debian 12 machine (its dpkg status
# is the base); the mirror is the first Debian URI of the machine's own APT sources. No container is started.
#   bench/apt-cache.sh [ROUNDS]     (default 2; the first round through the cache may fill it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
proxy=$(bash "$root/scripts/apt-cache.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
uri=$(grep -hE '^(deb |URIs:)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2> /dev/null \
      | grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -n1 || true)
[ -n "$uri" ] || { echo "bench/apt-cache.sh: no Debian URI in this machine's APT sources" >&2; exit 1; }
echo "deb $uri bookworm main contrib non-free non-free-firmware" > "$work/sources.list"
one() {  # label proxy
  local dir="$work/$1" start mid
  rm -rf "$dir"; mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  local o=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
           -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  [ -z "$2" ] || o+=(-o "Acquire::http::Proxy=$2")
  start=$(date +%s.%N)
  apt-get -qq "${o[@]}" update
  mid=$(date +%s.%N)
  apt-get -qq "${o[@]}" install --download-only -y --no-install-recommends nvidia-driver nvidia-kernel-dkms > /dev/null
  printf '%-8s index %5.1f s  packages %5.1f s  (%s in %s files)  load %s\n' "$1" \
    "$(echo "$mid - $start" | bc)" "$(echo "$(date +%s.%N) - $mid" | bc)" \
    "$(du -sh "$dir/cache/archives" | cut -f1)" "$(find "$dir/cache/archives" -name '*.deb' | wc -l)" \
    "$(cut -d' ' -f1 /proc/loadavg)"
}
for _ in $(seq 1 "$rounds"); do one direct ""; one cache "$proxy"; done

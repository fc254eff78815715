#!/usr/bin/env bash
# System packages the harness needs (Debian/Ubuntu): podman with runc, debootstrap for the test-host
# images, zstd for their cache, rsync for the sanity tree, git, the SSH client (molecule/site-fleet reaches one host
# over SSH), apt-cacher-ng (the test hosts' package cache, scripts/apt-cache.sh). Installs only what is missing.
set -euo pipefail
need=()
for pkg in podman runc debootstrap zstd rsync git uidmap python3-venv shellcheck openssh-client apt-cacher-ng; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
[ "${#need[@]}" -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null

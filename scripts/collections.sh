#!/usr/bin/env bash
# Collections the test harness needs, without Galaxy: containers.podman (molecule's podman driver and the
# podman connection) is unpacked from the community `ansible` package on PyPI, which bundles it.
# The repository itself is linked in as ansible_collections/gpuhost/provision.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.venv}
ansible_pkg=${ANSIBLE_PACKAGE_VERSION:-12.3.0}   # the community package that pairs with ansible-core 2.19
tree="$root/.cache/collections/ansible_collections"
cache="${GPUHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuhost-provision}"

mkdir -p "$tree/gpuhost" "$cache/wheels"
[ -L "$tree/gpuhost/provision" ] || ln -sfn "$root" "$tree/gpuhost/provision"

if [ ! -f "$tree/containers/podman/MANIFEST.json" ]; then
  wheel=$(find "$cache/wheels" -name "ansible-$ansible_pkg-*.whl" | head -n1)
  if [ -z "$wheel" ]; then
    echo "collections: downloading ansible==$ansible_pkg from PyPI for containers.podman"
    "$venv/bin/python" -m pip download -q --no-deps --only-binary=:all: -d "$cache/wheels" "ansible==$ansible_pkg"
    wheel=$(find "$cache/wheels" -name "ansible-$ansible_pkg-*.whl" | head -n1)
  fi
  tmp=$(mktemp -d)
  "$venv/bin/python" - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as zf:
    zf.extractall(dest, [n for n in zf.namelist() if n.startswith("ansible_collections/containers/podman/")])
PY
  mkdir -p "$tree/containers"
  rm -rf "$tree/containers/podman"
  mv "$tmp/ansible_collections/containers/podman" "$tree/containers/podman"
  rm -rf "$tmp"
fi
echo "collections: $(sed -n 's/.*"version": "\([^"]*\)".*/containers.podman \1/p' "$tree/containers/podman/MANIFEST.json" | head -n1)"

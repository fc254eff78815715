#!/usr/bin/env bash
# Collections the test harness needs, without Galaxy, unpacked from the community `ansible` package on
# PyPI, which bundles them: containers.podman (molecule's podman driver and the podman connection) and
# awx.awx (awx/configure.yml, so that ansible-lint can resolve its modules).
# The repository itself is linked in as ansible_collections/gpuhost/provision.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.venv}
lock="$root/requirements/collections.lock"   # the community package that pairs with ansible-core 2.19, hashed
ansible_pkg=$(grep -oE '^ansible==[^ ]+' "$lock" | cut -d= -f3)
tree="$root/.cache/collections/ansible_collections"
cache="${GPUHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuhost-provision}"

mkdir -p "$tree/gpuhost" "$cache/wheels"
[ -L "$tree/gpuhost/provision" ] || ln -sfn "$root" "$tree/gpuhost/provision"

wanted="containers/podman awx/awx"
missing=""
for c in $wanted; do [ -f "$tree/$c/MANIFEST.json" ] || missing="$missing $c"; done
if [ -n "$missing" ]; then
  wheel=$(find "$cache/wheels" -name "ansible-$ansible_pkg-*.whl" | head -n1)
  if [ -z "$wheel" ]; then
    echo "collections: downloading ansible==$ansible_pkg from PyPI for containers.podman"
    "$venv/bin/python" -m pip download -q --no-deps --only-binary=:all: --require-hashes -d "$cache/wheels" -r "$lock"
    wheel=$(find "$cache/wheels" -name "ansible-$ansible_pkg-*.whl" | head -n1)
  fi
  # a cached wheel too must carry one of the lock's hashes
  grep -q "sha256:$(sha256sum "$wheel" | cut -d' ' -f1)" "$lock" || {
    echo "collections: $wheel does not match $lock; remove it and run again" >&2; exit 1; }
  tmp=$(mktemp -d)
  # shellcheck disable=SC2086  # $missing is a list of words
  "$venv/bin/python" - "$wheel" "$tmp" $missing <<'PY'
import sys, zipfile
wheel, dest, *wanted = sys.argv[1:]
prefixes = tuple("ansible_collections/%s/" % c for c in wanted)
with zipfile.ZipFile(wheel) as zf:
    zf.extractall(dest, [n for n in zf.namelist() if n.startswith(prefixes)])
PY
  for c in $missing; do
    mkdir -p "$tree/${c%/*}"
    rm -rf "${tree:?}/$c"
    mv "$tmp/ansible_collections/$c" "$tree/$c"
  done
  rm -rf "$tmp"
fi
echo "collections: $wanted (from ansible==$ansible_pkg)"

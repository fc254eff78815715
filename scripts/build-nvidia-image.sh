#!/usr/bin/env bash
# Build localhost/gpuhost-test-debian12-nvidia: the Debian 12 test image (scripts/build-images.sh) plus Debian's
# real NVIDIA userspace from non-free, for the molecule scenarios that run the real programs (persistenced,
# gpu_state). No kernel module: there is no GPU in a test container.
#
# Cache, like build-images.sh: the key is made from this script and the base image's own key, labels the image
# and names a `podman save` tarball in the cache directory; a matching image is reused, a matching tarball is
# loaded, and only a machine with neither runs apt. This is a script of its own because build-images.sh's key
# is its own text: editing it would rebuild the base images everywhere.
#
# usage: build-nvidia-image.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
cache="${GPUHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuhost-provision}"
base=localhost/gpuhost-test-debian12
image=localhost/gpuhost-test-debian12-nvidia
# the daemon, the tool and the libraries they load
packages="nvidia-persistenced nvidia-smi nvidia-driver-libs"

bash "$here/build-images.sh" debian12
base_key=$(podman image inspect --format '{{ index .Labels "gpuhost.key" }}' "$base")
key=$( (cat "$0"; echo "$base_key") | sha256sum | cut -c1-12)
tarball="$cache/gpuhost-test-debian12-nvidia-$key.tar.zst"

if [ "$(podman image inspect --format '{{ index .Labels "gpuhost.nvidia.key" }}' "$image" 2>/dev/null)" = "$key" ]; then
  echo "images: $image is current (key $key)"
  exit 0
fi
if [ -s "$tarball" ]; then
  echo "images: podman load $tarball"
  zstd -dc "$tarball" | podman load > /dev/null
  exit 0
fi
echo "images: podman build $image ($packages)"
context=$(mktemp -d)
trap 'rmdir "$context"' EXIT
# Package scripts are kept from starting services while installing (no systemd runs during a build anyway).
podman build --label "gpuhost.nvidia.key=$key" --tag "$image" -f - "$context" > "$cache/build-debian12-nvidia.log" 2>&1 <<CONTAINERFILE \
  || { tail -n 30 "$cache/build-debian12-nvidia.log" >&2; echo "images: building $image failed (log above)" >&2; exit 1; }
FROM $base
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages \\
 && rm -f /usr/sbin/policy-rc.d && apt-get clean && rm -rf /var/lib/apt/lists/*
CONTAINERFILE
podman save "$image" | zstd -q -T0 -o "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
echo "images: $image built and cached as $tarball"

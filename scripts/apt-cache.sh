#!/usr/bin/env bash
# The machine's APT package cache for the test hosts: Debian's apt-cacher-ng (scripts/install-deps.sh installs it),
# started here when it is not already answering, listening on the gateway address of podman's default network
# only (what the test containers reach the machine by), port ${GPUHOST_APT_CACHE_PORT:-3142}. It keeps running
# after the suite, so that every later run on the machine (any checkout) finds the packages already downloaded.
# Prints the proxy URL for the test hosts (molecule/_shared/prepare.yml writes it into their APT configuration).
# No mirror is named here or remapped: the cache fetches exactly what the container asked for, from the mirror
# in the container's own sources. Cache and logs: ~/.cache/gpuhost-provision/apt-cacher-ng/.
set -euo pipefail
port=${GPUHOST_APT_CACHE_PORT:-3142}
base="${XDG_CACHE_HOME:-$HOME/.cache}/gpuhost-provision/apt-cacher-ng"
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$port" 2> /dev/null; }
gateway() { podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}' 2> /dev/null; }

command -v apt-cacher-ng > /dev/null || { echo "apt-cache: apt-cacher-ng is not installed (scripts/install-deps.sh)" >&2; exit 1; }
gw=$(gateway)
[ -n "$gw" ] || { echo "apt-cache: podman's default network has no gateway address" >&2; exit 1; }
if ! ip -4 addr show 2> /dev/null | grep -q "inet $gw/"; then
  # the bridge comes up with the first container on the network
  podman run --rm --network podman localhost/gpuhost-test-debian12 true > /dev/null 2>&1 || true
fi
if ! answers "$gw"; then
  mkdir -p "$base/cache" "$base/log" "$base/conf"
  # our own configuration directory: no Remap- lines, so nothing is redirected to another mirror
  cat > "$base/conf/acng.conf" <<CONF
CacheDir: $base/cache
LogDir: $base/log
SupportDir: /usr/lib/apt-cacher-ng
Port: $port
BindAddress: $gw
ExThreshold: 30
CONF
  # The daemon outlives this script: it must not keep the caller's descriptors (a `flock` lock held around
  # `make test`, say, would be held for as long as the cache runs).
  (
    for fd in "/proc/$BASHPID/fd"/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2> /dev/null
    done
    exec apt-cacher-ng -c "$base/conf" ForeGround=0 "pidfile=$base/apt-cacher-ng.pid"
  ) >> "$base/log/start.log" 2>&1 || true
  for _ in $(seq 1 20); do answers "$gw" && break; sleep 0.5; done
  answers "$gw" || { echo "apt-cache: apt-cacher-ng did not answer on $gw:$port (see $base/log)" >&2; exit 1; }
fi
echo "http://$gw:$port"

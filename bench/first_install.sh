#!/usr/bin/env bash
# First install vs the package-manager floor (bench/first_install.py), on fresh Debian 12 containers.
#   bash bench/first_install.sh      BENCH_ROUNDS=2 (default): both orders
# Uses the machine's package cache (scripts/apt-cache.sh) for both sides, as the molecule scenarios do;
# GPUHOST_APT_PROXY= (empty) downloads directly.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
cd "$root"
export GPUHOST_APT_PROXY=${GPUHOST_APT_PROXY-$(bash scripts/apt-cache.sh || true)}
echo "bench: first install, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), package cache: ${GPUHOST_APT_PROXY:-none}" >&2
trap remove_bench_containers EXIT
python3 bench/first_install.py

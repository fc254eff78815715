#!/usr/bin/env bash
# make bench: P1 and P2 (and P5 with BENCH_P5=1) on this machine; prints a markdown table and keeps the
# raw numbers in bench/results/ (git-ignored but for the records-*.md files). P3/P4 need a GPU: bench/gpu.py (docs/performance.md).
#   BENCH_RUNS=5            runs per measurement (median); BENCH_P2_RUNS defaults to BENCH_RUNS
#   BENCH_HOSTS="1 4 8 16"  P2 host counts (the first is the base of the ratios)
#   BENCH_PIPELINING="off on"
#   BENCH_P2_FLOOR=1        P2 also runs the engine floor (bench/floor.yml) at every host count, in the same rounds
#   BENCH_EXTRA_VARS="k=v ..." extra vars for every run, e.g. nvidia_driver_refresh_cache=false (no network)
#   BENCH_TIMEOUT=900       seconds before one ansible-playbook run is killed (rc 124)
#   BENCH_REUSE_IMAGE=1     use the converged image even if roles/plugins changed since it was built
#   BENCH_PARTS="p1 p2"     which parts; BENCH_P5=1 adds p5 (runs the whole suite twice, ~an hour)
#   BENCH_INOTIFY_INSTANCES=1024  raise fs.inotify.max_user_instances to this for the run and restore it on exit
#                           (root; each systemd container holds several inotify instances and the default
#                           of 128 is used up by about 20 of them, so 16 hosts may not boot otherwise)
#   quick: BENCH_RUNS=3 BENCH_HOSTS="1 4" make bench
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
cd "$root"
parts=${BENCH_PARTS:-p1 p2}
[ "${BENCH_P5:-0}" = 1 ] && parts="$parts p5"
hosts=${BENCH_HOSTS:-1 4 8 16}
max=1
for n in $hosts; do [ "$n" -gt "$max" ] && max=$n; done
echo "bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); parts: $parts; hosts: $hosts" >&2
image=$(bash bench/converge.sh)
inotify=/proc/sys/fs/inotify/max_user_instances
inotify_before=$(cat "$inotify")
cleanup() {
  remove_bench_containers
  [ "$(cat "$inotify")" = "$inotify_before" ] || { echo "$inotify_before" > "$inotify" && echo "bench: $inotify restored to $inotify_before" >&2; }
}
trap cleanup EXIT
if [ -n "${BENCH_INOTIFY_INSTANCES:-}" ] && [ "$inotify_before" -lt "$BENCH_INOTIFY_INSTANCES" ]; then
  echo "$BENCH_INOTIFY_INSTANCES" > "$inotify"
  echo "bench: $inotify raised from $inotify_before to $BENCH_INOTIFY_INSTANCES for this run" >&2
fi
remove_bench_containers
names=()
for i in $(seq 1 "$max"); do
  podman run -d --name "gpuhost-bench-$i" --hostname "gpuhost-bench-$i" --systemd=always "$image" > /dev/null
  names+=("gpuhost-bench-$i")
done
wait_booted "${names[@]}"
echo "bench: $max converged hosts from $image are up" >&2
# shellcheck disable=SC2086
python3 bench/bench.py $parts

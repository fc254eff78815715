#!/usr/bin/env bash
# Build localhost/gpuhost-bench-converged: one container from the Debian 12 test image converged with
# playbooks/site.yml (the first converge installs NVIDIA packages from Debian non-free: a minute or more),
# then `podman commit`. P1/P2 start their N hosts from that image, so each is already converged and the
# measured site.yml run is the no-op one. The image carries a key of roles/, plugins/, the roles site.yml
# lists, bench/lib.sh (the inventory variables) and the base image; it is rebuilt only when that key changes.
# Prints the image name. A failure of a debug task (the summary) is tolerated with a warning: the host is
# converged by then.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd) bench=$(cd "$(dirname "$0")" && pwd)
results="$bench/results"
. "$bench/lib.sh"
cd "$root"
bash scripts/build-images.sh debian12 >&2
key=$(bench_key)
if [ "$(podman image inspect --format '{{index .Labels "gpuhost.bench.key"}}' "$CONVERGED_IMAGE" 2>/dev/null)" = "$key" ]; then
  echo "$CONVERGED_IMAGE"; exit 0
fi
if [ "${BENCH_REUSE_IMAGE:-0}" = 1 ] && podman image exists "$CONVERGED_IMAGE"; then
  echo "bench: WARNING: BENCH_REUSE_IMAGE=1: using $CONVERGED_IMAGE although roles/plugins changed since it was built" \
       "(key $(podman image inspect --format '{{index .Labels "gpuhost.bench.key"}}' "$CONVERGED_IMAGE"), now $key);" \
       "the recap's changed count shows whether the runs are still no-ops" >&2
  echo "$CONVERGED_IMAGE"; exit 0
fi
echo "bench: converging one host for $CONVERGED_IMAGE (key $key)" >&2
if [ "${BENCH_REUSE:-0}" = 1 ] && [ "$(podman inspect --format '{{.State.Running}}' gpuhost-bench-1 2>/dev/null)" = true ]; then
  echo "bench: reusing the running gpuhost-bench-1 (BENCH_REUSE=1)" >&2
else
  remove_bench_containers
  podman run -d --name gpuhost-bench-1 --hostname gpuhost-bench-1 --systemd=always "$BASE_IMAGE" > /dev/null
  wait_booted gpuhost-bench-1
fi
write_inventory "$results/inventory-converge.yml" 1
export ANSIBLE_CALLBACK_PLUGINS="$bench/callback_plugins" ANSIBLE_CALLBACKS_ENABLED=bench_profile
for pass in 1 2; do  # the second pass must be a no-op
  start=$(date +%s)
  BENCH_PROFILE_OUT="$results/converge-$pass.json" \
    ansible-playbook -i "$results/inventory-converge.yml" playbooks/site.yml > "$results/converge-$pass.log" 2>&1 || true
  bad=$(python3 - "$results/converge-$pass.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(" | ".join("%s (%s)" % (t["name"], t["action"]) for t in r["tasks"]
                 if t["hosts"].get("failed") or t["hosts"].get("unreachable")))
PY
)
  echo "bench: site.yml pass $pass took $(( $(date +%s) - start ))s; recap: $(grep -A1 'PLAY RECAP' "$results/converge-$pass.log" | tail -1)" >&2
  if [ -n "$bad" ]; then
    if grep -qv 'ansible.builtin.debug)$' <<<"${bad// | /$'\n'}"; then
      tail -n 30 "$results/converge-$pass.log" >&2; echo "bench: site.yml failed: $bad" >&2; exit 1
    fi
    echo "bench: WARNING: only a debug task failed ($bad); the host is converged, going on" >&2
  fi
done
podman stop -t 5 gpuhost-bench-1 > /dev/null
podman commit --quiet --change 'CMD ["/lib/systemd/systemd"]' --change "LABEL gpuhost.bench.key=$key" gpuhost-bench-1 "$CONVERGED_IMAGE" > /dev/null
podman rm -f gpuhost-bench-1 > /dev/null
echo "$CONVERGED_IMAGE"

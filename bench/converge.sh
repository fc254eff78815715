#!/usr/bin/env bash
# Build localhost/gpuhost-bench-converged: one container from the Debian 12 test image converged with
# playbooks/site.yml (the first converge installs NVIDIA packages from Debian non-free: a minute or more),
# then `podman commit`. P1/P2 start their N hosts from that image, so each is already converged and the
# measured site.yml run is the no-op one. The image carries a key of playbooks/, roles/, plugins/ and the base
# image; it is rebuilt only when that key changes. Prints the image name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$root"
bash scripts/build-images.sh debian12 >&2
key=$(bench_key)-$(sha256sum bench/lib.sh | cut -c1-8)
if [ "$(podman image inspect --format '{{index .Labels "gpuhost.bench.key"}}' "$CONVERGED_IMAGE" 2>/dev/null)" = "$key" ]; then
  echo "$CONVERGED_IMAGE"; exit 0
fi
echo "bench: converging one host for $CONVERGED_IMAGE (key $key)" >&2
remove_bench_containers
podman run -d --name gpuhost-bench-1 --hostname gpuhost-bench-1 --systemd=always "$BASE_IMAGE" > /dev/null
wait_booted gpuhost-bench-1
write_inventory "$results/inventory-converge.yml" 1
log="$results/converge.log"
start=$(date +%s)
if ! ansible-playbook -i "$results/inventory-converge.yml" playbooks/site.yml > "$log" 2>&1; then
  tail -n 30 "$log" >&2; echo "bench: site.yml failed on the converge host (log $log)" >&2; exit 1
fi
echo "bench: first converge took $(( $(date +%s) - start ))s" >&2
# second run: must be a no-op, else the image is not a converged host
ansible-playbook -i "$results/inventory-converge.yml" playbooks/site.yml > "$results/converge-2.log" 2>&1 || true
grep -E 'changed=[1-9]|failed=[1-9]' "$results/converge-2.log" >&2 && echo "bench: WARNING second run is not a no-op (see $results/converge-2.log)" >&2
podman stop -t 5 gpuhost-bench-1 > /dev/null
podman commit --quiet --change 'CMD ["/lib/systemd/systemd"]' --change "LABEL gpuhost.bench.key=$key" gpuhost-bench-1 "$CONVERGED_IMAGE" > /dev/null
podman rm -f gpuhost-bench-1 > /dev/null
echo "$CONVERGED_IMAGE"

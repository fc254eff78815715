#!/usr/bin/env bash
# P1 on a GPU machine, read-only: site.yml --check and validate.yml against the engine floor (bench/floor.yml: all
# fact subsets + ping), over a local connection to the machine itself, in alternating rounds.
#   bash bench/gpu_p1.sh [ROUNDS] [CUDA]      (defaults: 3 rounds, CUDA 12.4)
# site.yml runs in check mode only, with tests/hardware/readonly on PYTHONPATH (every NVML setter raises), as in
# tests/hardware/test_playbooks_gpu.py. Prints one line per run and the median ratios. Needs ansible-core on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
cuda=${2:-12.4}
tree="$root/.cache/collections/ansible_collections/gpuhost"
mkdir -p "$tree" && ln -sfn "$root" "$tree/provision"
inv=$(mktemp --suffix=.ini)
trap 'rm -f "$inv"' EXIT
printf '[gpu_nodes]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python3)" > "$inv"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections" ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=False
export PYTHONPATH="$root/tests/hardware/readonly${PYTHONPATH:+:$PYTHONPATH}"
declare -A times
run() {  # name playbook args...
  local name=$1 start end s rc=0
  shift
  start=$(date +%s%N)
  ansible-playbook -i "$inv" "$@" > "/tmp/gpu_p1-$name.log" 2>&1 || rc=$?
  end=$(date +%s%N)
  s=$(printf '%d.%03d' $(( (end - start) / 1000000000 )) $(( (end - start) / 1000000 % 1000 )))
  times[$name]+="$s "
  echo "$name rc=$rc $s s $(grep -E '^localhost +:' "/tmp/gpu_p1-$name.log" | tr -s ' ')"
}
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  run floor "$root/bench/floor.yml"
  run site "$root/playbooks/site.yml" --check -e "nvidia_driver_cuda_version=$cuda"
  run validate "$root/playbooks/validate.yml" -e "validate_cuda_version=$cuda"
done
python3 - "${times[floor]}" "${times[site]}" "${times[validate]}" <<'EOF'
import statistics, sys
floor, site, validate = ([float(x) for x in arg.split()] for arg in sys.argv[1:])
print("median s: floor %.2f, site.yml --check %.2f, validate.yml %.2f" % tuple(map(statistics.median, (floor, site, validate))))
print("per-round ratios site/floor %s, validate/floor %s" % (
    " ".join("%.2f" % (s / f) for s, f in zip(site, floor)), " ".join("%.2f" % (v / f) for v, f in zip(validate, floor))))
EOF

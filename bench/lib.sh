#!/usr/bin/env bash
# Shared by bench/run.sh and bench/converge.sh: environment, container helpers, inventories.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench="$root/bench"
results="$bench/results"
mkdir -p "$results"
export PATH="$root/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/scripts/containers.conf}"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False
BASE_IMAGE=localhost/gpuhost-test-debian12
export CONVERGED_IMAGE=localhost/gpuhost-bench-converged

# Key of the converged image: everything that decides what site.yml does on the host.
bench_key() {
  (cd "$root" && find roles plugins bench/lib.sh -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum \
     && grep -E '^\s*- (role|ansible.builtin.import_role|name):' playbooks/site.yml \
     && podman image inspect --format '{{.Id}}' "$BASE_IMAGE") | sha256sum | cut -c1-16
}

# inventory FILE N: gpu_nodes with gpuhost-bench-1..N over the podman connection
write_inventory() {
  local file=$1 n=$2 i
  { echo "gpu_nodes:"; echo "  hosts:"
    for i in $(seq 1 "$n"); do echo "    gpuhost-bench-$i:"; done
    echo "  vars:"
    echo "    ansible_connection: containers.podman.podman"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    # what the nvidia_driver molecule scenario uses on Debian 12: CUDA 12.2 -> 535 from non-free, no DKMS
    # build in a container, no reboot
    echo "    nvidia_driver_cuda_version: \"12.2\""
    echo "    nvidia_driver_build_module: false"
    echo "    nvidia_driver_reboot: never"
  } > "$file"
}

wait_booted() {  # name...: wait (at most 120 s each) for systemd to finish booting; warn when it does not
  local c state deadline
  for c in "$@"; do
    # `podman exec` can fail for a moment right after `podman run`: ask again until the deadline
    deadline=$(( $(date +%s) + 120 ))
    state=
    while [ "$(date +%s)" -lt "$deadline" ]; do
      state=$(timeout 120 podman exec "$c" systemctl is-system-running --wait 2>/dev/null) || true
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    case "$state" in running|degraded) ;; *)
      echo "bench: WARNING: $c did not reach running/degraded within 120 s ('${state:-no answer}'; too few inotify instances?" \
           "fs.inotify.max_user_instances=$(cat /proc/sys/fs/inotify/max_user_instances))" >&2 ;;
    esac
  done
}

remove_bench_containers() {
  podman ps -a --format '{{.Names}}' | grep -E '^gpuhost-bench-[0-9]+$' | xargs -r podman rm -f -t 0 > /dev/null 2>&1 || true
}

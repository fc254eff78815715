#!/usr/bin/env bash
# The nvidia_driver role's package flavours on Debian 12 (nvidia_driver_package_flavour: compute | full), side by
# side: for each, the packages the role's plan names (plugins/module_utils/_driver_packages.py: package_set for
# Debian's archive, R535, the proprietary module, nvidia_driver_build_module false) are installed with
# --no-install-recommends in a fresh container of localhost/gpuhost-test-debian12 (scripts/build-images.sh), ROUNDS
# times each, flavours alternating. Per run: the packages apt installs, the bytes of the .deb files downloaded, the
# installed size (dpkg's Installed-Size of the new packages), the seconds of the download (apt-get --download-only)
# and of the install (unpack and configure; no DKMS build: no kernel headers, as in the role's containers). Prints
# one line per run and the medians with the ratio full / compute, and writes them to
# bench/results/package-flavour-<UTC time>.md. The download goes through the machine's package cache
# (scripts/apt-cache.sh) when it answers, from the mirror in the image's own sources otherwise.
# Starts podman containers: run it under the machine-wide lock,
#   bash bench/package-flavour.sh [ROUNDS]      (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
image=localhost/gpuhost-test-debian12
export CONTAINERS_CONF="$root/scripts/containers.conf"
podman=("$root/scripts/podman-labelled")
python=${PYTHON:-$root/.venv/bin/python}
results="$root/bench/results"
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
commit=$(git -C "$root" rev-parse --short HEAD)
out="$results/package-flavour-$stamp.md"
proxy=$(bash "$root/scripts/apt-cache.sh" 2> /dev/null || true)

packages() {  # flavour -> the role's package names, from the plan's own function
  PYTHONPATH="$root/.cache/collections" "$python" -c "
import sys
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_packages import package_set
print(' '.join(package_set('debian', 'distro', 'proprietary', 535, build_module=False,
                           package_flavour=sys.argv[1]).packages))" "$1"
}

# inside the container: update, download, install; prints "packages bytes installed_kib download_s install_s"
# shellcheck disable=SC2016  # expanded in the container
inner='set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LANG=C
[ -z "$PROXY" ] || echo "Acquire::http::Proxy \"$PROXY\";" > /etc/apt/apt.conf.d/00bench-proxy
apt-get -qq update
names=$(apt-get -s install --no-install-recommends $PKGS | awk "/^Inst /{print \$2}")
t0=$(date +%s.%N)
apt-get -qq install --download-only -y --no-install-recommends $PKGS > /dev/null
t1=$(date +%s.%N)
bytes=$(find /var/cache/apt/archives -name "*.deb" -printf "%s\n" | awk "{s+=\$1} END {print s}")
apt-get -qq install -y --no-install-recommends $PKGS > /dev/null 2>&1
t2=$(date +%s.%N)
kib=$(dpkg-query -W -f="\${Installed-Size}\n" $names | awk "{s+=\$1} END {print s}")
echo "$(echo "$names" | wc -w) $bytes $kib $(python3 -c "print(round($t1 - $t0, 2), round($t2 - $t1, 2))")"'

run_one() {  # flavour round
  local name="gpuhost-bench-flavour-$1" line
  "${podman[@]}" rm -f -t 0 "$name" > /dev/null 2>&1 || true
  "${podman[@]}" run -d --name "$name" --entrypoint sleep "$image" infinity > /dev/null
  line=$("${podman[@]}" exec -e PKGS="$(packages "$1")" -e PROXY="$proxy" "$name" bash -c "$inner")
  "${podman[@]}" rm -f -t 0 "$name" > /dev/null
  echo "$1 $2 $line"
}

runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
for round in $(seq 1 "$rounds"); do
  for flavour in compute full; do
    run_one "$flavour" "$round" | tee -a "$runs"
  done
done

median() {  # flavour column
  awk -v f="$1" -v c="$2" '$1 == f {print $c}' "$runs" | sort -g \
    | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}
{
  echo "# nvidia_driver package flavours on Debian 12, $stamp"
  echo
  echo "Command: \`flock /tmp/gpuhost-podman.lock bash bench/package-flavour.sh $rounds\` at commit"
  echo "$commit; machine: $(nproc) cores, load at the start $(cut -d' ' -f1-3 /proc/loadavg);"
  echo "download through the package cache: $([ -n "$proxy" ] && echo yes || echo no)."
  echo
  for flavour in compute full; do echo "- $flavour: \`$(packages "$flavour")\`"; done
  echo
  echo "| run | flavour | packages installed | download (MB) | installed (MB) | download (s) | install (s) |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  awk '{printf "| %s | %s | %s | %.1f | %.1f | %.1f | %.1f |\n", $2, $1, $3, $4 / 1e6, $5 * 1024 / 1e6, $6, $7}' "$runs"
  echo
  echo "Medians and the ratio full / compute:"
  echo
  echo "| | compute | full | full / compute |"
  echo "|---|---:|---:|---:|"
  for spec in "packages installed:3:1" "download (MB):4:1e6" "installed (MB):5:976.5625" "download (s):6:1" \
              "install (s):7:1"; do
    IFS=: read -r label col div <<< "$spec"
    c=$(median compute "$col"); f=$(median full "$col")
    awk -v l="$label" -v c="$c" -v f="$f" -v d="$div" \
      'BEGIN {printf "| %s | %.1f | %.1f | %.2f |\n", l, c / d, f / d, (c > 0 ? f / c : 0)}'
  done
} | tee "$out"
echo "written: ${out#"$root"/}"

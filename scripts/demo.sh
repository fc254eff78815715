#!/usr/bin/env bash
# make demo: start (or reuse) the systemd container $1 from the local Debian 12 test image and run
# playbooks/site.yml and then the read-only playbooks/validate.yml against it through inventory/demo.yml.
# Re-runnable; `make clean` removes it (it carries the checkout label, scripts/checkout-id.sh).
set -euo pipefail
node=${1:-gpuhost-demo-$(bash "$(dirname "$0")/checkout-id.sh")}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# `podman exec` rather than the recorded state: a container whose processes died can still be listed as running
if ! podman exec "$node" true > /dev/null 2>&1; then
  podman rm -f "$node" > /dev/null 2>&1 || true
  echo "demo: starting $node from localhost/gpuhost-test-debian12"
  podman run -d --name "$node" --hostname "$node" --systemd=always \
    --label "gpuhost.checkout=$(bash scripts/checkout-id.sh)" localhost/gpuhost-test-debian12 > /dev/null
  podman exec "$node" systemctl is-system-running --wait > /dev/null 2>&1 || true
fi
export ANSIBLE_PIPELINING=True ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
# inventory/demo.yml names the host gpu-node-1; a second inventory source points it at this checkout's container
mkdir -p .cache
printf 'gpu_nodes:\n  hosts:\n    gpu-node-1:\n      ansible_host: %s\n' "$node" > .cache/demo-container.yml
# the collection's callback: the default output, failures on one line, and a long step's progress as
# "<host>: still running: <task> (<seconds since the step started> s)" every 15 s
export ANSIBLE_STDOUT_CALLBACK=${ANSIBLE_STDOUT_CALLBACK:-gpuhost.provision.fleet}
echo "demo: site.yml on $node (the first run installs the driver packages: about 2 min, progress every 15 s)"
ansible-playbook -i inventory/demo.yml -i .cache/demo-container.yml playbooks/site.yml "${@:2}"
echo
echo "demo: the read-only health check (playbooks/validate.yml)"
ansible-playbook -i inventory/demo.yml -i .cache/demo-container.yml playbooks/validate.yml "${@:2}"

#!/usr/bin/env bash
# make demo: start (or reuse) the systemd container $1 from the local Debian 12 test image and run
# playbooks/site.yml and then the read-only playbooks/validate.yml against it through inventory/demo.yml.
# Re-runnable; `make clean` removes it.
set -euo pipefail
node=${1:-gpu-node-1}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# `podman exec` rather than the recorded state: a container whose processes died can still be listed as running
if ! podman exec "$node" true > /dev/null 2>&1; then
  podman rm -f "$node" > /dev/null 2>&1 || true
  echo "demo: starting $node from localhost/gpuhost-test-debian12"
  podman run -d --name "$node" --hostname "$node" --systemd=always localhost/gpuhost-test-debian12 > /dev/null
  podman exec "$node" systemctl is-system-running --wait > /dev/null 2>&1 || true
fi
export ANSIBLE_PIPELINING=True ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
# the collection's callback: the default output, failures on one line, and a long step's progress as
# "<host>: still running: <task> (<seconds since the step started> s)" every 15 s
export ANSIBLE_STDOUT_CALLBACK=${ANSIBLE_STDOUT_CALLBACK:-gpuhost.provision.fleet}
echo "demo: site.yml on $node (the first run installs the driver packages: about 2 min, progress every 15 s)"
ansible-playbook -i inventory/demo.yml playbooks/site.yml "${@:2}"
echo
echo "demo: the read-only health check (playbooks/validate.yml)"
ansible-playbook -i inventory/demo.yml playbooks/validate.yml "${@:2}"

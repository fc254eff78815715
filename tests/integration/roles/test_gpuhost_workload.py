# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role gpuhost_workload, Kubernetes side: the wiring of kubernetes.core.k8s_drain, with no API server.

No Kubernetes API server can run here, so kubernetes.core is replaced by a recording stand-in whose argument spec is
built from the real module's DOCUMENTATION (the copy scripts/collections.sh unpacks): an argument the real module
does not take fails as it would. What this proves: which hosts call it, in which order around the change, with which
arguments, and that it runs on the controller (delegate_to localhost). What it does not prove: that an API server
evicts the pods, honours PodDisruptionBudgets (eviction rather than deletion is requested: disable_eviction false),
or that uncordon makes the node schedulable; that is kubernetes.core's own test suite's part.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
REAL = ROOT / ".cache" / "collections" / "ansible_collections" / "kubernetes" / "core" / "plugins" / "modules" / "k8s_drain.py"

FAKE = r'''#!/usr/bin/python
import json, os
from ansible.module_utils.basic import AnsibleModule
SPEC = json.loads(%r)
def main():
    module = AnsibleModule(argument_spec=SPEC, supports_check_mode=True)
    with open(os.environ["K8S_DRAIN_LOG"], "a") as log:
        log.write(json.dumps({"call": "k8s_drain", "params": dict((k, v) for k, v in module.params.items()
                                                                  if v is not None)}) + "\n")
    module.exit_json(changed=True, result="recorded")
main()
'''


def _spec(options):
    spec = {}
    for name, doc in options.items():
        entry = dict((k, doc[k]) for k in ("type", "choices", "elements", "aliases", "default", "required") if k in doc)
        if "suboptions" in doc:
            entry["options"] = _spec(doc["suboptions"])
        spec[name] = entry
    return spec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if not REAL.exists():
        pytest.fail("kubernetes.core is missing: run scripts/collections.sh .venv")
    tmp = tmp_path_factory.mktemp("workload")
    doc = yaml.safe_load(REAL.read_text().split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    spec = _spec(doc["options"])
    spec.update(kubeconfig={"type": "raw"}, context={"type": "str"})   # from kubernetes.core.k8s_auth_options
    fake = tmp / "fake" / "ansible_collections" / "kubernetes" / "core"
    (fake / "plugins" / "modules").mkdir(parents=True)
    (fake / "plugins" / "modules" / "k8s_drain.py").write_text(FAKE % json.dumps(spec))
    info = {"namespace": "kubernetes", "name": "core", "version": "0.0.0"}
    (fake / "MANIFEST.json").write_text(json.dumps({"collection_info": info}))
    log = tmp / "calls.jsonl"
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                         "hosts": {
                             "k8s-node": {"gpuhost_workload_manager": "kubernetes", "gpuhost_workload_node_name": "gpu-7",
                                          "gpuhost_workload_k8s_pod_selectors": ["nvidia.com/gpu.workload=true"],
                                          "gpuhost_workload_k8s_grace_period": 300,
                                          "gpuhost_workload_drain_timeout": 120},
                             "plain": {}}}}
    marker = {"name": "the change", "ansible.builtin.lineinfile": {
        "path": str(log), "line": '{"call": "change", "host": "{{ inventory_hostname }}"}'}, "throttle": 1}
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"name": "drain", "ansible.builtin.include_role": {"name": "gpuhost.provision.gpuhost_workload",
                                                           "tasks_from": "drain"}},
        marker,
        {"name": "resume", "ansible.builtin.include_role": {"name": "gpuhost.provision.gpuhost_workload",
                                                            "tasks_from": "resume"}}]}]
    (tmp / "inv.yml").write_text(yaml.safe_dump(inventory))
    (tmp / "play.yml").write_text(yaml.safe_dump(play))
    env = {**os.environ, "K8S_DRAIN_LOG": str(log), "ANSIBLE_FORKS": "1",
           "ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (tmp / "fake", ROOT / ".cache" / "collections")}
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp / "inv.yml"),
                           str(tmp / "play.yml")], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc.stdout, [json.loads(line) for line in log.read_text().splitlines()]


def test_drain_before_the_change_and_uncordon_after(run):
    _out, calls = run
    k8s = [c for c in calls if c["call"] == "k8s_drain" or c.get("host") == "k8s-node"]
    assert [c["params"]["state"] if c["call"] == "k8s_drain" else "change" for c in k8s] == ["drain", "change", "uncordon"]


def test_drain_arguments(run):
    _out, calls = run
    drain = [c["params"] for c in calls if c["call"] == "k8s_drain" and c["params"]["state"] == "drain"][0]
    assert drain["name"] == "gpu-7"                                  # gpuhost_workload_node_name, not the inventory name
    assert drain["pod_selectors"] == ["nvidia.com/gpu.workload=true"]
    assert drain["delete_options"] == {"terminate_grace_period": 300, "ignore_daemonsets": True,
                                       "delete_emptydir_data": False, "disable_eviction": False,  # eviction: PDBs apply
                                       "wait_timeout": 120, "wait_sleep": 10, "force": False}
    assert "kubeconfig" not in drain and "context" not in drain       # empty: the module's own defaults


def test_uncordon_arguments(run):
    _out, calls = run
    uncordon = [c["params"] for c in calls if c["call"] == "k8s_drain" and c["params"]["state"] == "uncordon"][0]
    assert uncordon["name"] == "gpu-7"


def test_runs_on_the_controller(run):
    out, _calls = run
    assert "[k8s-node -> localhost]" in out


def test_a_host_that_is_not_a_node_is_skipped(run):
    _out, calls = run
    assert [c for c in calls if c["call"] == "k8s_drain"] and all(
        c["params"]["name"] != "plain" for c in calls if c["call"] == "k8s_drain")
    assert len([c for c in calls if c["call"] == "k8s_drain"]) == 2
    assert {"call": "change", "host": "plain"} in calls


def test_a_bad_manager_is_refused_naming_the_variable(tmp_path):
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"name": "drain", "ansible.builtin.include_role": {"name": "gpuhost.provision.gpuhost_workload",
                                                           "tasks_from": "drain"}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "node1,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "gpuhost_workload_manager=lsf",
                           str(tmp_path / "play.yml")], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 2
    assert "gpuhost_workload_manager" in proc.stdout and "lsf" in proc.stdout and "slurm" in proc.stdout
    assert "slurm_node" not in proc.stdout and "k8s_drain" not in proc.stdout

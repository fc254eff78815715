# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role k8s_gpu_sharing run for real by ansible-playbook on localhost: the ConfigMap it writes equals the reference
(compared with yaml.safe_load, data values parsed too); check mode writes nothing; a second run changes nothing;
bad input and a cluster change without kubernetes.core fail in the pre-flight with one line and write nothing.

The collections path holds only this collection (a private tree), so kubernetes.core is missing for sure."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "plugins", "filter", "fixtures")
PLAYBOOK = """
- name: Run the role on the controller (each inventory alias is a local connection)
  hosts: all
  gather_facts: false
  roles:
    - role: gpuhost.provision.k8s_gpu_sharing
"""


def _fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


REFERENCE_VARS = _fixture("reference_sharing_vars.yml")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("k8s_gpu_sharing")
    link = base / "collections" / "ansible_collections" / "gpuhost" / "provision"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    (base / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    return base


def _run(tree, hostvars, *extra):
    """One ansible-playbook run; hostvars: {host alias: variables}, each alias a local connection."""
    inventory = {"all": {"hosts": {alias: dict(variables, ansible_connection="local",
                                               ansible_python_interpreter=sys.executable)
                                   for alias, variables in hostvars.items()}}}
    (tree / "inventory.json").write_text(json.dumps(inventory), encoding="utf-8")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(tree / "collections"),
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOME": str(tree / "home"),
    })
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tree / "inventory.json"),
            "--forks", "10", str(tree / "play.yml")] + list(extra)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180, check=False)
    output = proc.stdout + proc.stderr
    results = {}
    for alias in hostvars:
        recap = re.search(r"^%s\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)" % re.escape(alias),
                          proc.stdout, re.M)
        assert recap, output
        # The last failure of a host is the one that stopped it (a rescued one comes before it).
        failures = re.findall(r"^fatal: \[%s\]: FAILED! => (\{.*\})$" % re.escape(alias), proc.stdout, re.M)
        results[alias] = {
            "changed": int(recap.group(1)),
            "failed": int(recap.group(2)),
            "msg": json.loads(failures[-1])["msg"] if failures else None,
            "output": output,
        }
    return results


def _variables(tree, name, **extra):
    variables = dict(REFERENCE_VARS)
    variables["k8s_gpu_sharing_manifest_path"] = str(tree / name / "device-plugin-config.yaml")
    variables.update(extra)
    return variables


def _expected_configmap():
    """The reference ConfigMap after both steps of the manual procedure: time-slicing configs, then the mps config added."""
    configmap = _fixture("reference_time_slicing_configmap.yaml")
    configmap["data"].update(_fixture("reference_mps_configmap.yaml")["data"])
    return configmap


def _parsed(configmap):
    result = dict(configmap)
    result["data"] = {key: yaml.safe_load(value) for key, value in configmap["data"].items()}
    return result


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_renders_the_reference_configmap_and_is_idempotent(tree):
    # Two hosts in each run: the reference's three configs, and one config with another name and namespace.
    hosts = {
        "reference": _variables(tree, "reference"),
        "named": _variables(tree, "named", k8s_gpu_sharing_configmap_name="time-slicing-config",
                            k8s_gpu_sharing_namespace="kube-system",
                            k8s_gpu_sharing_configs=[{"name": "any", "strategy": "time-slicing",
                                                      "fail_requests_greater_than_one": True, "mig_strategy": "none",
                                                      "resources": [{"name": "nvidia.com/gpu", "replicas": 4}]}]),
    }
    paths = {alias: variables["k8s_gpu_sharing_manifest_path"] for alias, variables in hosts.items()}

    for alias, result in _run(tree, hosts, "--check").items():
        assert result["failed"] == 0, result["output"]
        assert result["changed"] == 2
        assert not os.path.exists(paths[alias])

    for alias, result in _run(tree, hosts).items():
        assert result["failed"] == 0, result["output"]
        assert result["changed"] == 2  # the directory and the manifest
        assert oct(os.stat(paths[alias]).st_mode & 0o777) == "0o644"

    text = _read(paths["reference"])
    assert text.startswith("#\n# Ansible managed\n#\n")
    written = yaml.safe_load(text)
    assert all(isinstance(value, str) for value in written["data"].values())  # ConfigMap data are strings
    assert list(written["data"]) == ["common", "a100-40gb", "mps"]
    assert _parsed(written) == _parsed(_expected_configmap())

    named = yaml.safe_load(_read(paths["named"]))
    assert named["metadata"] == {"name": "time-slicing-config", "namespace": "kube-system"}
    assert _parsed(named)["data"] == {"any": {
        "version": "v1", "flags": {"migStrategy": "none"},
        "sharing": {"timeSlicing": {"failRequestsGreaterThanOne": True,
                                    "resources": [{"name": "nvidia.com/gpu", "replicas": 4}]}}}}

    for result in _run(tree, hosts).values():
        assert result["failed"] == 0 and result["changed"] == 0, result["output"]


REFUSED = [
    ("no configs", {"k8s_gpu_sharing_configs": []}, "k8s_gpu_sharing_configs is empty"),
    ("replicas one", {"k8s_gpu_sharing_configs": [{"name": "common", "strategy": "time-slicing",
                                                   "resources": [{"name": "nvidia.com/gpu", "replicas": 1}]}]},
     "k8s_gpu_sharing_configs: config common resource 1 (nvidia.com/gpu): replicas must be at least 2"),
    ("mps fail requests false", {"k8s_gpu_sharing_configs": [{"name": "mps", "strategy": "mps",
                                                              "fail_requests_greater_than_one": False,
                                                              "resources": [{"name": "nvidia.com/gpu", "replicas": 4}]}]},
     "k8s_gpu_sharing_configs: config mps: the device plugin forces failRequestsGreaterThanOne to true for MPS"),
    ("bad namespace", {"k8s_gpu_sharing_namespace": "GPU_Operator"}, 'k8s_gpu_sharing_namespace "GPU_Operator"'),
    ("label with an unknown config", {"k8s_gpu_sharing_node_configs": {"z02": "a100-80gb"}},
     "k8s_gpu_sharing_node_configs: config a100-80gb is not in k8s_gpu_sharing_configs (common, a100-40gb, mps)"),
    ("bad node name", {"k8s_gpu_sharing_node_configs": {"Node_1": "common"}},
     "k8s_gpu_sharing_node_configs: node name Node_1 is not a Kubernetes node name"),
    ("apply without kubernetes.core", {"k8s_gpu_sharing_apply": True},
     "needs the kubernetes.core collection on the controller, which is not installed"),
    ("label without kubernetes.core", {"k8s_gpu_sharing_node_configs": {"z02": "common", "sm03": None}},
     "needs the kubernetes.core collection on the controller, which is not installed"),
]


def test_refusals_are_one_line_and_write_nothing(tree):
    hosts = {"refused%d" % number: _variables(tree, "refused%d" % number, **row[1])
             for number, row in enumerate(REFUSED)}
    results = _run(tree, hosts)
    for number, row in enumerate(REFUSED):
        case, expected, alias = row[0], row[2], "refused%d" % number
        result = results[alias]
        assert result["failed"] == 1, (case, result["output"])
        assert result["changed"] == 0, case
        assert expected in result["msg"], (case, result["msg"])
        assert "\n" not in result["msg"], case
        assert not os.path.exists(os.path.dirname(hosts[alias]["k8s_gpu_sharing_manifest_path"])), case

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role nvidia_driver: its input checks (tasks_from: inputs, the gpuhost.provision.driver_request action) through
ansible-playbook, for a table of hosts in one run: the refusal in one line, or the CUDA request resolved, registered
for the pre-flight's plan. The hosts are TEST-NET-1 addresses (RFC 5737) over ssh: the checks run on the controller
and contact none of them.
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

# host: (its inventory variables, what its last result must carry)
CASES = {
    "cuda": ({"nvidia_driver_cuda_version": "12.2"},
             {"asked": "12.2", "cuda_version": "12.2", "table_entry": "12.2", "entry": [12, 2, 0],
              "required_min_driver": "535.54.03", "compatibility": "toolkit", "warnings": []}),
    "site-table": ({"nvidia_driver_cuda_version": "13.6", "nvidia_driver_cuda_table": {"13.6": "630"}},
                   {"required_min_driver": "630", "table_entry": "13.6"}),
    "branch-only": ({"nvidia_driver_branch": 550}, None),
    "unquoted": ({"nvidia_driver_cuda_version": 12.10},
                 'nvidia_driver_cuda_version must be a quoted string: YAML read it as the number 12.1'),
    "unknown-release": ({"nvidia_driver_cuda_version": "13.5"}, "CUDA 13.5 is not a CUDA release in the table"),
    "nothing-asked": ({}, "Set nvidia_driver_cuda_version to the CUDA version your workloads need"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("driver_inputs")
    hosts = {name: {"ansible_host": "192.0.2.%d" % (i + 1), "ansible_connection": "ssh", **case[0]}
             for i, (name, case) in enumerate(CASES.items())}
    inputs = {"name": "gpuhost.provision.nvidia_driver", "tasks_from": "inputs"}
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"name": "inputs", "ansible.builtin.include_role": inputs},
        {"name": "request", "ansible.builtin.debug": {"msg": "{{ __nvidia_driver_request.request }}"}}]}]
    (tmp / "inv.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8")
    (tmp / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
           "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.tree", "ANSIBLE_CALLBACK_TREE_DIR": str(tmp / "tree"),
           "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_TIMEOUT": "2"}
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp / "inv.yml"), str(tmp / "play.yml")],
                         capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 2, run.stdout[-3000:] + run.stderr[-2000:]   # the refused hosts failed
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    return {host: json.loads((tmp / "tree" / host).read_text(encoding="utf-8")) for host in CASES}


@pytest.mark.parametrize("host", sorted(CASES))
def test_a_refusal_in_one_line_or_the_resolved_request(results, host):
    expected, last = CASES[host][1], results[host]
    if isinstance(expected, str):
        # the host stopped at the check (its last result is the check's, not the debug task's)
        assert "request" in last and last["request"] is None and last["msg"].startswith(expected), last
        assert "\n" not in last["msg"] and "<class" not in last["msg"]
    elif expected is None:
        assert "request" not in last and last["msg"] is None, last
    else:
        assert "request" not in last, last
        assert {key: last["msg"][key] for key in expected} == expected, last

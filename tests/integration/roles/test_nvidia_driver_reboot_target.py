# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role nvidia_driver: whether a reboot target is the controller, decided by connection and identity.

Renders the role's own expression (vars/main.yml, __nvidia_driver_local_reason) through ansible-playbook for a
table of hosts in one run; no host is contacted (gather_facts off, debug only).
"""
from __future__ import annotations

import base64
import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
VARS = ROOT / "roles" / "nvidia_driver" / "vars" / "main.yml"
CTL_MACHINE, CTL_BOOT = "0123456789abcdef0123456789abcdef", "11111111-2222-3333-4444-555555555555"


def _boot(boot_id: str) -> dict:
    return {"content": base64.b64encode(f"{boot_id}\n".encode()).decode()}


# host: (its inventory variables, the expected reason; '' means it may be rebooted)
CASES = {
    # the address alone decides nothing: another machine reached through a port forwarded on 127.0.0.1
    "forwarded": ({"ansible_host": "127.0.0.1", "ansible_port": 2222, "ansible_connection": "ssh",
                   "machine": "ffffffffffffffffffffffffffffffff", "boot": "99999999-2222-3333-4444-555555555555"}, ""),
    "127.0.0.1": ({"ansible_connection": "ssh", "machine": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                   "boot": "88888888-2222-3333-4444-555555555555"}, ""),
    "node7": ({"ansible_host": "10.0.0.7", "ansible_connection": "ssh", "machine": "dddddddddddddddddddddddddddddddd",
               "boot": "77777777-2222-3333-4444-555555555555"}, ""),
    # identity: the controller reached over ssh under another name
    "ctl-by-name": ({"ansible_host": "10.0.0.1", "ansible_connection": "ssh", "machine": CTL_MACHINE,
                     "boot": CTL_BOOT}, "the controller itself (same machine id " + CTL_MACHINE + ")"),
    # a chroot/container on the controller: its own machine id, the controller's kernel
    "on-ctl-kernel": ({"ansible_connection": "ssh", "machine": "cccccccccccccccccccccccccccccccc", "boot": CTL_BOOT},
                      "the controller's own kernel (same boot id " + CTL_BOOT + ")"),
    # the connection: local is the controller whatever the host is called
    "node8": ({"ansible_host": "10.0.0.8", "ansible_connection": "local", "machine": "", "boot": ""},
              "over a local connection"),
    "ansible-local": ({"ansible_connection": "ansible.builtin.local", "machine": "", "boot": ""},
                      "over a local connection"),
    # no identity known (boot id not read because no reboot is due): never taken for the controller
    "unknown": ({"ansible_connection": "ssh", "machine": "", "boot": ""}, ""),
}


@pytest.fixture(scope="module")
def reasons(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reboot_target")
    role_vars = yaml.safe_load(VARS.read_text(encoding="utf-8"))
    hosts = {}
    for name, case in CASES.items():
        hv = dict(case[0])
        machine, boot = hv.pop("machine"), hv.pop("boot")
        hv["__nvidia_driver_target_machine_id"] = machine
        if boot:
            hv["__nvidia_driver_boot_id"] = _boot(boot)
        hosts[name] = hv
    controller = {"__nvidia_driver_controller_machine_id": CTL_MACHINE, "__nvidia_driver_controller_boot_id": CTL_BOOT}
    inventory = {"all": {"hosts": hosts, "vars": controller}}
    # the role's expressions, as task variables (the controller's own ids come from the inventory above)
    names = ["__nvidia_driver_target_boot_id", "__nvidia_driver_local_reason"]
    play = [{"hosts": "all", "gather_facts": False, "tasks": [{
        "name": "reason", "ansible.builtin.debug": {"msg": "{{ __nvidia_driver_local_reason | trim }}"},
        "vars": {n: role_vars[n] for n in names}}]}]
    (tmp / "inv.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (tmp / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    # the tree callback writes each host's last result as JSON
    env = {**os.environ, "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.tree",
           "ANSIBLE_CALLBACK_TREE_DIR": str(tmp / "tree")}
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp / "inv.yml"), str(tmp / "play.yml")],
                         capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return {host: json.loads((tmp / "tree" / host).read_text(encoding="utf-8"))["msg"] for host in CASES}


@pytest.mark.parametrize("host", sorted(CASES))
def test_reboot_target_is_the_controller_by_connection_and_identity_only(reasons, host):
    assert reasons[host] == CASES[host][1]


def test_decision_reads_the_boot_id_before_deciding():
    # decision.yml includes the host's reads (only when a reboot is due) before it decides; the boot id comes first
    tasks = yaml.safe_load((VARS.parent.parent / "tasks" / "decision.yml").read_text(encoding="utf-8"))
    assert tasks[0]["ansible.builtin.include_tasks"]["file"] == "reboot_reads.yml"
    assert tasks[1]["name"] == "Decide about the reboot"
    reads = yaml.safe_load((VARS.parent.parent / "tasks" / "reboot_reads.yml").read_text(encoding="utf-8"))
    assert reads[0]["ansible.builtin.slurp"]["src"] == "/proc/sys/kernel/random/boot_id"
    assert reads[0]["register"] == "__nvidia_driver_boot_id"

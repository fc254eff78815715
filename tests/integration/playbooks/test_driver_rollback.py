# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""driver_rollback.yml on a host whose local fact records no previous driver: refused in one line that names the
variable to set, before any role runs (no plan, no drain), and the fleet table says so. Runs on localhost with a
fact directory of its own: setup reads it, nothing writes."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("fact", [None, {"driver": {"version": "535.261.03", "previous_version": None}}])
def test_rollback_without_a_previous_version_is_refused(tmp_path, fact):
    facts = tmp_path / "facts.d"
    facts.mkdir()
    if fact:
        (facts / "gpuhost.fact").write_text(json.dumps(fact))
    before = sorted(p.name for p in facts.iterdir())
    inventory = {"all": {"children": {"gpu_nodes": {"hosts": {"node1": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "nvidia_driver_cuda_version": "12.2", "gpuhost_workload_manager": "slurm"}}}}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory))
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
           "ANSIBLE_FACT_PATH": str(facts), "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp_path / "inv.yml"), str(ROOT / "playbooks" / "driver_rollback.yml")],
                         capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 2, run.stdout[-3000:]
    message = ("no previous driver is recorded in /etc/ansible/facts.d/gpuhost.fact "
               "(ansible_local.gpuhost.driver.previous_version): set nvidia_driver_version to the driver to put back")
    assert message in run.stdout
    # printed by the refusing task (ansible-core shows a failed task's message twice: its [ERROR] and fatal: lines)
    # and in the fleet table; the last play points at the table instead of a third copy (5 lines before)
    assert run.stdout.count(message) == 3, run.stdout[-3000:]
    assert "driver change failed, see the fleet table above" in run.stdout
    row = [line for line in run.stdout.splitlines() if '"node1 | FAILED | ' in line]
    assert row and "Refuse a rollback without a previous driver" in row[0], run.stdout[-3000:]
    # refused before the plan and before the drain: neither role ran
    assert "gpuhost.provision.nvidia_driver :" not in run.stdout and "slurm_node" not in run.stdout
    assert sorted(p.name for p in facts.iterdir()) == before

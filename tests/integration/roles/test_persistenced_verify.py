# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role persistenced, tasks/verify.yml: where the GPUs' persistence mode comes from, table-driven.

Each case runs the role's real verify.yml with ansible-playbook on the controller (connection local) after the state
that the pre-flight and the service section leave behind: the host_snapshot result with its GPU facts, and the
result of the daemon's start. No container has a GPU, so the molecule scenario never reaches this check; here the
snapshot's GPU facts are given as data. Where the role must read the GPUs again it calls
gpuhost.provision.nvidia_persistence, which fails on this machine without NVML or nvidia-smi: that failure, in that
task, is how a case sees that the module was called (the module's own logic is unit-tested with a fake NVML in
tests/unit/plugins/modules/test_nvidia_persistence.py).
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from ansible_collections.gpuhost.provision.plugins.module_utils._persistenced import persistenced_plan

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUS = ["00000000:3B:00.0", "00000000:5E:00.0"]
MODULE_TASK = "Read the GPUs' persistence mode again after the daemon was started or restarted"


def gpus(*modes, lost=()):
    return [{"pci_bus_id": bus, "lost": bus in lost, "persistence_mode": mode} for bus, mode in zip(BUS, modes)]


def run_verify(tmp_path: pathlib.Path, snapshot_gpus, available=True, started=False, check=False, **role_vars):
    """Run verify.yml; return (rc, stdout, persistenced_report or None, whether the module task was skipped)."""
    snapshot = {"systemd_running": True, "ansible_facts": {"nvidia": {"available": available, "gpus": snapshot_gpus}}}
    # the plan as the pre-flight makes it (decide.yml), and the registers its reset leaves
    plan = persistenced_plan(snapshot, method="daemon", start="true", gpus=[{"pci_bus_id": bus} for bus in BUS],
                             check_mode=check)
    registers = ["__persistenced_unmask", "__persistenced_unit_result", "__persistenced_legacy_unmask",
                 "__persistenced_legacy_unit_result", "__persistenced_legacy_set", "__persistenced_nosystemd_set",
                 "__persistenced_user_result"]
    state = {
        "persistenced_method": "daemon",
        "__persistenced_plan": plan,
        "__persistenced_snapshot": snapshot,
        "__persistenced_user_before": [],
        **{name: {} for name in registers},
        "__common_unit_start": {"changed": started},
        **role_vars,
    }
    play = [{
        "name": "verify.yml",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {"name": "Run the role's verify.yml", "ansible.builtin.include_role": {
                "name": "gpuhost.provision.persistenced", "tasks_from": "verify"}, "vars": state},
            {"name": "Show the outcome", "ansible.builtin.debug": {"msg": {
                "report": "{{ persistenced_report }}",
                "module_skipped": "{{ __persistenced_verify is skipped }}"}}},
        ],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.tree", "ANSIBLE_CALLBACK_TREE_DIR": str(tmp_path / "tree")}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")]
    if check:
        argv.append("--check")
    run = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    last = json.loads((tmp_path / "tree" / "localhost").read_text(encoding="utf-8"))
    outcome = last.get("msg") if run.returncode == 0 else None
    return run, last, outcome


def test_snapshot_reading_is_used_when_the_daemon_was_not_started(tmp_path):
    run, _last, outcome = run_verify(tmp_path, gpus(True, True))
    assert run.returncode == 0, run.stdout[-3000:]
    assert outcome["module_skipped"] is True
    assert outcome["report"]["started"] is True
    assert outcome["report"]["service_changed"] is False


def test_a_gpu_without_persistence_fails_from_the_snapshot_reading(tmp_path):
    run, last, _outcome = run_verify(tmp_path, gpus(True, False))
    assert run.returncode != 0
    assert last["msg"] == ("persistence mode is not enabled on 00000000:5E:00.0 although nvidia-persistenced runs; "
                           "see journalctl -u nvidia-persistenced and nvidia-smi -q")
    assert f"TASK [gpuhost.provision.persistenced : {MODULE_TASK}]" in run.stdout
    assert "skipping: [localhost]" in run.stdout.split(MODULE_TASK)[1].split("TASK [")[0]


def test_persistence_off_as_asked_passes(tmp_path):
    run, _last, outcome = run_verify(tmp_path, gpus(False, False), persistenced_persistence_mode=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert outcome["module_skipped"] is True


@pytest.mark.parametrize("case", [
    dict(snapshot_gpus=gpus(True, True), started=True),            # started or restarted in this run
    dict(snapshot_gpus=gpus(True, True), available=False),         # NVML did not answer at the snapshot
    dict(snapshot_gpus=gpus(True, True, lost=BUS[1:])),            # a GPU lost
    dict(snapshot_gpus=gpus(True, None)),                          # a mode that could not be read
], ids=["started", "nvml-unavailable", "gpu-lost", "mode-unread"])
def test_the_module_reads_the_gpus_again(tmp_path, case):
    run, last, _outcome = run_verify(tmp_path, **case)
    assert run.returncode != 0
    failed_task = run.stdout.split("fatal: [localhost]")[0].rsplit("TASK [", 1)[1]
    assert failed_task.startswith(f"gpuhost.provision.persistenced : {MODULE_TASK}]"), run.stdout[-3000:]
    assert "persistence mode is not" not in last.get("msg", "")


def test_check_mode_verifies_nothing(tmp_path):
    run, _last, outcome = run_verify(tmp_path, gpus(True, False), started=True, check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert outcome["module_skipped"] is True

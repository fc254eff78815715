# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpu_state role's apply path, which the molecule scenario (no GPU) cannot reach: ansible-playbook runs the
role against localhost with its boot files skipped (--skip-tags gpu_state_boot, so nothing on this machine
changes) and the modules' NVML backend bound to the fake NVML of the module tests, two H100s whose state is
kept in a pickle between module runs. Every setter call is logged, so "nothing set" is a fact, not a guess."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import pytest
import yaml

from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "plugins", "fixtures")
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
BUS = ["00000000:3B:00.0", "00000000:5E:00.0"]
UUID1 = fake_pynvml.h100(1, BUS[1])["uuid"]

# Loaded by the module in place of nvidia-ml-py (PYTHONPATH): the fake NVML with the GPUs from the pickle,
# written back with the setter calls when the module exits.
SHIM = textwrap.dedent("""
    import atexit, os, pickle, sys
    sys.path.insert(0, os.environ["GPU_STATE_FIXTURES"])
    import fake_pynvml as _f
    _state = os.environ["GPU_STATE_FAKE_NVML"]
    with open(_state, "rb") as _h:
        _fake = _f.FakeNvml(pickle.load(_h)["gpus"])

    def _save():
        with open(_state, "rb") as h:
            data = pickle.load(h)
        data["gpus"] = _fake.gpus
        data["setters"] += _fake.setter_calls()
        with open(_state, "wb") as h:
            pickle.dump(data, h)

    atexit.register(_save)
    NVMLError = _f.NVMLError

    def __getattr__(name):
        if name.startswith("NVML_"):
            return getattr(_f, name)
        return getattr(_fake, name)
""")

PLAYBOOK = textwrap.dedent("""
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - name: Apply the role once per settings list, capturing each report or refusal
          ansible.builtin.include_tasks: case.yml
          loop: "{{ cases }}"
          loop_control:
            loop_var: case
        - ansible.builtin.copy:
            content: "{{ reports | default([]) | to_json }}"
            dest: "{{ report_path }}"
            mode: "0600"
          check_mode: false
""")
CASE = textwrap.dedent("""
    - block:
        - ansible.builtin.include_role:
            name: gpuhost.provision.gpu_state
          vars:
            gpu_state_settings: "{{ case }}"
        - ansible.builtin.set_fact:
            reports: "{{ reports | default([]) + [gpu_state_report] }}"
      rescue:
        - ansible.builtin.set_fact:
            reports: "{{ reports | default([]) + [{'refused': ansible_failed_result.msg}] }}"
""")


@pytest.fixture
def gpus(tmp_path):
    state = tmp_path / "nvml.pickle"
    with open(state, "wb") as handle:
        pickle.dump({"gpus": [fake_pynvml.h100(i, bus) for i, bus in enumerate(BUS)], "setters": []}, handle)
    (tmp_path / "shim").mkdir()
    (tmp_path / "shim" / "pynvml.py").write_text(SHIM, encoding="utf-8")
    (tmp_path / "site.yml").write_text(PLAYBOOK, encoding="utf-8")
    (tmp_path / "case.yml").write_text(CASE, encoding="utf-8")
    return tmp_path


def state(tmp_path):
    with open(tmp_path / "nvml.pickle", "rb") as handle:
        return pickle.load(handle)


def play(tmp_path, cases, *extra):
    """One ansible-playbook run applying the role once per settings list in cases; the reports, in order."""
    variables = {"cases": cases, "gpu_state_nvidia_smi": "/bin/true", "gpu_state_backend": "nvml",
                 "__gpu_state_locked_clocks_record": str(tmp_path / "run" / "locked-clocks.json"),
                 "report_path": str(tmp_path / "report.json"), "ansible_python_interpreter": sys.executable}
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, PYTHONPATH=str(tmp_path / "shim"),
               GPU_STATE_FIXTURES=FIXTURES, GPU_STATE_FAKE_NVML=str(tmp_path / "nvml.pickle"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="true", ANSIBLE_RETRY_FILES_ENABLED="false")
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                             "--skip-tags", "gpu_state_boot", "-e", "@" + str(tmp_path / "vars.yml"),
                             str(tmp_path / "site.yml")] + list(extra),
                            capture_output=True, text=True, check=False, timeout=180, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with open(tmp_path / "report.json", encoding="utf-8") as handle:
        return json.load(handle), result.stdout


SETTINGS = [
    {"gpus": "all", "compute_mode": "exclusive_process", "accounting_mode": True},
    {"gpus": [0], "power_limit_w": 500, "application_clocks": {"mem_mhz": 2619, "graphics_mhz": 1755}},
    {"gpus": [UUID1], "ecc_mode": False, "locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 1980}},
]
# NVML setter calls for SETTINGS on two fresh H100s, in order (handles are indexes; compute mode 3 = exclusive
# process, power in mW, ECC 0): entry by entry, GPU by GPU, in the module's setting order.
SETTERS = [
    ("nvmlDeviceSetComputeMode", 0, 3), ("nvmlDeviceSetAccountingMode", 0, 1),
    ("nvmlDeviceSetComputeMode", 1, 3), ("nvmlDeviceSetAccountingMode", 1, 1),
    ("nvmlDeviceSetPowerManagementLimit", 0, 500000), ("nvmlDeviceSetApplicationsClocks", 0, 2619, 1755),
    ("nvmlDeviceSetGpuLockedClocks", 1, 1410, 1980), ("nvmlDeviceSetEccMode", 1, 0),
]


REFUSALS = [
    # index 0 and its PCI bus id name one GPU: only the driver can tell, so the pre-flight asks it
    ([{"gpus": [0], "power_limit_w": 500}, {"gpus": ["0000:3b:00.0"], "power_limit_w": 600}],
     "gpu_state_settings entries 1 and 2 both set power_limit_w of GPU 00000000:3B:00.0, to 500.0 and to 600.0; "
     "give each GPU one value"),
    # a valid first entry must not be applied when a later one cannot be
    ([{"gpus": [0], "compute_mode": "prohibited"}, {"gpus": [1], "power_limit_w": 900}],
     "gpu_state_settings entry 2: power_limit_w 900 W is outside the range of GPU 00000000:5E:00.0: 200-700 W"),
    ([{"gpus": [0], "compute_mode": "prohibited"},
      {"gpus": [1], "application_clocks": {"mem_mhz": 2619, "graphics_mhz": 1000}}],
     "gpu_state_settings entry 2: application_clocks mem_mhz=2619 graphics_mhz=1000 is not a supported pair on GPU"),
    ([{"gpus": [0], "compute_mode": "prohibited"},
      {"gpus": [1], "locked_memory_clocks": {"min_mhz": 2619, "max_mhz": 3000}}],
     "gpu_state_settings entry 2: locked_memory_clocks 2619-3000 MHz is outside the GPU's supported memory clocks "
     "1593-2619 MHz"),
    ([{"gpus": [0, 5], "accounting_mode": True}],
     "gpu_state_settings entry 1: GPU index 5 does not exist: this host has 2 GPU(s), indexes 0-1"),
]


def test_check_mode_sets_nothing_and_says_what_would_change(gpus):
    reports, out = play(gpus, [SETTINGS], "--check")
    report = reports[0]
    assert state(gpus)["setters"] == [], "check mode set something"
    assert report["applied"] is False and report["gpus_readable"] == 2
    assert report["changed_gpus"] == BUS
    assert report["reboot_required"] is True and report["ecc_pending_gpus"] == [BUS[1]]
    assert f"checked against 2 GPU(s): would be changed {BUS[0]}, {BUS[1]}" in " ".join(out.split())


def test_refusals_set_nothing_then_apply_sets_each_setting_once_then_nothing(gpus):
    # One run (ansible-playbook is the slow part): the bad requests, then SETTINGS twice. The setter log holds
    # SETTERS exactly once, so neither a refusal nor the second application set anything.
    reports, out = play(gpus, [settings for settings, _expect in REFUSALS] + [SETTINGS, SETTINGS])
    assert len(reports) == len(REFUSALS) + 2
    for report, (_settings, expect) in zip(reports, REFUSALS):
        assert "refused" in report, report
        assert report["refused"].startswith(expect), report["refused"]
        assert "\n" not in report["refused"]
    assert sorted(state(gpus)["setters"]) == sorted(SETTERS)

    first, again = reports[len(REFUSALS):]
    assert first["applied"] is True and first["not_applied_reason"] == ""
    assert first["changed_gpus"] == BUS
    assert first["reboot_required"] is True and first["ecc_pending_gpus"] == [BUS[1]]
    assert "reboot to apply it (reboot_required)" in " ".join(out.split())
    assert again["applied"] is True and again["changed_gpus"] == []
    assert again["reboot_required"] is True   # still pending: nobody rebooted

    gpu0, gpu1 = state(gpus)["gpus"]
    assert (gpu0["compute_mode"], gpu1["compute_mode"], gpu0["accounting"], gpu1["accounting"]) == (3, 3, 1, 1)
    assert gpu0["power_limit"] == 500000 and gpu0["app_clocks"] == (2619, 1755)
    assert gpu1["power_limit"] == 700000 and gpu1["ecc"] == (1, 0)   # ECC off pending until reboot
    assert gpu1["locked"]["graphics"] == (1410, 1980) and gpu0["locked"]["graphics"] is None

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpu_state role's conflict check on the GPUs as the driver names them, and its summary line."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.gpu_state import FilterModule as GpuStateFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_state import gpu_state_conflict, gpu_state_summary

A, B = "00000000:3B:00.0", "00000000:86:00.0"


def test_registered_under_their_names():
    assert GpuStateFilters().filters()["gpu_state_conflict"] is gpu_state_conflict
    assert GpuStateFilters().filters()["gpu_state_summary"] is gpu_state_summary


def _result(number, settings, *buses):
    return {"item": {"number": number, "settings": settings}, "gpus": [{"pci_bus_id": b} for b in buses]}


def test_an_index_and_a_bus_id_naming_one_gpu_conflict():
    results = [_result(1, {"compute_mode": "default", "power_limit_w": 250.0}, A, B),
               _result(2, {"power_limit_w": 250.0}, B),
               _result(3, {"compute_mode": "exclusive_process"}, B)]
    assert gpu_state_conflict(results) == (
        'gpu_state_settings entries 1 and 3 both set compute_mode of GPU 00000000:86:00.0, to "default" and to '
        '"exclusive_process"; give each GPU one value')


def test_the_same_value_twice_or_other_gpus_is_no_conflict():
    assert gpu_state_conflict([_result(1, {"power_limit_w": 250.0}, A), _result(2, {"power_limit_w": 250.0}, A),
                               _result(3, {"power_limit_w": 300.0}, B), {"item": {}, "skipped": True}]) == ""
    assert gpu_state_conflict(None) == ""


REPORT = {"state": "present", "unit": "/etc/systemd/system/gpu-state.service", "script": "/usr/local/sbin/gpu-state",
          "unit_changed": False, "script_changed": False, "entries": 2, "boot_commands": 4, "gpus_readable": 2,
          "apply_policy": "auto", "changed_gpus": [], "ecc_pending_gpus": [], "reboot_required": False,
          "not_applied_reason": ""}
FILES = "/etc/systemd/system/gpu-state.service and /usr/local/sbin/gpu-state"


@pytest.mark.parametrize("change,kw,line", [
    ({}, {"applied_now": True}, FILES + " (2 entries, 4 nvidia-smi call(s) at boot) unchanged and enabled; applied now "
                                        "to 2 GPU(s): no change"),
    ({"entries": 1, "unit_changed": True, "changed_gpus": [A]}, {"applied_now": True, "check_mode": True},
     FILES + " (1 entry, 4 nvidia-smi call(s) at boot) would be written and enabled; checked against 2 GPU(s): would "
             "be changed " + A),
    ({"not_applied_reason": "no NVIDIA GPU can be read: NVML: Driver Not Loaded"}, {},
     FILES + " (2 entries, 4 nvidia-smi call(s) at boot) unchanged and enabled; not applied now (no NVIDIA GPU can be "
             "read: NVML: Driver Not Loaded; gpu_state_apply: auto); the unit applies them at the next boot once a GPU "
             "is present"),
    ({"apply_policy": "false", "not_applied_reason": "gpu_state_apply: false", "script_changed": True}, {},
     FILES + " (2 entries, 4 nvidia-smi call(s) at boot) written and enabled; not applied now (gpu_state_apply: "
             "false); the unit applies them at the next boot"),
    ({"reboot_required": True, "ecc_pending_gpus": [A], "changed_gpus": [A]}, {"applied_now": True},
     FILES + " (2 entries, 4 nvidia-smi call(s) at boot) unchanged and enabled; applied now to 2 GPU(s): changed " + A
     + "; ECC mode change pending on " + A + ": reboot to apply it (reboot_required)"),
    ({"state": "absent", "unit_changed": True}, {"check_mode": True},
     "no GPU settings declared (gpu_state_settings is empty): " + FILES + " would be removed"),
    ({"state": "absent"}, {}, "no GPU settings declared (gpu_state_settings is empty): " + FILES + " absent"),
])
def test_the_summary(change, kw, line):
    assert gpu_state_summary(dict(REPORT, **change), **kw) == line

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Day-2 decisions read on a real GPU, never carried out: the GPU's clients (compute processes from NVML, the
holder services) and whether the NVIDIA kernel modules could be reloaded instead of rebooting. Both modules run with
state=query only (and in check mode): nothing is stopped, unloaded or loaded."""
from __future__ import annotations

import pytest

from _ansible import run_ansible, smi

pytestmark = pytest.mark.gpu


def test_gpu_clients_lists_the_compute_processes_nvidia_smi_sees(record):
    status, result = run_ansible("gpuhost.provision.gpu_clients", "state=query", check=True)
    assert status == "SUCCESS", result
    record["gpu_clients"] = result
    smi_pids = sorted({int(p) for p in smi("--query-compute-apps=pid", "--format=csv,noheader").split() if p.isdigit()})
    assert result["process_source"] in ("nvml", "nvidia_smi")
    assert sorted(p["pid"] for p in result["processes"]) == smi_pids
    assert result["changed"] is False and result["stopped"] == [] and result["started"] == []


def test_reload_decision_is_read_only_and_explained(record):
    status, result = run_ansible("gpuhost.provision.nvidia_module_reload", "state=query", check=True)
    assert status == "SUCCESS", result
    record["reload_decision"] = result["decision"]
    decision = result["decision"]
    assert result["changed"] is False and result["reloaded"] is False
    assert decision["reason"] and "\n" not in decision["reason"]
    assert decision["possible"] == (decision["blockers"] == [])
    # the loaded module is the driver NVML reports (read from /sys/module/nvidia/version where it is visible)
    if result["loaded_version"]:
        assert result["loaded_version"] == smi("--query-gpu=driver_version", "--format=csv,noheader").split()[0]

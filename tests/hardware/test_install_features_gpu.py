# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The install features read on a real GPU, never applied: the loaded module's parameters, DCGM's health where DCGM
is installed, the Secure Boot state, and locked clocks in check mode only (the GPU's state is compared before and
after; nothing is locked)."""
from __future__ import annotations

import glob
import json
import os
import shutil

import pytest

from _ansible import run_ansible, smi

pytestmark = pytest.mark.gpu

PARAMS = "/sys/module/nvidia/parameters"
PROC = "/proc/driver/nvidia/params"
STATE = ("--query-gpu=clocks.gr,clocks.mem,clocks.applications.graphics,clocks.applications.memory,power.limit,"
         "compute_mode,persistence_mode")


def live_params():
    """Numeric parameters of the loaded module: /sys, else the driver's /proc listing (names without NVreg_)."""
    values = {}
    for path in sorted(glob.glob(os.path.join(PARAMS, "NVreg_*"))):
        try:
            with open(path, encoding="utf-8") as handle:
                values[os.path.basename(path)] = handle.read().strip()
        except OSError:  # some parameters are not readable
            continue
    if not values and os.path.exists(PROC):
        with open(PROC, encoding="utf-8") as handle:
            for line in handle:
                name, _sep, value = line.partition(":")
                values["NVreg_" + name.strip()] = value.strip()
    return {name: value for name, value in values.items() if value.isdigit()}


def test_module_params_agree_with_sysfs(record):
    live = live_params()
    if not live:
        pytest.skip("neither %s nor %s is readable here" % (PARAMS, PROC))
    name, value = next(iter(live.items()))
    status, same = run_ansible("gpuhost.provision.nvidia_module_params", json.dumps({"wanted": {name: value}}))
    assert status == "SUCCESS", same
    assert same["loaded"] is True and same["differ"] == [] and same["problems"] == []
    assert same["source"] == (PARAMS if os.path.isdir(PARAMS) else PROC)
    assert same["live"] == {name: value}
    other = "0" if value != "0" else "1"
    status, differ = run_ansible("gpuhost.provision.nvidia_module_params", json.dumps({"wanted": {name: other}}))
    assert status == "SUCCESS", differ
    assert differ["changed"] is False
    assert differ["differ"] == [{"name": name, "wanted": other, "live": value}]
    assert len(differ["problems"]) == 1 and name in differ["problems"][0]
    record["module_params"] = {"param": name, "live": value, "problems": differ["problems"]}


def test_dcgm_health_reads_or_says_why_not(record):
    status, result = run_ansible("gpuhost.provision.dcgm_health")
    assert status == "SUCCESS", result
    record["dcgm_health"] = result
    assert result["changed"] is False
    if shutil.which("dcgmi") is None:
        assert result["available"] is False and result["gpus"] == [] and result["problems"] == []
        assert result["summary"] == "n/a (no DCGM)", result
    else:  # a DCGM install that answers lists every GPU nvidia-smi lists
        count = len([line for line in smi("-L").splitlines() if line.startswith("GPU ")])
        assert not result["available"] or len(result["gpus"]) == count, result


def test_secure_boot_state_is_reported(record):
    status, result = run_ansible("gpuhost.provision.driver_version_check", "cuda_version=12.0")
    assert status == "SUCCESS", result
    record["secure_boot"] = result["secure_boot"]
    assert set(result["secure_boot"]) >= {"enabled", "source"}
    assert result["secure_boot"]["enabled"] in (True, False, None)


def test_locked_clocks_in_check_mode_change_nothing(record):
    clocks = sorted({int(v) for line in smi("-i", "0", "--query-supported-clocks=graphics",
                                            "--format=csv,noheader,nounits").splitlines()
                     for v in [line.strip()] if v.isdigit()})
    assert clocks, "no supported graphics clocks reported"
    wanted = {"gpus": [0], "locked_graphics_clocks": {"min_mhz": clocks[0], "max_mhz": clocks[-1]}}
    before = smi("-i", "0", STATE, "--format=csv,noheader")
    status, result = run_ansible("gpuhost.provision.nvidia_gpu_settings", json.dumps(wanted), check=True, diff=True)
    after = smi("-i", "0", STATE, "--format=csv,noheader")
    record["locked_clocks_check"] = {"args": wanted, "status": status, "result": result, "before": before}
    assert status in ("CHANGED", "SUCCESS"), result
    gpu = result["gpus"][0]
    assert gpu["after"]["locked_graphics_clocks"] == {"min_mhz": clocks[0], "max_mhz": clocks[-1]}
    # nothing can read a locked range back and this machine keeps no record of one, so check mode would lock it
    assert result["changed"] is True and gpu["before"]["locked_graphics_clocks"] == "unknown"
    # application clocks and power are the settings a lock would show in; the live clocks float with load
    assert before.split(",")[2:] == after.split(",")[2:], (before, after)
    outside = {"gpus": [0], "locked_graphics_clocks": {"min_mhz": clocks[-1] + 1000, "max_mhz": clocks[-1] + 2000}}
    status, refused = run_ansible("gpuhost.provision.nvidia_gpu_settings", json.dumps(outside), check=True)
    assert status == "FAILED", refused
    assert "\n" not in refused["msg"] and str(clocks[-1]) in refused["msg"], refused["msg"]

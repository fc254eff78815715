# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia_gpu_settings and nvidia_mig on a real GPU: CHECK MODE ONLY (--check --diff), nothing is ever set.

Each test reads the GPU state with nvidia-smi before and after and asserts that it did not move.
"""
from __future__ import annotations

import json

import pytest

from _ansible import run_ansible, smi

pytestmark = pytest.mark.gpu

SETTINGS = "gpuhost.provision.nvidia_gpu_settings"
MIG = "gpuhost.provision.nvidia_mig"
STATE_QUERY = ("--query-gpu=compute_mode,power.limit,power.min_limit,power.max_limit,clocks.applications.memory,"
               "clocks.applications.graphics,accounting.mode,ecc.mode.current,ecc.mode.pending,mig.mode.current,"
               "mig.mode.pending")


def state():
    return [[v.strip() for v in line.split(",")]
            for line in smi("-i", "0", STATE_QUERY, "--format=csv,noheader,nounits").splitlines() if line.strip()]


def check(module, args, record, key):
    """Run module in check+diff mode; assert nvidia-smi shows the same state before and after."""
    before = state()
    status, result = run_ansible(module, json.dumps(args), check=True, diff=True)
    after = state()
    record[key] = {"args": args, "status": status, "result": result, "smi_before": before, "smi_after": after}
    assert before == after, "GPU state changed in check mode: %s -> %s" % (before, after)
    return status, result


def targets():
    mode, limit, low, high, mem, graphics = state()[0][:6]
    pairs = []
    for line in smi("-i", "0", "--query-supported-clocks=memory,graphics", "--format=csv,noheader,nounits").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            pairs.append((int(parts[0]), int(parts[1])))
    other = [p for p in pairs if mem.isdigit() and p != (int(mem), int(graphics))]
    power = round((float(low) + float(high)) / 2)
    if abs(power - float(limit)) < 1:
        power = round(float(low))
    return {
        "compute_mode": "default" if mode.lower() == "exclusive_process" else "exclusive_process",
        "power_limit_w": power,
        "clocks": other[len(other) // 2] if other else None,
        "range": (float(low), float(high)),
    }


@pytest.mark.parametrize("backend", ["nvml", "nvidia_smi"])
def test_settings_would_change(backend, record):
    want = targets()
    args = {"gpus": [0], "compute_mode": want["compute_mode"], "power_limit_w": want["power_limit_w"], "backend": backend}
    if want["clocks"]:
        args["application_clocks"] = {"mem_mhz": want["clocks"][0], "graphics_mhz": want["clocks"][1]}
    status, result = check(SETTINGS, args, record, "settings_check_%s" % backend)
    assert status == "CHANGED", result
    gpu = result["gpus"][0]
    assert gpu["changed"] is True and gpu["after"]["compute_mode"] == want["compute_mode"]
    assert gpu["after"]["power_limit_w"] == want["power_limit_w"]
    assert result["backend"] == backend


def test_settings_power_out_of_range_fails(record):
    low, high = targets()["range"]
    status, result = check(SETTINGS, {"gpus": [0], "power_limit_w": high + 100}, record, "settings_power_out_of_range")
    assert status == "FAILED" and "outside the range" in result["msg"] and "\n" not in result["msg"], result


def test_settings_unchanged_when_equal(record):
    mode = state()[0][0].lower()
    status, result = check(SETTINGS, {"gpus": [0], "compute_mode": mode}, record, "settings_same_compute_mode")
    assert status == "SUCCESS" and result["changed"] is False, result


def mig_config(counts=None):
    item = {"devices": [0], "mig-enabled": True}
    if counts:
        item["mig-devices"] = counts
    return {"version": "v1", "mig-configs": {"hw": [item], "off": [{"devices": [0], "mig-enabled": False}]}}


def test_mig_enable_would_change(record):
    current = state()[0][9]
    status, result = check(MIG, {"config": mig_config(), "config_name": "hw"}, record, "mig_enable_check")
    if current == "Enabled":
        assert status in ("SUCCESS", "CHANGED"), result
    else:
        assert status == "CHANGED" and result["reset_required"] is True, result
        assert result["gpus"][0]["mig_mode_pending"] is True and result["gpus"][0]["mig_mode_current"] is False


def test_mig_disable_is_unchanged_when_off(record):
    current = state()[0][9]
    status, result = check(MIG, {"config": mig_config(), "config_name": "off"}, record, "mig_disable_check")
    assert status in ("SUCCESS", "CHANGED", "FAILED"), result
    if current == "Disabled":
        assert status == "SUCCESS" and result["changed"] is False, result


def test_mig_unknown_profile(record):
    status, result = check(MIG, {"config": mig_config({"9g.999gb": 1}), "config_name": "hw"}, record, "mig_unknown_profile")
    # With MIG disabled some drivers report no profiles: then the module warns and validates later.
    assert status in ("FAILED", "CHANGED"), result
    if status == "FAILED":
        assert "9g.999gb" in result["msg"] and "\n" not in result["msg"]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia_module_params end to end through AnsibleModule on a /sys/module/nvidia/parameters tree."""
from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import nvidia_module_params as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import FIXTURES


@pytest.fixture
def tree(tmp_path, monkeypatch):
    path = tmp_path / "parameters"
    shutil.copytree(os.path.join(FIXTURES, "sys_module_nvidia_parameters_535"), str(path),
                    ignore=shutil.ignore_patterns("README"))
    monkeypatch.setattr(mod, "SYS_PARAMETERS", str(path))
    return path


def test_differences_are_problems(run_module, tree):
    failed, r = run_module(mod, {"wanted": {"NVreg_PreserveVideoMemoryAllocations": 1, "NVreg_EnableGpuFirmware": 18}},
                           check=True)
    assert not failed and r["changed"] is False and r["loaded"] is True
    assert r["live"] == {"NVreg_PreserveVideoMemoryAllocations": "0", "NVreg_EnableGpuFirmware": "18"}
    assert r["problems"] == ["nvidia module parameter NVreg_PreserveVideoMemoryAllocations is 0, wanted 1 "
                             "(/etc/modprobe.d): reboot, or reload the nvidia modules"]


def test_all_match(run_module, tree):
    (tree / "NVreg_PreserveVideoMemoryAllocations").write_text("1\n")
    failed, r = run_module(mod, {"wanted": {"NVreg_PreserveVideoMemoryAllocations": True}})
    assert not failed and r["differ"] == [] and r["problems"] == []


def test_not_loaded(run_module, tmp_path, monkeypatch):
    monkeypatch.setattr(mod, "SYS_PARAMETERS", str(tmp_path / "none"))
    monkeypatch.setattr(mod, "PROC_PARAMETERS", str(tmp_path / "none-either"))
    failed, r = run_module(mod, {"wanted": {"NVreg_EnableMSI": 1}})
    assert not failed and r["loaded"] is False and r["problems"] == [] and r["live"] == {"NVreg_EnableMSI": None}
    assert r["source"] is None


def test_proc_listing_where_sys_is_hidden(run_module, tmp_path, monkeypatch):
    """A container that hides /sys/module/nvidia/parameters but shows the driver's /proc listing (the GPU machine)."""
    monkeypatch.setattr(mod, "SYS_PARAMETERS", str(tmp_path / "none"))
    monkeypatch.setattr(mod, "PROC_PARAMETERS", os.path.join(FIXTURES, "proc_driver_nvidia_params_580", "params"))
    failed, r = run_module(mod, {"wanted": {"NVreg_EnableMSI": True, "NVreg_EnablePCIeGen3": 1,
                                            "NVreg_RegistryDwords": "RMUseSwI2c=0x01"}})
    assert not failed and r["loaded"] is True and r["source"].endswith("/params")
    assert r["live"] == {"NVreg_EnableMSI": "1", "NVreg_EnablePCIeGen3": "0", "NVreg_RegistryDwords": ""}
    assert [d["name"] for d in r["differ"]] == ["NVreg_EnablePCIeGen3", "NVreg_RegistryDwords"]


def test_sys_tree_is_preferred(run_module, tree, monkeypatch):
    monkeypatch.setattr(mod, "PROC_PARAMETERS", os.path.join(FIXTURES, "proc_driver_nvidia_params_580", "params"))
    failed, r = run_module(mod, {"wanted": {"NVreg_EnableGpuFirmware": 18}})
    assert not failed and r["source"] == str(tree) and r["differ"] == []


def test_bad_wanted_fails_one_line(run_module, tree):
    failed, r = run_module(mod, {"wanted": {"NVreg_X": 'a"b'}})
    assert failed and r["msg"].startswith("wanted: NVreg_X must be a number")

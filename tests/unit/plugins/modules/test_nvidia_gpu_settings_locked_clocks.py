# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Locked clocks in nvidia_gpu_settings: NVML and nvidia-smi calls, the record that makes a second run a no-op,
validation against the GPU's supported clocks before any change."""
from __future__ import annotations

import json

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import nvidia_gpu_settings as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.modules.test_nvidia_gpu_settings import smi_gpus

SMI = "/usr/bin/nvidia-smi"
LOCK_FLAGS = ("-lgc", "-rgc", "-lmc", "-rmc")
BOTH = {"locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 1980},
        "locked_memory_clocks": {"min_mhz": 2619, "max_mhz": 2619}}


@pytest.fixture
def boot(monkeypatch):
    """The boot id the module reads; change boot.id to simulate a reboot."""
    class Boot:
        id = "0b5c8c2e-1f7e-4c55-9d1b-6b8f2f0a0001"
    monkeypatch.setattr(mod, "read_boot_id", lambda: Boot.id)
    return Boot


@pytest.fixture
def record(tmp_path):
    return tmp_path / "run" / "locked-clocks.json"


def args(record, **kw):
    kw["locked_clocks_record"] = str(record)
    return kw


def test_lock_both_then_idempotent_then_reset(run_module, nvml, root, boot, record):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, args(record, **BOTH), diff=True)
    assert not failed and result["changed"] is True, result
    assert f.setter_calls() == [("nvmlDeviceSetGpuLockedClocks", 0, 1410, 1980),
                                ("nvmlDeviceSetMemoryLockedClocks", 0, 2619, 2619)]
    gpu = result["gpus"][0]
    assert gpu["before"] == {"locked_graphics_clocks": "unknown", "locked_memory_clocks": "unknown"}
    assert gpu["after"]["locked_graphics_clocks"] == {"min_mhz": 1410, "max_mhz": 1980}
    assert f.gpus[0]["locked"] == {"graphics": (1410, 1980), "memory": (2619, 2619)}
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["boot_id"] == boot.id and data["driver_version"] == "580.95.05"
    assert data["gpus"][f.gpus[0]["uuid"]]["graphics"] == {"min_mhz": 1410, "max_mhz": 1980}

    f.calls[:] = []
    failed, result = run_module(mod, args(record, **BOTH))
    assert not failed and result["changed"] is False and f.setter_calls() == []
    assert result["gpus"][0]["before"]["locked_memory_clocks"] == {"min_mhz": 2619, "max_mhz": 2619}

    failed, result = run_module(mod, args(record, locked_graphics_clocks={"reset": True}))
    assert not failed and result["changed"] is True
    assert f.setter_calls() == [("nvmlDeviceResetGpuLockedClocks", 0)]
    assert f.gpus[0]["locked"]["graphics"] is None
    f.calls[:] = []
    failed, result = run_module(mod, args(record, locked_graphics_clocks={"reset": True}))
    assert not failed and result["changed"] is False and f.setter_calls() == []


@pytest.mark.parametrize("what", ["reboot", "driver"])
def test_record_of_another_boot_or_driver_is_ignored(run_module, nvml, root, boot, record, what):
    f = nvml(fake.one_gpu())
    assert not run_module(mod, args(record, **BOTH))[0]
    if what == "reboot":
        boot.id = "0b5c8c2e-1f7e-4c55-9d1b-6b8f2f0a0002"
    else:
        f.driver = "580.105.08"
    f.calls[:] = []
    failed, result = run_module(mod, args(record, **BOTH))
    assert not failed and result["changed"] is True and len(f.setter_calls()) == 2
    assert result["gpus"][0]["before"]["locked_graphics_clocks"] == "unknown"


def test_check_mode_sets_nothing_and_writes_no_record(run_module, nvml, boot, record, monkeypatch):
    monkeypatch.setattr(mod, "is_root", lambda: False)
    f = nvml(fake.eight_gpus())
    failed, result = run_module(mod, args(record, **BOTH), check=True)
    assert not failed and result["changed"] is True
    assert f.setter_calls() == [] and not record.exists()
    assert all(g["locked"] == {"graphics": None, "memory": None} for g in f.gpus)


def test_unreadable_record_counts_as_empty(run_module, nvml, root, boot, record):
    record.parent.mkdir()
    record.write_text("{not json", encoding="utf-8")
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, args(record, **BOTH))
    assert not failed and result["changed"] is True and len(f.setter_calls()) == 2
    assert json.loads(record.read_text(encoding="utf-8"))["boot_id"] == boot.id


def test_record_that_cannot_be_written_is_a_warning(run_module, nvml, root, boot, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    nvml(fake.one_gpu())
    failed, result = run_module(mod, args(blocker / "sub" / "locked-clocks.json", **BOTH))
    assert not failed and result["changed"] is True
    assert "the next run sets the locked clocks again" in result["warnings"][0]


def turing_beside_h100():
    return fake.FakeNvml([fake.h100(0, "00000000:3B:00.0"),
                          dict(fake.h100(1, "00000000:5E:00.0"), arch=6, name="Tesla T4")])


BAD = [
    ("graphics above supported", {"locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 2100}}, fake.eight_gpus,
     "locked_graphics_clocks 1410-2100 MHz is outside the GPU's supported graphics clocks 1005-1980 MHz "
     "(nvidia-smi -q -d SUPPORTED_CLOCKS) on GPU 00000000:18:00.0"),
    ("memory below supported", {"locked_memory_clocks": {"min_mhz": 800, "max_mhz": 2619}}, fake.two_gpus,
     "locked_memory_clocks 800-2619 MHz is outside the GPU's supported memory clocks 1593-2619 MHz"),
    ("min above max", {"locked_graphics_clocks": {"min_mhz": 1980, "max_mhz": 1410}}, fake.eight_gpus,
     "locked_graphics_clocks min_mhz 1980 is above max_mhz 1410: give the lower clock as min_mhz"),
    ("zero", {"locked_memory_clocks": {"min_mhz": 0, "max_mhz": 2619}}, fake.eight_gpus,
     "locked_memory_clocks min_mhz and max_mhz must be positive MHz, got 0-2619"),
    ("neither range nor reset", {"locked_graphics_clocks": {}}, fake.eight_gpus,
     "locked_graphics_clocks needs min_mhz and max_mhz (a range in MHz), or reset: true"),
    ("min without max", {"locked_graphics_clocks": {"min_mhz": 1410}}, fake.eight_gpus,
     "parameters are required together: min_mhz, max_mhz"),
    ("range and reset", {"locked_memory_clocks": {"min_mhz": 1, "max_mhz": 2, "reset": True}}, fake.eight_gpus,
     "parameters are mutually exclusive: min_mhz|reset"),
    # the second GPU fails validation: nothing is set on the first either
    ("memory lock on a Turing GPU",
     {"compute_mode": "prohibited", "locked_memory_clocks": {"min_mhz": 2619, "max_mhz": 2619}}, turing_beside_h100,
     "Setting locked memory clocks is not supported on GPU 00000000:5E:00.0 (Tesla T4)"),
]


@pytest.mark.parametrize("name,params,factory,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input_changes_nothing(run_module, nvml, root, boot, record, commands, name, params, factory, needle):
    f = nvml(factory())
    failed, result = run_module(mod, args(record, **params))
    assert failed, result
    assert needle in result["msg"], result["msg"]
    assert "\n" not in result["msg"]
    assert f.setter_calls() == [] and not record.exists()
    assert all(g["locked"] == {"graphics": None, "memory": None} and g["compute_mode"] == 0 for g in f.gpus)


def test_geforce_without_clock_table_is_left_to_the_driver(run_module, nvml, root, boot, record):
    f = nvml(fake.mixed_gpus())
    failed, result = run_module(mod, args(record, gpus=[1], locked_graphics_clocks={"min_mhz": 2000, "max_mhz": 2520}))
    assert not failed and f.setter_calls() == [("nvmlDeviceSetGpuLockedClocks", 1, 2000, 2520)]


# ---- nvidia-smi backend (the H100 answers of the module's main tests) ---------------------------------------
def smi_lock_calls(commands):
    return [argv for argv in commands.argvs() if any(flag in argv for flag in LOCK_FLAGS)]


@pytest.fixture
def smi(nvml, commands):
    nvml(None)
    smi_gpus(commands)
    commands.on(lambda a: any(flag in a for flag in LOCK_FLAGS), out="All done.\n")
    return commands


def test_smi_backend_exact_argv(run_module, smi, root, boot, record):
    failed, result = run_module(mod, args(record, **BOTH))
    assert not failed and result["changed"] and result["backend"] == "nvidia_smi", result
    assert smi_lock_calls(smi) == [[SMI, "-i", "0", "-lgc", "1410,1980"], [SMI, "-i", "0", "-lmc", "2619,2619"]]
    failed, result = run_module(mod, args(record, locked_graphics_clocks={"reset": True},
                                          locked_memory_clocks={"reset": True}))
    assert not failed and result["changed"]
    assert smi_lock_calls(smi)[2:] == [[SMI, "-i", "0", "-rgc"], [SMI, "-i", "0", "-rmc"]]


def test_smi_out_of_range_runs_no_setter(run_module, smi, root, boot, record):
    failed, result = run_module(mod, args(record, locked_graphics_clocks={"min_mhz": 900, "max_mhz": 1980}))
    assert failed and "supported graphics clocks 1410-1980 MHz" in result["msg"]
    assert smi_lock_calls(smi) == []

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import SMI_QUERY
from ansible_collections.gpuhost.provision.plugins.modules import nvidia_gpu_facts as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text

SMI = "/usr/bin/nvidia-smi"
READ_ONLY_NVML = ("nvmlInit", "nvmlShutdown")


def facts_of(result):
    return result["ansible_facts"]["nvidia"]


def test_one_h100_nvml(run_module, nvml, sysfs, commands):
    sysfs.add("0000:3b:00.0")
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, {})
    facts = facts_of(result)
    assert not failed and result["changed"] is False
    assert facts["available"] is True and facts["error"] is None and facts["backend"] == "nvml"
    assert (facts["driver_version"], facts["cuda_driver_version"], facts["nvml_version"]) == ("580.95.05", "13.0", "13.580.95.05")
    assert facts["gpu_count"] == 1
    assert facts["gpus"][0] == {
        "index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": f.gpus[0]["uuid"], "pci_bus_id": "00000000:3B:00.0",
        "lost": False, "persistence_mode": True, "compute_mode": "default", "mig_mode_current": False,
        "mig_mode_pending": False, "ecc_mode_current": True, "ecc_mode_pending": True, "power_limit_w": 700.0,
        "power_limit_min_w": 200.0, "power_limit_max_w": 700.0, "power_default_limit_w": 700.0,
        "memory_total_mib": 81559, "compute_capability": "9.0", "vbios_version": "96.00.99.00.01",
        "architecture": "Hopper"}
    assert facts["pci_devices"] == [{"pci_bus_id": "00000000:3B:00.0", "device_id": "0x2330", "class": "0x030200",
                                     "driver": "nvidia"}]
    assert facts["pci_not_in_nvml"] == [] and facts["nvswitch_devices"] == []
    assert f.names().count("nvmlInit") == 1 and f.names()[-1] == "nvmlShutdown" and f.setter_calls() == []
    assert commands.calls == []


def test_two_a100_mig(run_module, nvml, sysfs):
    nvml(fake.two_gpus())
    facts = facts_of(run_module(mod, {})[1])
    assert [(g["mig_mode_current"], g["mig_mode_pending"]) for g in facts["gpus"]] == [(False, False), (True, True)]
    assert [g["persistence_mode"] for g in facts["gpus"]] == [False, True]
    assert facts["gpus"][0]["architecture"] == "Ampere"


def test_eight_gpus_one_fell_off_the_bus(run_module, nvml, sysfs):
    """lspci sees 8, NVML sees 7: the 8th is a fact."""
    for bus in fake.BUSES_8:
        sysfs.add(bus[4:].lower())
    f = fake.eight_gpus()
    del f.gpus[5]
    nvml(f)
    facts = facts_of(run_module(mod, {})[1])
    assert facts["available"] is True and facts["gpu_count"] == 7 and len(facts["pci_devices"]) == 8
    assert facts["pci_not_in_nvml"] == ["00000000:AB:00.0"]


def test_hgx_board_reports_its_nvswitches(run_module, nvml, sysfs):
    """Eight GPUs and four NVSwitch bridges: the switches are nvswitch_devices, not GPUs missing from NVML."""
    for bus in fake.BUSES_8:
        sysfs.add(bus[4:].lower())
    for bus in ("0000:05:00.0", "0000:06:00.0", "0000:07:00.0", "0000:08:00.0"):
        sysfs.add(bus, device="0x22a3", cls="0x068000", driver=None)
    nvml(fake.eight_gpus())
    facts = facts_of(run_module(mod, {})[1])
    assert len(facts["pci_devices"]) == 8 and facts["pci_not_in_nvml"] == []
    assert [(d["pci_bus_id"], d["class"]) for d in facts["nvswitch_devices"]] == [
        ("00000000:0%d:00.0" % n, "0x068000") for n in (5, 6, 7, 8)]


def test_lost_gpu_is_reported_not_fatal(run_module, nvml, sysfs):
    for bus in fake.BUSES_8[:4]:
        sysfs.add(bus[4:].lower())
    nvml(fake.lost_gpu())
    failed, result = run_module(mod, {})
    facts = facts_of(result)
    assert not failed and facts["available"] is True
    assert "00000000:3A:00.0 fell off the bus" in facts["error"] and "\n" not in facts["error"]
    assert facts["gpus"][2]["lost"] is True and facts["gpus"][2]["memory_total_mib"] is None
    assert facts["pci_not_in_nvml"] == ["00000000:3A:00.0"]


def test_unsupported_fields_are_null(run_module, nvml, sysfs):
    nvml(fake.FakeNvml([fake.geforce(0, "00000000:01:00.0")]))
    gpu = facts_of(run_module(mod, {})[1])["gpus"][0]
    assert gpu["mig_mode_current"] is None and gpu["ecc_mode_current"] is None and gpu["power_limit_max_w"] is None


@pytest.mark.parametrize("code,needle", [
    (fake.NVML_ERROR_DRIVER_NOT_LOADED, "kernel driver is not loaded"),
    (fake.NVML_ERROR_LIB_RM_VERSION_MISMATCH, "Driver/library version mismatch"),
    (fake.NVML_ERROR_NO_PERMISSION, "Insufficient permissions"),
])
def test_nvml_errors_never_fail(run_module, nvml, sysfs, code, needle):
    sysfs.add("0000:3b:00.0")
    nvml(fake.one_gpu(init_error=code))
    failed, result = run_module(mod, {})
    facts = facts_of(result)
    assert not failed and facts["available"] is False and needle in facts["error"] and "\n" not in facts["error"]
    assert facts["pci_not_in_nvml"] == ["00000000:3B:00.0"] and facts["gpus"] == []


def test_no_library_no_smi_never_fails(run_module, nvml, sysfs, commands):
    nvml(None)
    commands.bins = {}
    failed, result = run_module(mod, {})
    assert not failed and facts_of(result)["available"] is False and "nvidia-smi" in facts_of(result)["error"]


def test_library_missing_falls_back_to_recorded_smi(run_module, nvml, sysfs, commands):
    nvml(None)
    commands.on(lambda a: a[1].startswith("--query-gpu"), out=fixture_text("smi_query_h200_1gpu.csv"))
    commands.on(lambda a: a[1:] == ["--version"], out=fixture_text("smi_version.txt"))
    failed, result = run_module(mod, {})
    facts = facts_of(result)
    assert not failed and facts["backend"] == "nvidia_smi" and facts["available"] is True
    assert (facts["driver_version"], facts["cuda_driver_version"], facts["nvml_version"]) == ("580.159.04", "13.0", "580.159")
    assert facts["gpus"][0]["memory_total_mib"] == 143771 and facts["gpus"][0]["architecture"] is None
    assert commands.argvs() == [[SMI, "--query-gpu=" + SMI_QUERY, "--format=csv,noheader,nounits"], [SMI, "--version"]]


def test_no_gpu_smi_rc6(run_module, nvml, sysfs, commands):
    nvml(None)
    commands.on(lambda a: a[1].startswith("--query-gpu"), rc=6, out="No devices were found")
    commands.on(lambda a: a[1:] == ["--version"], out=fixture_text("smi_version.txt"))
    facts = facts_of(run_module(mod, {"backend": "nvidia_smi"})[1])
    assert facts["available"] is True and facts["gpu_count"] == 0


def test_no_driver_smi_rc9(run_module, nvml, sysfs, commands):
    nvml(None)
    commands.on(lambda a: a[1].startswith("--query-gpu"), rc=9,
                out="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")
    facts = facts_of(run_module(mod, {"backend": "nvidia_smi"})[1])
    assert facts["available"] is False and "not loaded" in facts["error"]


BAD = [
    ({"backend": "cuda"}, "value of backend must be one of"),
    ({"backend": ["nvml"]}, "backend"),
    ({"backend": ""}, "value of backend must be one of"),
    ({"gpus": "all"}, "Unsupported parameters"),
    ({"state": "enabled"}, "Unsupported parameters"),
    ({"backend": "NVML"}, "value of backend must be one of"),
    ({"backend": "nvidia-smi"}, "value of backend must be one of"),
    ({"backend": 1}, "value of backend must be one of"),
]


@pytest.mark.parametrize("args,needle", BAD)
def test_bad_input(run_module, nvml, sysfs, commands, args, needle):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, args)
    assert failed and needle in result["msg"] and "\n" not in result["msg"]
    assert f.calls == [] and commands.calls == []

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import nvidia_gpu_settings as mod
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import SMI_SETTINGS_QUERY
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._asserts import assert_one_line

SMI = "/usr/bin/nvidia-smi"
SMI_SETTER_FLAGS = ("-c", "-pl", "-ac", "-am", "-e", "-pm", "-r", "-mig")


def smi_setters(commands):
    return [argv for argv in commands.argvs() if any(flag in argv for flag in SMI_SETTER_FLAGS)]


ALL = {"compute_mode": "exclusive_process", "power_limit_w": 500, "application_clocks": {"mem_mhz": 2619, "graphics_mhz": 1755},
       "accounting_mode": True, "ecc_mode": False}


# ---- changes through NVML -------------------------------------------------------------------------
def test_every_setting_changes_then_idempotent(run_module, nvml, root):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, ALL, diff=True)
    assert not failed and result["changed"] is True, result
    assert f.setter_calls() == [
        ("nvmlDeviceSetComputeMode", 0, 3),
        ("nvmlDeviceSetPowerManagementLimit", 0, 500000),
        ("nvmlDeviceSetApplicationsClocks", 0, 2619, 1755),
        ("nvmlDeviceSetAccountingMode", 0, 1),
        ("nvmlDeviceSetEccMode", 0, 0),
    ]
    gpu = result["gpus"][0]
    assert gpu["before"] == {"compute_mode": "default", "power_limit_w": 700.0,
                             "application_clocks": {"mem_mhz": 2619, "graphics_mhz": 1980},
                             "accounting_mode": False, "ecc_mode": True}
    assert gpu["after"]["compute_mode"] == "exclusive_process" and gpu["after"]["power_limit_w"] == 500.0
    assert gpu["changed"] is True and gpu["pci_bus_id"] == "00000000:3B:00.0"
    assert result["ecc_pending_reboot"] is True and result["reboot_required"] is True
    assert gpu["ecc_pending_reboot"] is True and "next reboot" in result["warnings"][0]
    assert result["diff"]["after"]["00000000:3B:00.0"]["accounting_mode"] is True
    f.calls[:] = []
    failed, result = run_module(mod, ALL)
    assert not failed and result["changed"] is False and f.setter_calls() == []
    assert result["ecc_pending_reboot"] is True          # still pending until the reboot


def test_only_what_differs_is_set(run_module, nvml, root):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, {"compute_mode": "default", "power_limit_w": 650.5})
    assert not failed and result["changed"] is True
    assert f.setter_calls() == [("nvmlDeviceSetPowerManagementLimit", 0, 650500)]
    assert result["gpus"][0]["before"] == {"compute_mode": "default", "power_limit_w": 700.0}
    assert "diff" not in result and result["reboot_required"] is False and result["warnings"] == []


def test_no_options_reads_nothing_changes_nothing(run_module, nvml, not_root):
    f = nvml(fake.two_gpus())
    failed, result = run_module(mod, {})
    assert not failed and result["changed"] is False and f.setter_calls() == []
    assert [g["before"] for g in result["gpus"]] == [{}, {}]


def test_check_mode_calls_no_setter(run_module, nvml, not_root):
    f = nvml(fake.eight_gpus())
    failed, result = run_module(mod, ALL, check=True, diff=True)
    assert not failed and result["changed"] is True and len(result["gpus"]) == 8
    assert f.setter_calls() == []
    assert all(g["after"]["compute_mode"] == "exclusive_process" for g in result["gpus"])
    assert all(g["compute_mode"] == 0 for g in f.gpus)


def test_eight_gpus_selected_subset(run_module, nvml, root):
    f = nvml(fake.eight_gpus())
    failed, result = run_module(mod, {"gpus": [7, "0000:3a:00.0", f.gpus[5]["uuid"]], "accounting_mode": True})
    assert not failed and [g["index"] for g in result["gpus"]] == [7, 2, 5]
    assert f.setter_calls() == [("nvmlDeviceSetAccountingMode", h, 1) for h in (7, 2, 5)]


def test_two_gpus_one_already_right(run_module, nvml, root):
    f = nvml(fake.two_gpus())
    f.gpus[1]["compute_mode"] = 2
    failed, result = run_module(mod, {"compute_mode": "prohibited"})
    assert not failed and [g["changed"] for g in result["gpus"]] == [True, False]
    assert f.setter_calls() == [("nvmlDeviceSetComputeMode", 0, 2)]


def test_not_root_fine_when_nothing_changes(run_module, nvml, not_root):
    nvml(fake.one_gpu())
    failed, result = run_module(mod, {"compute_mode": "default", "ecc_mode": True})
    assert not failed and result["changed"] is False and result["reboot_required"] is False


def test_setter_permission_denied_is_one_line(run_module, nvml, root):
    nvml(fake.one_gpu(set_error=fake.NVML_ERROR_NO_PERMISSION))
    failed, result = run_module(mod, {"compute_mode": "prohibited"})
    assert failed and "setting compute mode on GPU 00000000:3B:00.0" in result["msg"]
    assert_one_line(result["msg"])


# ---- nvidia-smi backend ---------------------------------------------------------------------------
H100_SETTINGS = "0, Default, 700.00, 200.00, 700.00, 2619, 1980, Disabled, Enabled, Enabled\n"
H100_CLOCKS = "2619, 1980\n2619, 1755\n2619, 1410\n1593, 1410\n"


def smi_gpus(commands):
    from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text
    commands.on(lambda a: a[1].startswith("--query-gpu="), out=fixture_text("smi_query_h100_1gpu.csv"))
    commands.on(lambda a: "--query-gpu=" + SMI_SETTINGS_QUERY in a, out=H100_SETTINGS)
    commands.on(lambda a: "--query-supported-clocks=memory,graphics" in a, out=H100_CLOCKS)
    commands.on(lambda a: any(flag in a for flag in SMI_SETTER_FLAGS), out="All done.\n")


def test_smi_backend_exact_argv(run_module, nvml, commands, root):
    nvml(None)
    smi_gpus(commands)
    failed, result = run_module(mod, dict(ALL, power_limit_w=450.5))
    assert not failed and result["changed"] and result["backend"] == "nvidia_smi", result
    assert smi_setters(commands) == [
        [SMI, "-i", "0", "-c", "EXCLUSIVE_PROCESS"],
        [SMI, "-i", "0", "-pl", "450.50"],
        [SMI, "-i", "0", "-ac", "2619,1755"],
        [SMI, "-i", "0", "-am", "1"],
        [SMI, "-i", "0", "-e", "0"],
    ]
    assert all(kw["environ_update"]["LANG"] == "C" for _argv, kw in commands.calls)


def test_smi_backend_check_mode_and_unchanged(run_module, nvml, commands, not_root):
    nvml(None)
    smi_gpus(commands)
    failed, result = run_module(mod, dict(ALL, backend="nvidia_smi"), check=True)
    assert not failed and result["changed"] and smi_setters(commands) == []
    same = {"compute_mode": "default", "power_limit_w": 700, "application_clocks": {"mem_mhz": 2619, "graphics_mhz": 1980},
            "accounting_mode": False, "ecc_mode": True}
    failed, result = run_module(mod, dict(same, backend="nvidia_smi"))
    assert not failed and result["changed"] is False and smi_setters(commands) == []


def test_smi_out_of_range(run_module, nvml, commands, root):
    nvml(None)
    smi_gpus(commands)
    failed, result = run_module(mod, {"power_limit_w": 100})
    assert failed and "outside the range of GPU 00000000:3B:00.0: 200-700 W" in result["msg"]
    assert smi_setters(commands) == []


# ---- bad input and error rows: one-line msg, no setter ---------------------------------------------
BAD = [
    ("unknown compute mode", {"compute_mode": "exclusive_thread"}, fake.eight_gpus, "value of compute_mode must be one of"),
    ("power not a number", {"power_limit_w": "lots"}, fake.eight_gpus, "power_limit_w"),
    ("accounting not a bool", {"accounting_mode": "maybe"}, fake.eight_gpus, "accounting_mode"),
    ("clocks not a dict", {"application_clocks": "fast"}, fake.eight_gpus, "dictionary requested"),
    ("clocks missing graphics", {"application_clocks": {"mem_mhz": 2619}}, fake.eight_gpus, "graphics_mhz"),
    ("unknown backend", {"backend": "cuda"}, fake.eight_gpus, "value of backend must be one of"),
    ("unknown option", {"clocks": 1}, fake.eight_gpus, "Unsupported parameters"),
    ("power above max", {"power_limit_w": 900}, fake.eight_gpus,
     "power_limit_w 900 W is outside the range of GPU 00000000:18:00.0: 200-700 W"),
    ("power below min", {"power_limit_w": 99.5, "compute_mode": "prohibited"}, fake.two_gpus,
     "power_limit_w 99.50 W is outside the range of GPU 00000000:07:00.0: 100-400 W"),
    ("unsupported clocks pair", {"application_clocks": {"mem_mhz": 1593, "graphics_mhz": 1980}}, fake.eight_gpus,
     "mem_mhz=1593 graphics_mhz=1980 is not a supported pair on GPU 00000000:18:00.0: supported mem 2619: graphics"),
    ("unknown gpu index", {"gpus": [8], "compute_mode": "prohibited"}, fake.eight_gpus, "GPU index 8 does not exist"),
    ("unknown uuid", {"gpus": ["GPU-nope"], "compute_mode": "prohibited"}, fake.eight_gpus, "No GPU has UUID GPU-nope"),
    ("ecc unsupported on second gpu", {"ecc_mode": False}, fake.mixed_gpus,
     "Setting ECC mode is not supported on GPU 00000000:5E:00.0 (NVIDIA GeForce RTX 4090)"),
    ("power unsupported", {"compute_mode": "prohibited", "power_limit_w": 300}, fake.mixed_gpus,
     "Setting the power limit is not supported on GPU 00000000:5E:00.0"),
    ("clocks unsupported", {"application_clocks": {"mem_mhz": 2619, "graphics_mhz": 1980}}, fake.mixed_gpus,
     "Setting application clocks is not supported on GPU 00000000:5E:00.0"),
    ("accounting unsupported", {"accounting_mode": True}, fake.mixed_gpus,
     "Setting accounting mode is not supported on GPU 00000000:5E:00.0"),
    ("driver not loaded", {"compute_mode": "prohibited"}, lambda: fake.one_gpu(init_error=fake.NVML_ERROR_DRIVER_NOT_LOADED),
     "NVIDIA kernel driver is not loaded"),
    ("gpu lost", {"compute_mode": "prohibited"}, fake.lost_gpu, "has fallen off the bus"),
]


@pytest.mark.parametrize("name,args,factory,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(run_module, nvml, root, commands, name, args, factory, needle):
    f = nvml(factory())
    failed, result = run_module(mod, args)
    assert failed
    assert needle in result["msg"], result["msg"]
    assert_one_line(result["msg"])
    assert f.setter_calls() == []
    assert smi_setters(commands) == []


def test_not_root_fails_before_any_change(run_module, nvml, not_root, commands):
    f = nvml(fake.eight_gpus())
    f.gpus[0]["compute_mode"] = 3
    failed, result = run_module(mod, {"compute_mode": "exclusive_process"})
    assert failed and result["msg"].startswith("Changing GPU settings needs root")
    assert "00000000:18:00.0" not in result["msg"] and "00000000:DB:00.0" in result["msg"]
    assert_one_line(result["msg"])
    assert f.setter_calls() == [] and smi_setters(commands) == []


# ---- one spelling of compute modes ------------------------------------------------------------------
@pytest.mark.parametrize("given", ["exclusive_process", "EXCLUSIVE_PROCESS", "Exclusive_Process", "exclusive-process"])
def test_compute_mode_any_spelling_is_the_facts_spelling(run_module, nvml, root, given):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, {"compute_mode": given}, diff=True)
    assert not failed and result["changed"] is True, result
    assert result["gpus"][0]["after"]["compute_mode"] == "exclusive_process"
    assert result["diff"]["after"] == {"00000000:3B:00.0": {"compute_mode": "exclusive_process"}}
    assert f.setter_calls() == [("nvmlDeviceSetComputeMode", 0, 3)]
    failed, again = run_module(mod, {"compute_mode": given})
    assert not failed and again["changed"] is False


def test_compute_mode_matches_facts_after_setting(run_module, nvml, sysfs, root):
    from ansible_collections.gpuhost.provision.plugins.modules import nvidia_gpu_facts
    nvml(fake.one_gpu())
    failed, result = run_module(mod, {"compute_mode": "Exclusive_Process"})
    assert not failed
    failed, facts = run_module(nvidia_gpu_facts, {})
    assert facts["ansible_facts"]["nvidia"]["gpus"][0]["compute_mode"] == result["gpus"][0]["after"]["compute_mode"]


def test_smi_compute_mode_read_in_the_facts_spelling(run_module, nvml, commands, not_root):
    nvml(None)
    smi_gpus(commands)
    failed, result = run_module(mod, {"compute_mode": "DEFAULT"}, check=True)
    assert not failed and result["changed"] is False and result["gpus"][0]["before"] == {"compute_mode": "default"}


@pytest.mark.parametrize("given", ["exclusive_thread", "Exclusive_Thread", "shared", "exclusive"])
def test_compute_mode_not_settable_fails_before_touching_gpus(run_module, nvml, root, given):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, {"compute_mode": given})
    assert failed and result["msg"] == ("value of compute_mode must be one of: default, exclusive_process, prohibited, "
                                        "got: %s" % given)
    assert f.names() == []

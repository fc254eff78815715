# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import nvidia_persistence as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._asserts import assert_one_line

SMI = "/usr/bin/nvidia-smi"


# ---- changes and no-changes through NVML ----------------------------------------------------------
def test_already_enabled_is_unchanged(run_module, nvml, proc, root):
    f = nvml(fake.one_gpu())
    failed, result = run_module(mod, {"state": "enabled"})
    assert not failed and result["changed"] is False
    assert result["gpus"] == [{"index": 0, "uuid": f.gpus[0]["uuid"], "pci_bus_id": "00000000:3B:00.0",
                               "before": True, "after": True}]
    assert f.setter_calls() == []
    assert f.names().count("nvmlInit") == 1 and f.names()[-1] == "nvmlShutdown"
    assert result["warnings"] == [] and result["backend"] == "nvml"


def test_enable_sets_only_what_differs_and_warns_without_daemon(run_module, nvml, proc, root):
    f = nvml(fake.two_gpus())
    failed, result = run_module(mod, {"state": "enabled"}, diff=True)
    assert not failed and result["changed"] is True
    assert f.setter_calls() == [("nvmlDeviceSetPersistenceMode", 0, 1)]
    assert [g["before"] for g in result["gpus"]] == [False, True]
    assert result["diff"] == {"before": {"00000000:07:00.0": False, "00000000:0F:00.0": True},
                              "after": {"00000000:07:00.0": True, "00000000:0F:00.0": True}}
    assert result["daemon_running"] is False
    assert len(result["warnings"]) == 1 and "nvidia-persistenced" in result["warnings"][0]
    assert "does not survive a reboot" in result["warnings"][0]


def test_no_warning_when_daemon_runs(run_module, nvml, proc, root):
    proc.daemon()
    f = nvml(fake.two_gpus())
    failed, result = run_module(mod, {"state": "enabled"})
    assert not failed and result["changed"] and result["daemon_running"] is True
    assert result["warnings"] == []
    assert len(f.setter_calls()) == 1


def test_daemon_found_by_proc_scan_without_pid_file(run_module, nvml, proc, root):
    proc.daemon(pid=777, write_pid=False)
    nvml(fake.one_gpu())
    assert run_module(mod, {"state": "enabled"})[1]["daemon_running"] is True


def test_no_diff_key_without_diff_mode(run_module, nvml, proc, root):
    nvml(fake.two_gpus())
    assert "diff" not in run_module(mod, {"state": "enabled"})[1]


def test_eight_gpus_mixed_selectors(run_module, nvml, proc, root):
    f = nvml(fake.eight_gpus())
    selectors = ["3", f.gpus[6]["uuid"].upper(), "0000:5d:00.0", 0]
    failed, result = run_module(mod, {"state": "enabled", "gpus": selectors})
    assert not failed and result["changed"]
    assert [g["index"] for g in result["gpus"]] == [3, 6, 0]   # 0000:5d:00.0 is GPU 3 again: deduplicated
    assert f.setter_calls() == [("nvmlDeviceSetPersistenceMode", 3, 1), ("nvmlDeviceSetPersistenceMode", 6, 1)]


@pytest.mark.parametrize("selector", ["3a:00.0", "0000:3A:00.0", "00000000:3a:00.0", "3A:00.0", 2, "2"])
def test_selector_forms(run_module, nvml, proc, root, selector):
    nvml(fake.eight_gpus())
    failed, result = run_module(mod, {"state": "disabled", "gpus": [selector]}, check=True)
    assert not failed and [g["index"] for g in result["gpus"]] == [2]


def test_check_mode_disable_calls_no_setter(run_module, nvml, proc, not_root):
    f = nvml(fake.eight_gpus())
    failed, result = run_module(mod, {"state": "disabled"}, check=True, diff=True)
    assert not failed and result["changed"] is True
    assert all(g["after"] is False for g in result["gpus"])
    assert [g["before"] for g in result["gpus"]] == [i not in (3, 6) for i in range(8)]
    assert f.setter_calls() == []
    assert result["warnings"] == []


def test_check_mode_enable_warns_would_set(run_module, nvml, proc, not_root):
    f = nvml(fake.two_gpus())
    failed, result = run_module(mod, {"state": "enabled"}, check=True)
    assert not failed and result["changed"] and f.setter_calls() == []
    assert result["warnings"][0].startswith("Check mode: ")


def test_mig_gpu_reports_persistence(run_module, nvml, proc, root):
    f = nvml(fake.two_gpus())
    failed, result = run_module(mod, {"state": "enabled", "gpus": [1]})
    assert not failed and result["changed"] is False and f.setter_calls() == []


# ---- nvidia-smi backend ---------------------------------------------------------------------------
def smi_query(argv):
    return argv[1].startswith("--query-gpu=")


def test_smi_backend_exact_argv(run_module, nvml, commands, proc, root):
    nvml(None)
    commands.on(smi_query, out=fixture_text("smi_query_h100_1gpu.csv"))
    commands.on(lambda a: "-pm" in a, out="Enabled persistence mode for GPU 00000000:3B:00.0.\nAll done.\n")
    failed, result = run_module(mod, {"state": "enabled"})
    assert not failed and result["changed"] and result["backend"] == "nvidia_smi"
    from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import SMI_QUERY
    assert commands.argvs() == [
        [SMI, "--query-gpu=" + SMI_QUERY, "--format=csv,noheader,nounits"],
        [SMI, "-i", "00000000:3B:00.0", "-pm", "1"],
    ]
    assert all(kw["environ_update"]["LANG"] == "C" for _argv, kw in commands.calls)


def test_smi_backend_check_mode_runs_no_setter(run_module, nvml, commands, proc, not_root):
    nvml(None)
    commands.on(smi_query, out=fixture_text("smi_query_a100_2gpu_mig.csv"))
    failed, result = run_module(mod, {"state": "disabled", "backend": "nvidia_smi"}, check=True)
    assert not failed and result["changed"] and commands.smi_setters() == []
    assert [g["before"] for g in result["gpus"]] == [False, True]


def test_nvml_setter_permission_denied_is_one_line(run_module, nvml, proc, root):
    f = nvml(fake.two_gpus(set_error=fake.NVML_ERROR_NO_PERMISSION))
    failed, result = run_module(mod, {"state": "enabled"})
    assert failed and "run the task as root" in result["msg"]
    assert_one_line(result["msg"])
    assert f.names()[-1] == "nvmlShutdown"


# ---- bad input and error rows: one-line msg, no setter, nothing written ----------------------------
def _gpus(**kw):
    return fake.eight_gpus(**kw)


BAD = [
    ("missing state", {}, _gpus, "missing required arguments: state"),
    ("unknown state", {"state": "on"}, _gpus, "value of state must be one of"),
    ("unknown backend", {"state": "enabled", "backend": "cuda"}, _gpus, "value of backend must be one of"),
    ("unknown option", {"state": "enabled", "force": True}, _gpus, "Unsupported parameters"),
    ("gpus not a list", {"state": "enabled", "gpus": {"a": 1}}, _gpus, "gpus"),
    ("index out of range", {"state": "enabled", "gpus": [8]}, _gpus, "GPU index 8 does not exist: this host has 8 GPU(s)"),
    ("valid then invalid", {"state": "enabled", "gpus": [3, 99]}, _gpus, "GPU index 99 does not exist"),
    ("unknown uuid", {"state": "enabled", "gpus": ["GPU-deadbeef"]}, _gpus, "No GPU has UUID GPU-deadbeef"),
    ("unknown bus id", {"state": "enabled", "gpus": ["0000:ff:00.0"]}, _gpus, "No GPU at PCI bus id 00000000:FF:00.0"),
    ("garbage selector", {"state": "enabled", "gpus": ["first"]}, _gpus, "GPU selector 'first' is not valid"),
    ("bool selector", {"state": "enabled", "gpus": [True]}, _gpus, "GPU selector True is not valid"),
    ("negative index", {"state": "enabled", "gpus": ["-1"]}, _gpus, "GPU selector '-1' is not valid"),
    ("driver not loaded", {"state": "enabled"}, lambda: _gpus(init_error=fake.NVML_ERROR_DRIVER_NOT_LOADED),
     "NVIDIA kernel driver is not loaded"),
    ("mismatch", {"state": "enabled"}, lambda: _gpus(init_error=fake.NVML_ERROR_LIB_RM_VERSION_MISMATCH),
     "Driver/library version mismatch"),
    ("gpu lost", {"state": "enabled"}, fake.lost_gpu, "GPU 00000000:3A:00.0 has fallen off the bus"),
    ("no gpus, index", {"state": "enabled", "gpus": [0]}, lambda: fake.FakeNvml([]), "no NVIDIA GPU is visible"),
]


@pytest.mark.parametrize("name,args,factory,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(run_module, nvml, proc, root, commands, name, args, factory, needle):
    f = nvml(factory())
    before = [g["persistence"] for g in f.gpus]
    failed, result = run_module(mod, args)
    assert failed
    assert needle in result["msg"], result["msg"]
    assert_one_line(result["msg"])
    assert f.setter_calls() == []
    assert [g["persistence"] for g in f.gpus] == before
    assert commands.smi_setters() == []


def test_not_root_fails_before_any_change(run_module, nvml, proc, not_root, commands):
    f = nvml(fake.eight_gpus())
    failed, result = run_module(mod, {"state": "enabled"})
    assert failed and result["msg"].startswith("Setting persistence mode needs root")
    assert "00000000:5D:00.0, 00000000:BA:00.0" in result["msg"]
    assert_one_line(result["msg"])
    assert f.setter_calls() == []


def test_not_root_is_fine_when_nothing_changes(run_module, nvml, proc, not_root):
    nvml(fake.one_gpu())
    failed, result = run_module(mod, {"state": "enabled"})
    assert not failed and not result["changed"]


def test_library_missing_and_no_smi(run_module, nvml, proc, root, commands):
    nvml(None)
    commands.bins = {}
    failed, result = run_module(mod, {"state": "enabled"})
    assert failed and "nvidia-smi" in result["msg"] and "NVML" in result["msg"]
    assert_one_line(result["msg"])
    assert commands.calls == []


def test_backend_nvml_without_pynvml(run_module, nvml, proc, root, commands):
    nvml(None)
    failed, result = run_module(mod, {"state": "enabled", "backend": "nvml"})
    assert failed and "needs the Python module pynvml" in result["msg"]
    assert_one_line(result["msg"])
    assert commands.calls == []


def test_nvml_library_not_loadable_falls_back_to_smi(run_module, nvml, proc, root, commands):
    f = nvml(fake.one_gpu(init_error=fake.NVML_ERROR_LIBRARY_NOT_FOUND))
    commands.on(smi_query, out=fixture_text("smi_query_h100_1gpu.csv"))
    failed, result = run_module(mod, {"state": "disabled"}, check=True)
    assert not failed and result["backend"] == "nvidia_smi" and f.names() == ["nvmlInit"]


@pytest.mark.parametrize("rc,out,needle", [
    (9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", "kernel driver is not loaded"),
    (18, "Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.95", "version mismatch"),
    (12, "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system.", "libnvidia-ml.so.1"),
    (255, "Some unexpected\nmulti-line failure", "failed with rc 255"),
])
def test_smi_errors(run_module, nvml, proc, root, commands, rc, out, needle):
    nvml(None)
    commands.on(smi_query, rc=rc, out=out)
    failed, result = run_module(mod, {"state": "enabled"})
    assert failed and needle in result["msg"], result["msg"]
    assert_one_line(result["msg"])
    assert commands.smi_setters() == []


def test_smi_lost_gpu_selected(run_module, nvml, proc, root, commands):
    nvml(None)
    commands.on(smi_query, rc=15, out=fixture_text("smi_query_h100_4gpu_lost.csv"))
    failed, result = run_module(mod, {"state": "enabled", "gpus": ["3a:00.0"]})
    assert failed and "GPU 00000000:3A:00.0 has fallen off the bus" in result["msg"]
    assert commands.smi_setters() == []


def test_smi_lost_gpu_not_selected(run_module, nvml, proc, root, commands):
    nvml(None)
    commands.on(smi_query, rc=15, out=fixture_text("smi_query_h100_4gpu_lost.csv"))
    commands.on(lambda a: "-pm" in a, out="Enabled persistence mode.\n")
    failed, result = run_module(mod, {"state": "enabled", "gpus": [0, 3]})
    assert not failed
    assert commands.smi_setters() == [[SMI, "-i", "00000000:18:00.0", "-pm", "1"], [SMI, "-i", "00000000:5D:00.0", "-pm", "1"]]

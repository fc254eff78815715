# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import copy

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import nvidia_mig as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._asserts import assert_one_line

SMI = "/usr/bin/nvidia-smi"

# A default-mig-parted-config in mig-parted's format, with H100 80GB profile names.
CONFIG = {
    "version": "v1",
    "mig-configs": {
        "all-disabled": [{"devices": "all", "mig-enabled": False}],
        "all-1g.10gb": [{"devices": "all", "mig-enabled": True, "mig-devices": {"1g.10gb": 7}}],
        "all-3g.40gb": [{"devices": "all", "mig-enabled": True, "mig-devices": {"3g.40gb": 2}}],
        "mixed": [
            {"devices": [0, 1], "mig-enabled": True, "mig-devices": {"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}},
            {"devices": [2, 3, 4, 5, 6, 7], "mig-enabled": False},
        ],
    },
}


def args(name, **kw):
    return dict({"config": CONFIG, "config_name": name}, **kw)


def layout(f, index):
    ids = dict((info[0], None) for info in f.gpus[index]["mig_profiles"].values())
    names = {19: "1g.10gb", 20: "1g.10gb+me", 15: "1g.20gb", 14: "2g.20gb", 9: "3g.40gb", 5: "4g.40gb", 0: "7g.80gb"}
    counts = {}
    for gi in f.gpus[index]["gis"]:
        assert gi["profile_id"] in ids and len(gi["cis"]) == 1      # one compute instance per GPU instance
        counts[names[gi["profile_id"]]] = counts.get(names[gi["profile_id"]], 0) + 1
    return counts


# ---- layouts on GPUs with MIG already enabled ------------------------------------------------------
def test_create_layout_then_idempotent(run_module, nvml, proc, root):
    f = nvml(fake.mig_gpus(2))
    failed, result = run_module(mod, args("all-1g.10gb"), diff=True)
    assert not failed and result["changed"] is True, result
    assert [layout(f, i) for i in (0, 1)] == [{"1g.10gb": 7}, {"1g.10gb": 7}]
    assert [c for c in f.setter_calls() if c[0] == "nvmlDeviceCreateGpuInstance"] == \
        [("nvmlDeviceCreateGpuInstance", 0, 19)] * 7 + [("nvmlDeviceCreateGpuInstance", 1, 19)] * 7
    gpu = result["gpus"][0]
    assert gpu["before"] == {} and gpu["after"] == {"1g.10gb": 7} and gpu["reset_required"] is False
    assert gpu["mig_mode_current"] is True and gpu["mig_mode_pending"] is True
    assert result["diff"]["after"]["00000000:18:00.0"] == {"mig_enabled": True, "mig_devices": {"1g.10gb": 7}}
    assert result["reset_required"] is False and result["warnings"] == []
    f.calls[:] = []
    failed, result = run_module(mod, args("all-1g.10gb"))
    assert not failed and result["changed"] is False and f.setter_calls() == []
    assert result["gpus"][1]["before"] == {"1g.10gb": 7}


def test_relayout_destroys_then_creates_largest_first(run_module, nvml, proc, root):
    f = nvml(fake.mig_gpus(2))
    assert not run_module(mod, args("all-1g.10gb"))[0]
    f.calls[:] = []
    failed, result = run_module(mod, args("mixed", config=dict(CONFIG, **{"mig-configs": {"mixed": [CONFIG["mig-configs"]["mixed"][0]]}}),
                                          config_name="mixed"))
    assert not failed and result["changed"], result
    names = f.setter_calls()
    assert [c[0] for c in names[:14]] == ["nvmlComputeInstanceDestroy", "nvmlGpuInstanceDestroy"] * 7
    creates = [c[1:] for c in names if c[0] == "nvmlDeviceCreateGpuInstance"]
    assert creates == [(0, 9), (0, 14), (0, 19), (0, 19), (1, 9), (1, 14), (1, 19), (1, 19)]
    assert layout(f, 1) == {"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}
    assert result["gpus"][0]["before"] == {"1g.10gb": 7}


def test_check_mode_calls_no_setter(run_module, nvml, proc, not_root):
    f = nvml(fake.mig_gpus(8))
    failed, result = run_module(mod, args("all-3g.40gb"), check=True, diff=True)
    assert not failed and result["changed"] is True and len(result["gpus"]) == 8
    assert all(g["after"] == {"3g.40gb": 2} for g in result["gpus"])
    assert f.setter_calls() == [] and all(g["gis"] == [] for g in f.gpus)


def test_eight_gpus_mixed_items(run_module, nvml, proc, root):
    f = nvml(fake.mig_gpus(8))
    failed, result = run_module(mod, args("mixed"))
    assert not failed and result["changed"]
    assert [layout(f, i) for i in (0, 1)] == [{"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}] * 2
    assert [g["mig"] for g in f.gpus[2:]] == [(1, 0)] * 6          # disabled: pending until reset
    assert [g["reset_required"] for g in result["gpus"]] == [False] * 2 + [True] * 6
    assert result["reset_required"] is True and "after a GPU reset or reboot" in result["warnings"][0]


# ---- mode changes ------------------------------------------------------------------------------------
def test_enable_is_pending_and_reports_reset_required(run_module, nvml, proc, root, commands):
    f = nvml(fake.mig_gpus(2, enabled=False))
    failed, result = run_module(mod, args("all-1g.10gb"))
    assert not failed and result["changed"] and result["reset_required"] is True
    assert f.setter_calls() == [("nvmlDeviceSetMigMode", 0, 1), ("nvmlDeviceSetMigMode", 1, 1)]
    assert result["gpus"][0]["mig_mode_current"] is False and result["gpus"][0]["mig_mode_pending"] is True
    assert result["gpus"][0]["after"] == {}
    assert commands.calls == []                                         # never reset unless allowed
    f.calls[:] = []
    failed, result = run_module(mod, args("all-1g.10gb"))
    assert not failed and result["changed"] is False and result["reset_required"] is True
    assert f.setter_calls() == []


def test_check_mode_enable_predicts_reset(run_module, nvml, proc, not_root):
    f = nvml(fake.mig_gpus(1, enabled=False))
    failed, result = run_module(mod, args("all-1g.10gb"), check=True)
    assert not failed and result["changed"] and result["gpus"][0]["reset_required"] is True
    assert f.setter_calls() == []


def test_allow_reset_resets_then_creates(run_module, nvml, proc, root, commands, monkeypatch):
    f = nvml(fake.mig_gpus(1, enabled=False))

    def reset(argv):
        if "-r" in argv:
            f.gpus[0]["mig"] = (f.gpus[0]["mig"][1], f.gpus[0]["mig"][1])
            return True
        return False

    commands.on(reset, out="GPU 00000000:18:00.0 was successfully reset.\n")
    failed, result = run_module(mod, args("all-3g.40gb", allow_reset=True))
    assert not failed and result["changed"] and result["reset_required"] is False, result
    assert commands.argvs() == [[SMI, "-r", "-i", "0"]]
    assert layout(f, 0) == {"3g.40gb": 2} and result["gpus"][0]["after"] == {"3g.40gb": 2}


def test_disable_destroys_instances_first(run_module, nvml, proc, root):
    f = nvml(fake.mig_gpus(1))
    run_module(mod, args("all-3g.40gb"))
    f.calls[:] = []
    failed, result = run_module(mod, args("all-disabled"))
    assert not failed and result["changed"]
    assert [c[0] for c in f.setter_calls()] == ["nvmlComputeInstanceDestroy", "nvmlGpuInstanceDestroy"] * 2 + \
        ["nvmlDeviceSetMigMode"]
    assert f.gpus[0]["gis"] == [] and result["gpus"][0]["after"] == {}


def test_disabled_non_mig_gpu_is_left_alone(run_module, nvml, proc, root):
    f = nvml(fake.mixed_gpus())
    failed, result = run_module(mod, args("all-disabled"))
    assert not failed and result["changed"] is False and f.setter_calls() == []
    assert result["gpus"][1]["mig_mode_current"] is None


# ---- bad input and error rows: one-line msg, no setter ----------------------------------------------
def cfg(items, name="x"):
    return {"config": {"version": "v1", "mig-configs": {name: items}}, "config_name": name}


BAD = [
    ("missing config", {"config_name": "x"}, fake.mig_gpus, "missing required arguments: config"),
    ("config not a dict", {"config": "all-1g", "config_name": "x"}, fake.mig_gpus, "dictionary requested"),
    ("allow_reset not bool", args("all-1g.10gb", allow_reset="sometimes"), fake.mig_gpus, "allow_reset"),
    ("unknown backend", args("all-1g.10gb", backend="nvidia_smi"), fake.mig_gpus, "value of backend must be one of"),
    ("wrong version", {"config": {"version": "v2", "mig-configs": {}}, "config_name": "x"}, fake.mig_gpus,
     "config version must be v1"),
    ("unknown config name", args("all-9g"), fake.mig_gpus, "config_name 'all-9g' is not in mig-configs (known: all-1g.10gb"),
    ("device-filter", cfg([{"device-filter": "0x233010DE", "devices": "all", "mig-enabled": False}]), fake.mig_gpus,
     "unsupported key(s) device-filter"),
    ("bad devices", cfg([{"devices": "some", "mig-enabled": True}]), fake.mig_gpus, "devices must be 'all' or a list"),
    ("mig-enabled not bool", cfg([{"devices": "all", "mig-enabled": "yes"}]), fake.mig_gpus, "mig-enabled must be true or false"),
    ("negative count", cfg([{"devices": "all", "mig-enabled": True, "mig-devices": {"1g.10gb": -1}}]), fake.mig_gpus,
     "must be a count >= 0"),
    ("devices without mig", cfg([{"devices": "all", "mig-enabled": False, "mig-devices": {"1g.10gb": 1}}]), fake.mig_gpus,
     "mig-devices with mig-enabled false"),
    ("unknown profile", cfg([{"devices": "all", "mig-enabled": True, "mig-devices": {"1g.5gb": 7}}]), fake.mig_gpus,
     "MIG profile '1g.5gb' is not supported by GPU 00000000:18:00.0 (NVIDIA H100 80GB HBM3): use one of 1g.10gb, 1g.10gb+me"),
    ("too many of a profile", cfg([{"devices": "all", "mig-enabled": True, "mig-devices": {"3g.40gb": 3}}]), fake.mig_gpus,
     "Too many MIG instances: 3 x 3g.40gb on GPU 00000000:18:00.0, which fits at most 2"),
    ("too many slices", cfg([{"devices": "all", "mig-enabled": True, "mig-devices": {"3g.40gb": 2, "2g.20gb": 1}}]),
     fake.mig_gpus, "needs 8 slices, GPU 00000000:18:00.0 has 7"),
    ("unknown gpu index", cfg([{"devices": [0, 5], "mig-enabled": True}]), fake.mig_gpus, "GPU index 5 does not exist"),
    ("gpu in two items", cfg([{"devices": [0], "mig-enabled": True}, {"devices": "all", "mig-enabled": False}]),
     fake.mig_gpus, "GPU 0 is selected by items 0 and 1"),
    ("mig unsupported", args("all-1g.10gb"), fake.mixed_gpus, "MIG is not supported on GPU 00000000:5E:00.0 (NVIDIA GeForce RTX 4090)"),
    ("driver not loaded", args("all-1g.10gb"), lambda: fake.mig_gpus(init_error=fake.NVML_ERROR_DRIVER_NOT_LOADED),
     "NVIDIA kernel driver is not loaded"),
]


@pytest.mark.parametrize("name,params,factory,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(run_module, nvml, proc, root, commands, name, params, factory, needle):
    f = nvml(factory())
    before = copy.deepcopy(f.gpus)
    failed, result = run_module(mod, params)
    assert failed
    assert needle in result["msg"], result["msg"]
    assert_one_line(result["msg"])
    assert f.setter_calls() == [] and f.gpus == before
    assert commands.calls == []


def test_busy_gpu_refuses_before_any_change(run_module, nvml, proc, root):
    f = nvml(fake.mig_gpus(2, enabled=False))
    f.gpus[1]["processes"] = [4711, 4712]
    for check in (True, False):
        failed, result = run_module(mod, args("all-1g.10gb"), check=check)
        assert failed and "GPU 00000000:2A:00.0 runs 2 compute process(es) (pid 4711, 4712)" in result["msg"]
        assert_one_line(result["msg"])
        assert f.setter_calls() == []


def test_busy_gpu_is_fine_when_nothing_changes(run_module, nvml, proc, root):
    f = nvml(fake.mig_gpus(1, enabled=False))
    f.gpus[0]["processes"] = [4711]
    failed, result = run_module(mod, args("all-disabled"))
    assert not failed and result["changed"] is False


def test_not_root_fails_before_any_change(run_module, nvml, proc, not_root, commands):
    f = nvml(fake.mig_gpus(8))
    failed, result = run_module(mod, args("all-1g.10gb"))
    assert failed and result["msg"].startswith("Changing MIG needs root")
    assert_one_line(result["msg"])
    assert f.setter_calls() == [] and commands.calls == []


def test_allow_reset_refused_while_persistenced_runs(run_module, nvml, proc, root, commands):
    proc.daemon()
    f = nvml(fake.mig_gpus(1, enabled=False))
    failed, result = run_module(mod, args("all-1g.10gb", allow_reset=True))
    assert failed and "nvidia-persistenced is running" in result["msg"]
    assert_one_line(result["msg"])
    assert f.setter_calls() == [] and commands.calls == []


def test_no_pynvml(run_module, nvml, proc, root, commands):
    nvml(None)
    failed, result = run_module(mod, args("all-1g.10gb"))
    assert failed and "needs the Python module pynvml" in result["msg"]
    assert commands.calls == []


def test_profile_names():
    from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import mig_profile_name
    h100, a100_40 = 85520809984, 42949672960
    assert [mig_profile_name(s, m, h100) for s, m in ((1, 9856), (2, 19968), (3, 40192), (7, 80896))] == \
        ["1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb"]
    assert mig_profile_name(1, 9856, h100, "+me") == "1g.10gb+me"
    assert [mig_profile_name(s, m, a100_40) for s, m in ((1, 4864), (2, 9856), (3, 19968), (7, 40192))] == \
        ["1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb"]


def test_profile_names_round_half_up():
    """H200 (141 GB): half of it is 70.5 GB, which NVIDIA names 3g.71gb (Python's round() would say 70)."""
    from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import mig_profile_name
    h200 = 150754820096
    assert mig_profile_name(3, 71680, h200) == "3g.71gb" and mig_profile_name(2, 35840, h200) == "2g.35gb"
    assert mig_profile_name(7, 143360, h200) == "7g.141gb"

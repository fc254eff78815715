# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import gpu_clients as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text

SYSTEMCTL = "/usr/bin/systemctl"
UNITS = ["nvidia-cuda-mps-control.service", "nvidia-dcgm.service", "dcgm.service", "nvidia-fabricmanager.service",
         "nvidia-persistenced.service"]


def show(states):
    """systemctl show's blocks for UNITS; states: {unit: (LoadState, ActiveState)}; others not-found/inactive."""
    blocks = []
    for unit in UNITS:
        load, active = states.get(unit, ("not-found", "inactive"))
        blocks.append("Id=%s\nLoadState=%s\nActiveState=%s\nUnitFileState=%s" % (
            unit, load, active, "enabled" if load == "loaded" else ""))
    return "\n\n".join(blocks) + "\n"


@pytest.fixture
def host(commands, monkeypatch, tmp_path, proc):
    """systemd runs; persistenced and fabricmanager are active, the MPS unit is loaded but inactive."""
    run_dir = tmp_path / "run-systemd"
    run_dir.mkdir()
    monkeypatch.setattr(mod, "SYSTEMD_RUN_DIR", str(run_dir))
    monkeypatch.setattr(mod, "PROC_ROOT", str(proc.path))
    commands.bins["systemctl"] = SYSTEMCTL
    commands.on(lambda argv: argv[:2] == [SYSTEMCTL, "show"], out=show({
        "nvidia-persistenced.service": ("loaded", "active"),
        "nvidia-fabricmanager.service": ("loaded", "active"),
        "nvidia-cuda-mps-control.service": ("loaded", "inactive")}))
    commands.on(lambda argv: argv[:2] in ([SYSTEMCTL, "stop"], [SYSTEMCTL, "start"]))
    return commands


def changes(commands):
    return [argv[1:] for argv in commands.argvs() if argv[1] in ("stop", "start")]


def test_query_lists_processes_and_services(run_module, nvml, host, proc):
    f = nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0"), fake.h100(1, "0000:5d:00.0")]))
    f.gpus[0]["processes"], f.gpus[1]["processes"] = [4242], [4242, 4300]
    proc.process(4242, "python3")
    failed, result = run_module(mod, {})
    assert not failed and not result["changed"]
    assert result["processes"] == [{"pid": 4242, "name": "python3"}, {"pid": 4300, "name": ""}]
    assert result["process_source"] == "nvml"
    assert result["services"]["nvidia-persistenced.service"] == {"present": True, "active": True, "enabled": True}
    assert result["services"]["dcgm.service"]["present"] is False
    assert changes(host) == []


def test_stop_on_an_idle_host_stops_clients_first(run_module, nvml, host):
    nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    failed, result = run_module(mod, {"state": "stopped"})
    assert not failed and result["changed"]
    assert result["stopped"] == ["nvidia-fabricmanager.service", "nvidia-persistenced.service"]
    assert changes(host) == [["stop", "nvidia-fabricmanager.service"], ["stop", "nvidia-persistenced.service"]]


def test_start_reverses_the_order_and_skips_active_ones(run_module, nvml, host):
    nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    failed, result = run_module(mod, {"state": "started", "services": [
        "nvidia-fabricmanager.service", "nvidia-persistenced.service", "nvidia-cuda-mps-control.service"]})
    assert not failed and result["changed"]
    # persistenced and fabricmanager are active in the fake: only the MPS daemon starts
    assert result["started"] == ["nvidia-cuda-mps-control.service"]
    assert changes(host) == [["start", "nvidia-cuda-mps-control.service"]]


def test_check_mode_stops_nothing(run_module, nvml, host):
    nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    failed, result = run_module(mod, {"state": "stopped"}, check=True)
    assert not failed and result["changed"] and len(result["stopped"]) == 2
    assert changes(host) == []


def test_busy_host_is_refused_at_once_and_left_alone(run_module, nvml, host, proc):
    f = nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    f.gpus[0]["processes"] = [4242]
    proc.process(4242, "trainer")
    failed, result = run_module(mod, {"state": "stopped", "wait_option": "nvidia_driver_wait_for_idle"})
    assert failed and "\n" not in result["msg"]
    assert result["msg"].startswith("1 GPU compute process(es) still running: trainer (4242)")
    assert "nvidia_driver_wait_for_idle" in result["msg"] and "was not changed" in result["msg"]
    assert changes(host) == []


def test_waits_until_the_job_ends(run_module, nvml, host, monkeypatch):
    f = nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    f.gpus[0]["processes"] = [4242]
    clock = {"t": 0.0}
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock["t"] += seconds
        if clock["t"] >= 10:
            f.gpus[0]["processes"] = []     # the job ends after 10 s

    monkeypatch.setattr(mod.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(mod.time, "sleep", sleep)
    failed, result = run_module(mod, {"state": "stopped", "wait_for_idle": 60, "poll_interval": 5})
    assert not failed and result["waited"] == 10 and sleeps == [5, 5]
    assert result["processes"] == [] and len(result["stopped"]) == 2


def test_wait_timeout_refuses_with_the_list_and_stops_nothing(run_module, nvml, host, monkeypatch):
    f = nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    f.gpus[0]["processes"] = [4242]
    clock = {"t": 0.0}
    monkeypatch.setattr(mod.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(mod.time, "sleep", lambda s: clock.__setitem__("t", clock["t"] + s))
    failed, result = run_module(mod, {"state": "stopped", "wait_for_idle": 12, "poll_interval": 5})
    assert failed and "after waiting 12 s" in result["msg"] and "(4242)" in result["msg"]
    assert changes(host) == []


def test_check_mode_does_not_wait_but_warns(run_module, nvml, host, monkeypatch):
    f = nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    f.gpus[0]["processes"] = [4242]
    monkeypatch.setattr(mod.time, "sleep", lambda s: pytest.fail("check mode must not wait"))
    failed, result = run_module(mod, {"state": "stopped", "wait_for_idle": 60}, check=True)
    assert not failed and "waits up to 60 s" in result["warnings"][0] and changes(host) == []


def test_no_driver_means_no_processes(run_module, nvml, host, commands):
    nvml(None)
    commands.bins.pop("nvidia-smi")
    failed, result = run_module(mod, {"state": "stopped"})
    assert not failed and result["processes"] == [] and result["process_source"].startswith("none (")


def test_nvidia_smi_backend_lists_compute_apps(run_module, nvml, host, commands):
    nvml(None)
    commands.on(lambda argv: argv[1:] == ["--query-compute-apps=pid", "--format=csv,noheader"], out="4242\n4300\n")
    commands.on(lambda argv: argv[1].startswith("--query-gpu="), out=fixture_text("smi_query_h100_1gpu.csv"))
    failed, result = run_module(mod, {"backend": "nvidia_smi"})
    assert [p["pid"] for p in result["processes"]] == [4242, 4300] and result["process_source"] == "nvidia_smi"


def test_without_systemd_there_are_no_services(run_module, nvml, host, monkeypatch, tmp_path):
    monkeypatch.setattr(mod, "SYSTEMD_RUN_DIR", str(tmp_path / "absent"))
    nvml(fake.FakeNvml([fake.h100(0, "0000:3b:00.0")]))
    failed, result = run_module(mod, {"state": "stopped"})
    assert not failed and not result["changed"] and result["stopped"] == []
    assert not any(argv[0] == SYSTEMCTL for argv in host.argvs())


def test_negative_wait_is_refused(run_module, nvml, host):
    failed, result = run_module(mod, {"state": "stopped", "wait_for_idle": -1, "wait_option": "nvidia_driver_wait_for_idle"})
    assert failed and result["msg"].startswith("nvidia_driver_wait_for_idle must be 0 or more")
    assert host.argvs() == []

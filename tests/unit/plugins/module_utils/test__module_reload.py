# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._module_reload import (
    decide,
    device_users,
    parse_proc_modules,
    read_holders,
)
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text


def modules(name):
    return parse_proc_modules(fixture_text(os.path.join("proc_modules", name + ".txt")))


def test_parse_proc_modules():
    parsed = modules("idle_headless")
    assert parsed["nvidia"] == {"refcount": 2, "used_by": ["nvidia_uvm", "nvidia_modeset"]}
    assert parsed["nvidia_uvm"] == {"refcount": 0, "used_by": []}
    assert parsed["drm"]["used_by"] == ["nvidia_drm", "drm_kms_helper"]
    assert parse_proc_modules("permanent 1 - - Live 0x0\nbad line\n") == {"permanent": {"refcount": -1, "used_by": []}}


def test_idle_headless_host_reloads_in_dependency_order():
    d = decide(modules("idle_headless"), {}, [])
    assert d["possible"] and d["blockers"] == []
    assert d["unload"] == ["nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia"]
    assert d["load"] == ["nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm"]
    assert d["reason"].startswith("unload nvidia_uvm, nvidia_drm, nvidia_modeset, nvidia, then load nvidia")


@pytest.mark.parametrize("case,processes,in_container,words", [
    ("persistenced_running", [], False, ["nvidia has 1 reference(s) beyond the NVIDIA modules"]),
    ("console_on_drm", [], False, ["nvidia_drm has 1 reference(s)"]),
    ("peermem_gdrdrv", [], False, ["nvidia is used by the module(s) gdrdrv,"]),
    ("idle_headless", [{"pid": 4242, "name": "python3"}], False, ["processes have an NVIDIA device open: python3 (4242)"]),
    ("idle_headless", [], True, ["this host is a container"]),
])
def test_what_blocks_a_reload(case, processes, in_container, words):
    d = decide(modules(case), {}, processes, in_container)
    assert not d["possible"]
    for word in words:
        assert any(word in blocker for blocker in d["blockers"]), d["blockers"]
    assert "\n" not in d["reason"] and d["reason"] == "; ".join(d["blockers"])


def test_persistenced_process_named_when_its_device_is_open():
    d = decide(modules("persistenced_running"), {}, [{"pid": 900, "name": "nvidia-persiste"}])
    assert "nvidia-persiste (900)" in d["reason"]


def test_a_holder_outside_the_nvidia_modules_blocks():
    d = decide(modules("idle_headless"), {"nvidia": ["nvidia_modeset", "nvidia_uvm", "nv_peer_mem"]}, [])
    assert not d["possible"] and "nv_peer_mem" in d["reason"]


def test_many_processes_are_shortened():
    procs = [{"pid": p, "name": "job"} for p in range(20)]
    assert "and 10 more" in decide(modules("idle_headless"), {}, procs)["reason"]


def test_nothing_loaded_means_load_only():
    d = decide(modules("no_nvidia"), {}, [])
    assert d["possible"] and d["unload"] == [] and d["load"] == ["nvidia"]
    assert d["reason"] == "no NVIDIA kernel module is loaded: load nvidia"


def test_read_holders(tmp_path):
    (tmp_path / "nvidia" / "holders" / "nvidia_uvm").mkdir(parents=True)
    (tmp_path / "nvidia" / "holders" / "nvidia_modeset").mkdir()
    assert read_holders(["nvidia", "nvidia_drm"], str(tmp_path)) == {
        "nvidia": ["nvidia_modeset", "nvidia_uvm"], "nvidia_drm": []}


def test_device_users(tmp_path):
    for pid, comm, targets in [(1, "systemd", ["/dev/null"]), (900, "nvidia-persiste", ["/dev/nvidiactl", "/dev/nvidia0"]),
                               (4242, "python3", ["socket:[1]", "/dev/nvidia-uvm"])]:
        fd = tmp_path / str(pid) / "fd"
        fd.mkdir(parents=True)
        (tmp_path / str(pid) / "comm").write_text(comm + "\n")
        for n, target in enumerate(targets):
            os.symlink(target, str(fd / str(n)))
    (tmp_path / "self").mkdir()
    (tmp_path / "77").mkdir()   # a process whose fd directory cannot be read
    assert device_users(str(tmp_path)) == [{"pid": 900, "name": "nvidia-persiste"}, {"pid": 4242, "name": "python3"}]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import nvidia_module_reload as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text

MODPROBE = "/usr/sbin/modprobe"


@pytest.fixture
def host(tmp_path, monkeypatch, commands):
    proc, sys_module = tmp_path / "proc", tmp_path / "sys" / "module"
    proc.mkdir()
    (sys_module / "nvidia").mkdir(parents=True)
    (sys_module / "nvidia" / "version").write_text("535.261.03\n")
    monkeypatch.setattr(mod, "PROC_ROOT", str(proc))
    monkeypatch.setattr(mod, "SYS_MODULE", str(sys_module))
    commands.bins["modprobe"] = MODPROBE

    def modprobe_ok(argv):
        if argv[0] == MODPROBE and argv[1] != "-r" and argv[1] == "nvidia":
            (sys_module / "nvidia" / "version").write_text("535.309.01\n")
        return argv[0] == MODPROBE

    commands.on(modprobe_ok)

    class Host(object):
        def modules(self, name):
            (proc / "modules").write_text(fixture_text("proc_modules/%s.txt" % name))

    return Host()


def test_query_changes_nothing(run_module, host, commands):
    host.modules("idle_headless")
    failed, result = run_module(mod, {})
    assert not failed and not result["changed"] and result["decision"]["possible"]
    assert commands.argvs() == [] and result["loaded_version"] == "535.261.03"


def test_reload_unloads_users_first_and_loads_the_new_module(run_module, host, commands):
    host.modules("idle_headless")
    failed, result = run_module(mod, {"state": "reloaded"})
    assert not failed and result["changed"] and result["reloaded"]
    assert commands.argvs() == [[MODPROBE, "-r", "nvidia_uvm"], [MODPROBE, "-r", "nvidia_drm"],
                                [MODPROBE, "-r", "nvidia_modeset"], [MODPROBE, "-r", "nvidia"],
                                [MODPROBE, "nvidia"], [MODPROBE, "nvidia_modeset"], [MODPROBE, "nvidia_drm"],
                                [MODPROBE, "nvidia_uvm"]]
    assert result["loaded_version"] == "535.309.01"


def test_check_mode_reloads_nothing(run_module, host, commands):
    host.modules("idle_headless")
    failed, result = run_module(mod, {"state": "reloaded"}, check=True)
    assert not failed and result["changed"] and commands.argvs() == []


@pytest.mark.parametrize("case,args", [("persistenced_running", {}), ("idle_headless", {"in_container": True})])
def test_blocked_reload_changes_nothing(run_module, host, commands, case, args):
    host.modules(case)
    failed, result = run_module(mod, dict(args, state="reloaded"))
    assert not failed and not result["changed"] and not result["reloaded"]
    assert commands.argvs() == [] and result["loaded_version"] == "535.261.03"


def test_a_failing_modprobe_fails_with_the_command(run_module, host, commands):
    host.modules("idle_headless")
    commands.on(lambda argv: argv == [MODPROBE, "-r", "nvidia"], rc=1, err="modprobe: FATAL: Module nvidia is in use.")
    failed, result = run_module(mod, {"state": "reloaded"})
    assert failed and result["msg"].startswith("/usr/sbin/modprobe -r nvidia failed (rc 1): modprobe: FATAL")
    assert [MODPROBE, "nvidia"] not in commands.argvs()


def test_a_reload_for_parameters_proves_that_they_took_effect(run_module, host, commands, tmp_path):
    # modprobe loads the module with modprobe.d's options: here the stand-in writes the value the file would give
    params = tmp_path / "sys" / "module" / "nvidia" / "parameters"
    params.mkdir()
    (params / "NVreg_PreserveVideoMemoryAllocations").write_text("0\n")

    def modprobe_with_options(argv):
        if argv[0] == MODPROBE and argv[1] == "nvidia":
            (params / "NVreg_PreserveVideoMemoryAllocations").write_text("1\n")
        return argv[0] == MODPROBE

    commands.on(modprobe_with_options)
    host.modules("idle_headless")
    wanted = {"NVreg_PreserveVideoMemoryAllocations": 1}
    failed, before = run_module(mod, {"module_params": wanted})
    assert not failed and before["module_params"] == {
        "needed": True, "unknown": [],
        "reasons": ["nvidia module parameter NVreg_PreserveVideoMemoryAllocations is 0, wanted 1"]}
    failed, after = run_module(mod, {"state": "reloaded", "module_params": wanted})
    assert not failed and after["reloaded"]
    assert after["module_params"] == {"needed": False, "reasons": [], "unknown": []}


def test_bad_module_params_fail_before_any_change(run_module, host, commands):
    host.modules("idle_headless")
    failed, result = run_module(mod, {"state": "reloaded", "module_params": {"NVreg_X": 'a"b'}})
    assert failed and result["msg"].startswith("module_params: NVreg_X must be a number")
    assert commands.argvs() == []

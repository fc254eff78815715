# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: run a module's main() end to end through AnsibleModule, fake sysfs/proc, fake commands."""
from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpuhost.provision.plugins.module_utils import _gpu_sysfs, _kernels, _nvml


class ModuleExit(Exception):
    def __init__(self, failed, result):
        super(ModuleExit, self).__init__(result)
        self.failed = failed
        self.result = result


class Commands(object):
    """Replaces AnsibleModule.run_command / get_bin_path: records argv, answers from a table."""

    def __init__(self):
        self.calls = []
        self.answers = []          # (predicate(argv) -> bool, (rc, out, err))
        self.bins = {"nvidia-smi": "/usr/bin/nvidia-smi"}

    def on(self, predicate, rc=0, out="", err=""):
        self.answers.insert(0, (predicate, (rc, out, err)))

    def run_command(self, module, args, **kwargs):
        assert isinstance(args, list), "commands must be argv lists, not shell strings"
        self.calls.append((list(args), kwargs))
        for predicate, answer in self.answers:
            if predicate(args):
                return answer
        return 127, "", "command not faked: %s" % args

    def get_bin_path(self, module, name, required=False, opt_dirs=None):
        return self.bins.get(name)

    def argvs(self):
        return [argv for argv, _kw in self.calls]

    def smi_setters(self):
        return [argv for argv in self.argvs() if "-pm" in argv]


@pytest.fixture
def commands(monkeypatch):
    cmds = Commands()

    def _run_command(self, args, **kwargs):
        return cmds.run_command(self, args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", _run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: cmds.get_bin_path(self, name, required, opt_dirs))
    return cmds


@pytest.fixture
def run_module(monkeypatch, commands):
    """run_module(mod, args, check=False, diff=False) -> (failed, result) with result['warnings'] captured."""

    def _run(mod, args, check=False, diff=False):
        warnings = []

        def exit_json(self, **kwargs):
            kwargs.setdefault("changed", False)
            kwargs["warnings"] = warnings
            raise ModuleExit(False, kwargs)

        def fail_json(self, msg, **kwargs):
            kwargs["msg"] = msg
            kwargs["warnings"] = warnings
            raise ModuleExit(True, kwargs)

        monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
        monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, w: warnings.append(w))
        full = dict(args)
        if check:
            full["_ansible_check_mode"] = True
        if diff:
            full["_ansible_diff"] = True
        with patch_module_args(full):
            with pytest.raises(ModuleExit) as info:
                mod.main()
        return info.value.failed, info.value.result

    return _run


@pytest.fixture
def sysfs(tmp_path, monkeypatch):
    """A fake /sys/bus/pci/devices; add(bus, device, cls, vendor, driver)."""
    root = tmp_path / "sys" / "bus" / "pci" / "devices"
    root.mkdir(parents=True)
    drivers = tmp_path / "sys" / "bus" / "pci" / "drivers"
    monkeypatch.setattr(_gpu_sysfs, "SYSFS_PCI_DEVICES", str(root))

    class Sysfs(object):
        path = root

        def add(self, bus, device="0x2330", cls="0x030200", vendor="0x10de", driver="nvidia"):
            dev = root / bus
            dev.mkdir()
            (dev / "vendor").write_text(vendor + "\n")
            (dev / "device").write_text(device + "\n")
            (dev / "class").write_text(cls + "\n")
            if driver:
                (drivers / driver).mkdir(parents=True, exist_ok=True)
                os.symlink(str(drivers / driver), str(dev / "driver"))
            return dev

    return Sysfs()


@pytest.fixture
def proc(tmp_path, monkeypatch):
    """A fake /proc and pid file for nvidia-persistenced; daemon(pid) starts one."""
    root = tmp_path / "proc"
    root.mkdir()
    pidfile = tmp_path / "run" / "nvidia-persistenced" / "nvidia-persistenced.pid"
    monkeypatch.setattr(_gpu_sysfs, "PROC_ROOT", str(root))
    monkeypatch.setattr(_gpu_sysfs, "PERSISTENCED_PID_FILE", str(pidfile))

    class Proc(object):
        path = root

        def process(self, pid, comm):
            (root / str(pid)).mkdir()
            (root / str(pid) / "comm").write_text(comm + "\n")

        def daemon(self, pid=4242, write_pid=True):
            self.process(pid, "nvidia-persiste")
            if write_pid:
                pidfile.parent.mkdir(parents=True)
                pidfile.write_text("%d\n" % pid)

    p = Proc()
    p.process(1, "systemd")
    return p


@pytest.fixture
def nvml(monkeypatch):
    """nvml(fake) installs a fake pynvml module; nvml(None) makes 'import pynvml' fail."""

    def _install(fake):
        monkeypatch.setattr(_nvml, "pynvml", fake)
        monkeypatch.setattr(_nvml, "PYNVML_IMPORT_ERROR", None if fake is not None else "ImportError: pynvml")
        return fake

    return _install


@pytest.fixture
def kernels(tmp_path, monkeypatch):
    """A fake /lib/modules and /boot (empty: no kernel installed); add(release, module=..., image=...)."""
    modules = tmp_path / "kernels" / "lib" / "modules"
    boot = tmp_path / "kernels" / "boot"
    modules.mkdir(parents=True)
    boot.mkdir()
    links = (str(tmp_path / "kernels" / "vmlinuz"), str(boot / "vmlinuz"))
    monkeypatch.setattr(_kernels, "MODULES_ROOT", str(modules))
    monkeypatch.setattr(_kernels, "BOOT_DIR", str(boot))
    monkeypatch.setattr(_kernels, "DEFAULT_LINKS", links)

    class Kernels(object):
        root = modules

        def add(self, release, module=None, image="boot"):
            """module: a path under /lib/modules/<release> ('updates/dkms/nvidia-current.ko') or None;
            image: 'boot' (/boot/vmlinuz-<release>), 'modules' (/lib/modules/<release>/vmlinuz) or None."""
            top = modules / release
            (top / "kernel" / "drivers" / "net").mkdir(parents=True, exist_ok=True)
            (top / "kernel" / "drivers" / "net" / "e1000e.ko.xz").write_text("")
            (top / "modules.dep").write_text("")
            if module:
                (top / module).parent.mkdir(parents=True, exist_ok=True)
                (top / module).write_text("")
            if image == "boot":
                (boot / ("vmlinuz-" + release)).write_text("")
            elif image == "modules":
                (top / "vmlinuz").write_text("")
            return top

        def link_default(self, release):
            os.symlink("boot/vmlinuz-" + release, links[0])

    return Kernels()

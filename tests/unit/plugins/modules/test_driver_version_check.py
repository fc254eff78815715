# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import driver_version_check as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text

DPKG = "/usr/bin/dpkg-query"
PROPRIETARY = ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.216.01  Wed Sep 18 21:58:37 UTC 2024\n"
               "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n")


@pytest.fixture
def host(tmp_path, monkeypatch, commands, kernels):
    """A fake host: /sys/module/nvidia/version, /proc/driver/nvidia/version, lib dir, dpkg-query."""
    sysmod = tmp_path / "sys_module_nvidia_version"
    procver = tmp_path / "proc_driver_nvidia_version"
    libdir = tmp_path / "lib"
    libdir.mkdir()
    monkeypatch.setattr(mod, "SYS_MODULE_VERSION", str(sysmod))
    monkeypatch.setattr(mod, "PROC_DRIVER_VERSION", str(procver))
    monkeypatch.setattr(mod, "NVML_LIB_DIRS", (str(libdir),))

    class Host(object):
        def kernel(self, version, proc_text=None):
            sysmod.write_text(version + "\n")
            procver.write_text(proc_text or fixture_text("proc_driver_nvidia_version_open.txt").replace("580.159.04", version))

        def library(self, version):
            (libdir / ("libnvidia-ml.so." + version)).write_text("")
            link = libdir / "libnvidia-ml.so.1"
            if os.path.lexists(str(link)):
                link.unlink()
            os.symlink("libnvidia-ml.so." + version, str(link))

        def packages(self, text):
            commands.bins["dpkg-query"] = DPKG
            commands.on(lambda a: a[0] == DPKG, rc=1, out=text)

    return Host()


def run(run_module, args):
    return run_module(mod, args)


def test_healthy_host(run_module, nvml, host, commands):
    host.kernel("580.95.05")
    host.library("580.95.05")
    host.packages("nvidia-driver-580-open\t580.95.05-0ubuntu1\tii \nlibnvidia-compute-580\t580.95.05-0ubuntu1\tii \n"
                  "nvidia-driver-assistant\t0.21.57-1\tii \nlibnvidia-ml1\t535.216.01-1\trc \n")
    f = nvml(fake.one_gpu())
    failed, r = run(run_module, {"cuda_version": "12.4"})
    assert not failed and r["changed"] is False
    assert (r["installed_version"], r["kernel_module_version"], r["userspace_version"]) == ("580.95.05",) * 3
    assert r["kernel_module_flavor"] == "open" and r["mismatch"] is False and r["reboot_required"] is False
    assert (r["driver_version"], r["driver_source"]) == ("580.95.05", "kernel_module")
    assert (r["cuda_version"], r["required_min_driver"], r["compatible"], r["max_cuda_version"]) == ("12.4", "550.54.14", True, "13.0.2")
    assert r["msg"].endswith("compatible") and "\n" not in r["msg"]
    assert f.names() == ["nvmlInit", "nvmlSystemGetDriverVersion", "nvmlShutdown"]
    assert commands.argvs() == [[DPKG, "-W", "-f=${Package}\\t${Version}\\t${db:Status-Abbrev}\\n"] + list(mod.DPKG_PATTERNS)]


def test_mismatch_after_upgrade(run_module, nvml, host):
    """After an upgrade without a reboot: kernel module from the old driver, libraries from the new one."""
    host.kernel("570.133.20")
    host.library("580.95.05")
    host.packages("nvidia-driver-580\t580.95.05-0ubuntu1\tii \n")
    nvml(fake.one_gpu(init_error=fake.NVML_ERROR_LIB_RM_VERSION_MISMATCH))
    failed, r = run(run_module, {"cuda_version": "13.0"})
    assert not failed
    assert (r["kernel_module_version"], r["userspace_version"], r["installed_version"]) == ("570.133.20", "580.95.05", "580.95.05")
    assert r["mismatch"] is True and r["reboot_required"] is True and len(r["reboot_reasons"]) == 2
    assert r["compatible"] is False and "reboot required" in r["msg"] and "\n" not in r["msg"]


@pytest.mark.parametrize("status", ["ii ", "hi "], ids=["installed", "installed-and-held"])
def test_installed_but_no_module_loaded(run_module, nvml, host, status):
    host.packages("nvidia-driver\t535.216.01-1~deb12u1\t%s\nlibnvidia-ml1\t550.1-1\tpn \n" % status)
    nvml(fake.one_gpu(init_error=fake.NVML_ERROR_DRIVER_NOT_LOADED))
    failed, r = run(run_module, {})
    assert not failed and r["kernel_module_version"] is None and r["kernel_module_flavor"] is None
    assert r["reboot_required"] is True and "no nvidia kernel module is loaded" in r["reboot_reasons"][0]
    assert (r["driver_version"], r["driver_source"], r["max_cuda_version"]) == ("535.216.01", "installed", "12.2.2")
    assert r["compatible"] is None and r["cuda_version"] is None


def test_kernel_update_without_module(run_module, nvml, host, kernels):
    """A kernel update installed without headers: the kernel that boots next has no nvidia module."""
    host.kernel("535.216.01", PROPRIETARY)
    host.library("535.216.01")
    host.packages("nvidia-driver\t535.216.01-1~deb12u1\tii \n")
    kernels.add("6.1.0-9-amd64", module="updates/dkms/nvidia-current.ko")
    kernels.add("6.1.0-10-amd64")
    nvml(None)
    failed, r = run(run_module, {})
    assert not failed and r["reboot_required"] is False
    assert r["kernels_without_module"] == ["6.1.0-10-amd64"] and r["boot_kernel"] == "6.1.0-10-amd64"
    assert [(k["release"], k["module"] is not None, k["boot"]) for k in r["kernels"]] == [
        ("6.1.0-9-amd64", True, False), ("6.1.0-10-amd64", False, True)]
    assert r["msg"].endswith("no nvidia kernel module for kernel(s) 6.1.0-10-amd64") and "\n" not in r["msg"]


def test_every_kernel_has_a_module(run_module, nvml, host, kernels):
    host.packages("nvidia-driver\t535.216.01-1~deb12u1\tii \n")
    kernels.add("6.1.0-9-amd64", module="updates/dkms/nvidia-current.ko")
    kernels.add("6.1.0-10-amd64", module="updates/dkms/nvidia-current.ko")
    nvml(fake.one_gpu(init_error=fake.NVML_ERROR_DRIVER_NOT_LOADED))
    r = run(run_module, {})[1]
    assert r["kernels_without_module"] == [] and r["boot_kernel"] == "6.1.0-10-amd64" and len(r["kernels"]) == 2


def test_proprietary_flavor_from_proc_only(run_module, nvml, host, tmp_path, monkeypatch):
    host.kernel("535.216.01", PROPRIETARY)
    monkeypatch.setattr(mod, "SYS_MODULE_VERSION", str(tmp_path / "absent"))
    nvml(None)
    failed, r = run(run_module, {"cuda_version": "12", "compatibility": "minor"})
    assert not failed and r["kernel_module_version"] == "535.216.01" and r["kernel_module_flavor"] == "proprietary"
    assert r["required_min_driver"] == "525" and r["compatible"] is True and r["max_cuda_version"] == "12.9.1"


def test_nothing_at_all(run_module, nvml, host, commands):
    nvml(None)
    commands.bins = {}
    failed, r = run(run_module, {"cuda_version": "12.8"})
    assert not failed
    assert all(r[k] is None for k in ("driver_version", "installed_version", "kernel_module_version", "userspace_version",
                                      "kernel_module_flavor", "compatible", "max_cuda_version"))
    assert r["mismatch"] is False and r["reboot_required"] is False and r["required_min_driver"] == "570.26"


def test_no_driver_no_kernel_without_module(run_module, nvml, host, commands, kernels):
    """Without an NVIDIA driver a kernel without the module is normal: nothing to report."""
    kernels.add("6.1.0-10-amd64")
    nvml(None)
    commands.bins = {}
    r = run(run_module, {})[1]
    assert r["kernels_without_module"] == [] and r["boot_kernel"] == "6.1.0-10-amd64"


def test_candidate_preflight(run_module, nvml, host):
    host.kernel("535.216.01", PROPRIETARY)
    nvml(fake.one_gpu(driver="535.216.01"))
    failed, r = run(run_module, {"cuda_version": "12.8", "driver_version": "1:570.124.06-1"})
    assert not failed and (r["driver_version"], r["driver_source"]) == ("570.124.06", "candidate")
    assert r["compatible"] is True and r["kernel_module_version"] == "535.216.01"


def test_update_warning(run_module, nvml, host):
    nvml(None)
    failed, r = run(run_module, {"cuda_version": "12.8.2", "driver_version": "570.124.06"})
    assert not failed and r["required_min_driver"] == "570.124.06" and len(r["warnings"]) == 1
    assert "CUDA 12.8.2 is not in the table" in r["warnings"][0] and r["compatible"] is True


def test_update_row_refuses_the_ga_driver(run_module, nvml, host):
    nvml(None)
    failed, r = run(run_module, {"cuda_version": "12.4.1", "driver_version": "550.54.14"})
    assert not failed and r["required_min_driver"] == "550.54.15" and r["compatible"] is False
    assert "warnings" not in r or not r["warnings"]


def test_cuda_table_extends_the_builtin_table(run_module, nvml, host):
    host.kernel("630.20.01")
    nvml(fake.one_gpu(driver="630.20.01"))
    failed, r = run(run_module, {"cuda_version": "13.6", "cuda_table": {"13.6": "630"}})
    assert not failed and r["required_min_driver"] == "630" and r["compatible"] is True
    assert r["max_cuda_version"] == "13.6"
    failed, r = run(run_module, {"cuda_version": "13.6"})
    assert failed and "CUDA 13.6 is not a CUDA release in the table" in r["msg"] and "cuda_table" in r["msg"]


@pytest.mark.parametrize("table,needle", [
    ({"13": "630"}, "cuda_table entry '13': the key must be a CUDA release"),
    ({"13.6": "six-thirty"}, "cuda_table entry '13.6': 'six-thirty' is not a driver version or branch"),
    ({"13.6": 630.1}, "quote it"),
])
def test_bad_cuda_table_entry_fails_before_reading_the_host(run_module, nvml, host, commands, table, needle):
    f = nvml(fake.one_gpu(driver="580.159.04"))
    failed, r = run(run_module, {"cuda_version": "12.4", "cuda_table": table})
    assert failed and needle in r["msg"] and "\n" not in r["msg"]
    assert f.calls == [] and commands.calls == [] and "driver_version" not in r


def test_fail_on_incompatible(run_module, nvml, host):
    host.kernel("580.159.04")
    nvml(fake.one_gpu(driver="580.159.04"))
    failed, r = run(run_module, {"cuda_version": "13.2", "fail_on_incompatible": True})
    assert failed and "NOT compatible" in r["msg"] and "\n" not in r["msg"] and r["compatible"] is False


def test_fail_on_incompatible_without_driver(run_module, nvml, host, commands):
    nvml(None)
    commands.bins = {}
    failed, r = run(run_module, {"cuda_version": "13.0", "fail_on_incompatible": True})
    assert failed and r["msg"].startswith("No NVIDIA driver found to check against CUDA 13.0")


BAD = [
    ({"cuda_version": "twelve"}, "cuda_version 'twelve' is not a CUDA version"),
    ({"cuda_version": "12.4.1.1"}, "is not a CUDA version"),
    ({"cuda_version": "12.x"}, "is not a CUDA version"),
    ({"cuda_version": ""}, "is not a CUDA version"),
    ({"cuda_version": "12.7"}, "CUDA 12.7 is not a CUDA release in the table"),
    ({"cuda_version": "15"}, "newer than the compatibility table"),
    ({"cuda_version": "8.0"}, "older than the compatibility table"),
    ({"driver_version": "abc"}, "driver version 'abc' is not an NVIDIA driver version"),
    ({"driver_version": "580"}, "is not an NVIDIA driver version"),
    ({"compatibility": "forward"}, "value of compatibility must be one of"),
    ({"fail_on_incompatible": "maybe"}, "fail_on_incompatible"),
    ({"cuda_version": ["12.4"]}, "cuda_version"),
    ({"cuda": "12.4"}, "Unsupported parameters"),
]


@pytest.mark.parametrize("args,needle", BAD)
def test_bad_input(run_module, nvml, host, commands, args, needle):
    f = nvml(fake.one_gpu())
    failed, r = run(run_module, args)
    assert failed and needle in r["msg"], r["msg"]
    assert "\n" not in r["msg"]
    assert f.calls == [] and commands.calls == []     # inputs are refused before the host is read


def test_secure_boot_state_from_the_efi_variable(run_module, nvml, host, tmp_path, monkeypatch):
    efivars = tmp_path / "firmware" / "efi" / "efivars"
    efivars.mkdir(parents=True)
    (efivars / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c").write_bytes(b"\x06\x00\x00\x00\x01")
    monkeypatch.setattr(mod, "EFIVARS", str(efivars))
    host.kernel("535.216.01", PROPRIETARY)
    nvml(None)
    failed, r = run(run_module, {})
    assert not failed
    assert r["secure_boot"] == {"enabled": True,
                                "source": str(efivars / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c")}
    assert r["msg"].endswith("; Secure Boot on: modules must be signed by an enrolled key")


def test_secure_boot_off_on_a_bios_boot(run_module, nvml, host, tmp_path, monkeypatch):
    monkeypatch.setattr(mod, "EFIVARS", str(tmp_path / "no-firmware" / "efi" / "efivars"))
    nvml(None)
    failed, r = run(run_module, {})
    assert not failed and r["secure_boot"] == {
        "enabled": False, "source": "no EFI firmware interface (BIOS boot, or hidden in a container)"}
    assert "Secure Boot" not in r["msg"]

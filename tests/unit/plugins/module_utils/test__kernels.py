# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""_kernels: bootable kernels, the boot kernel and the nvidia module per kernel, on fake /lib/modules + /boot trees."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _kernels

DEBIAN_DKMS = "updates/dkms/nvidia-current.ko"       # Debian's nvidia-kernel-dkms (module renamed)
UBUNTU_DKMS = "updates/dkms/nvidia.ko.zst"           # Ubuntu's nvidia-dkms-<branch>-server
UBUNTU_PRECOMPILED = "kernel/nvidia-535srv/nvidia.ko"  # linux-modules-nvidia-535-server-<kernel>
EL_KMOD = "extra/nvidia.ko.xz"                        # EL kmod-nvidia packages


@pytest.mark.parametrize("releases, expected", [
    (["6.1.0-10-amd64", "6.1.0-9-amd64"], ["6.1.0-9-amd64", "6.1.0-10-amd64"]),
    (["5.15.0-91-generic", "5.15.0-105-generic", "6.8.0-40-generic"],
     ["5.15.0-91-generic", "5.15.0-105-generic", "6.8.0-40-generic"]),
    (["5.14.0-427.13.1.el9_4.x86_64", "5.14.0-70.22.1.el9_0.x86_64"],
     ["5.14.0-70.22.1.el9_0.x86_64", "5.14.0-427.13.1.el9_4.x86_64"]),
])
def test_kernels_sort_as_versions(kernels, releases, expected):
    for release in releases:
        kernels.add(release)
    assert _kernels.installed_kernels() == expected


def test_only_kernels_with_an_image_can_boot(kernels):
    kernels.add("6.1.0-9-amd64", image=None)           # a leftover directory (kernel removed, DKMS files kept)
    kernels.add("5.14.0-427.13.1.el9_4.x86_64", image="modules")   # EL 9 keeps the image in /lib/modules
    kernels.add("6.1.0-10-amd64")
    assert _kernels.installed_kernels() == ["5.14.0-427.13.1.el9_4.x86_64", "6.1.0-10-amd64"]


@pytest.mark.parametrize("path", [DEBIAN_DKMS, UBUNTU_DKMS, UBUNTU_PRECOMPILED, EL_KMOD])
def test_module_found_where_each_family_installs_it(kernels, path):
    kernels.add("6.1.0-10-amd64", module=path)
    assert _kernels.module_file("6.1.0-10-amd64") == str(kernels.root / "6.1.0-10-amd64" / path)


@pytest.mark.parametrize("path", ["updates/dkms/nvidia-uvm.ko", "updates/dkms/nvidia-current-modeset.ko",
                                  "kernel/drivers/gpu/drm/nouveau/nouveau.ko.xz", "updates/dkms/nvidia.ko.orig"])
def test_other_modules_do_not_count(kernels, path):
    kernels.add("6.1.0-10-amd64", module=path)
    assert _kernels.module_file("6.1.0-10-amd64") is None


def test_module_in_build_tree_does_not_count(kernels):
    """A module left in the DKMS build tree (headers' build/ link) is not installed for the kernel."""
    kernels.add("6.1.0-10-amd64", module="build/nvidia.ko")
    assert _kernels.module_file("6.1.0-10-amd64") is None


def test_report_new_kernel_without_module_is_the_boot_kernel(kernels):
    """The 'GPUs vanished after reboot' case: a kernel update installed without headers."""
    kernels.add("6.1.0-9-amd64", module=DEBIAN_DKMS)
    kernels.add("6.1.0-10-amd64")
    report = _kernels.kernel_module_report(running="6.1.0-9-amd64")
    assert report["boot_kernel"] == "6.1.0-10-amd64"
    assert report["kernels_without_module"] == ["6.1.0-10-amd64"]
    assert report["kernels"] == [
        {"release": "6.1.0-9-amd64", "module": str(kernels.root / "6.1.0-9-amd64" / DEBIAN_DKMS), "running": True,
         "boot": False},
        {"release": "6.1.0-10-amd64", "module": None, "running": False, "boot": True},
    ]


def test_report_default_link_wins_over_newest(kernels):
    kernels.add("6.1.0-9-amd64", module=DEBIAN_DKMS)
    kernels.add("6.1.0-10-amd64")
    kernels.link_default("6.1.0-9-amd64")
    report = _kernels.kernel_module_report()
    assert report["boot_kernel"] == "6.1.0-9-amd64"
    assert report["kernels_without_module"] == ["6.1.0-10-amd64"]


def test_report_default_link_to_a_removed_kernel_falls_back_to_newest(kernels):
    kernels.add("6.1.0-10-amd64", module=DEBIAN_DKMS)
    kernels.link_default("6.1.0-8-amd64")
    assert _kernels.kernel_module_report()["boot_kernel"] == "6.1.0-10-amd64"


def test_report_every_kernel_has_its_module(kernels):
    kernels.add("5.15.0-91-generic", module=UBUNTU_PRECOMPILED)
    kernels.add("5.15.0-105-generic", module=UBUNTU_DKMS)
    report = _kernels.kernel_module_report(running="5.15.0-105-generic")
    assert report["kernels_without_module"] == [] and report["boot_kernel"] == "5.15.0-105-generic"


def test_report_container_without_kernels(kernels):
    """A container: the running kernel belongs to its host and no kernel is installed inside."""
    assert _kernels.kernel_module_report(running="6.18.44-fc") == {
        "kernels": [], "boot_kernel": None, "kernels_without_module": []}


def test_report_without_lib_modules(monkeypatch, tmp_path):
    monkeypatch.setattr(_kernels, "MODULES_ROOT", str(tmp_path / "nope"))
    assert _kernels.kernel_module_report()["kernels"] == []

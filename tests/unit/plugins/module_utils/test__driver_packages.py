# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_driver_packages: package / stream / hold resolution per distribution, source and kernel-module flavour."""
from __future__ import annotations

import os

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _driver_packages as dp
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import FIXTURES

H100 = {"pci_bus_id": "00000000:3B:00.0", "device_id": "0x2330"}
V100 = {"pci_bus_id": "00000000:3C:00.0", "device_id": "0x1db1"}
T4 = {"pci_bus_id": "00000000:3D:00.0", "device_id": "0x1eb8"}


@pytest.mark.parametrize("kernel_module, branch, devices, expected", [
    ("auto", 535, [], "proprietary"),
    ("auto", 570, [], "open"),
    ("auto", 560, [H100, T4], "open"),
    ("auto", 550, [H100], "proprietary"),
    ("auto", 570, [H100, V100], "proprietary"),
    ("open", 535, [H100], "open"),
    ("proprietary", 580, [H100], "proprietary"),
    ("auto", 580, [V100], "proprietary"),
])
def test_choose_kernel_module(kernel_module, branch, devices, expected):
    assert dp.choose_kernel_module(kernel_module, branch, devices)[0] == expected


@pytest.mark.parametrize("kernel_module, branch, devices, match", [
    ("open", 570, [V100], "older than Turing and cannot use the open"),
    ("auto", 590, [V100], "not supported after R580"),
    ("proprietary", 595, [V100], "not supported after R580"),
    ("closed", 570, [], "kernel_module must be one of"),
])
def test_choose_kernel_module_errors(kernel_module, branch, devices, match):
    with pytest.raises(dp.DriverPlanError, match=match):
        dp.choose_kernel_module(kernel_module, branch, devices)


@pytest.mark.parametrize("distribution, family, expected", [
    ("Debian", "Debian", "debian"), ("Ubuntu", "Debian", "ubuntu"), ("Rocky", "RedHat", "el"),
    ("RedHat", "RedHat", "el"), ("AlmaLinux", "RedHat", "el"),
])
def test_family_of(distribution, family, expected):
    assert dp.family_of(distribution, family) == expected


def test_family_of_unsupported():
    with pytest.raises(dp.DriverPlanError, match="not supported"):
        dp.family_of("Archlinux", "Archlinux")


@pytest.mark.parametrize("family, source, expected", [
    ("debian", "distro", "distro"), ("ubuntu", "cuda_repo", "cuda_repo"), ("el", "distro", "cuda_repo"),
])
def test_effective_source(family, source, expected):
    assert dp.effective_source(family, source) == expected


@pytest.mark.parametrize("family, major, expected", [
    ("debian", "12", "debian12"), ("debian", "13", "debian13"), ("ubuntu", "22", "ubuntu2204"),
    ("ubuntu", "24", "ubuntu2404"), ("el", "9", "rhel9"), ("el", "10", "rhel10"),
])
def test_cuda_repo_id(family, major, expected):
    assert dp.cuda_repo_id(family, None, major) == expected


def test_cuda_urls():
    assert dp.cuda_repo_url("ubuntu2204") == "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/"
    assert dp.cuda_keyring_url("debian12").endswith("/debian12/x86_64/cuda-keyring_1.1-1_all.deb")


@pytest.mark.parametrize("release, expected", [
    ("5.15.0-91-generic", "generic"), ("6.8.0-1015-aws", "aws"), ("6.1.0-18-amd64", "amd64"), ("weird", None),
    ("6.1.0-18-cloud-amd64", "cloud-amd64"), ("6.1.0-18-rt-amd64", "rt-amd64"), ("6.12.48+deb13-amd64", "amd64"),
    ("6.12.48+deb13-cloud-amd64", "cloud-amd64"), ("5.14.0-427.el9.x86_64", None),
])
def test_kernel_flavour(release, expected):
    assert dp.kernel_flavour(release) == expected


# family, running kernel, installed kernels -> required headers, optional headers (metapackages first)
HEADERS = [
    # a Debian host on its newest kernel with an older one still installed
    ("debian", "6.1.0-57-amd64", ["6.1.0-56-amd64", "6.1.0-57-amd64"],
     ["linux-headers-6.1.0-57-amd64"], ["linux-headers-amd64", "linux-headers-6.1.0-56-amd64"]),
    # the cloud flavour follows linux-headers-cloud-amd64, not -amd64
    ("debian", "6.1.0-57-cloud-amd64", ["6.1.0-57-cloud-amd64"],
     ["linux-headers-6.1.0-57-cloud-amd64"], ["linux-headers-cloud-amd64"]),
    ("debian", "6.12.48+deb13-rt-amd64", ["6.12.48+deb13-rt-amd64"],
     ["linux-headers-6.12.48+deb13-rt-amd64"], ["linux-headers-rt-amd64"]),
    # a container: the running kernel is its host's, the Debian kernel installed inside gets the headers
    ("debian", "6.18.44-fc-v1147", ["6.1.0-57-amd64"], [], ["linux-headers-amd64", "linux-headers-6.1.0-57-amd64"]),
    # nothing known about installed kernels: the running one (as before)
    ("ubuntu", "5.15.0-91-generic", None, ["linux-headers-5.15.0-91-generic"], ["linux-headers-generic"]),
    ("ubuntu", "6.8.0-1015-aws", ["6.8.0-1014-aws", "6.8.0-1015-aws"],
     ["linux-headers-6.8.0-1015-aws"], ["linux-headers-aws", "linux-headers-6.8.0-1014-aws"]),
    # a custom kernel has no metapackage
    ("debian", "6.18.44-custom", [], ["linux-headers-6.18.44-custom"], []),
    ("el", "5.14.0-427.el9.x86_64", ["5.14.0-362.el9.x86_64", "5.14.0-427.el9.x86_64"],
     ["kernel-devel-5.14.0-427.el9.x86_64", "kernel-headers-5.14.0-427.el9.x86_64"],
     ["kernel-devel", "kernel-devel-5.14.0-362.el9.x86_64"]),
]


@pytest.mark.parametrize("family, running, kernels, required, optional", HEADERS)
def test_kernel_headers(family, running, kernels, required, optional):
    assert dp.kernel_headers(family, running, kernels) == (required, optional)


def test_headers_follow_installed_kernels_in_the_package_set():
    pkgs = dp.package_set("debian", "distro", "proprietary", 535, True, "6.18.44-fc-v1147", "12",
                          kernels=["6.1.0-57-amd64"])
    assert pkgs.packages[-2:] == ["linux-headers-amd64", "linux-headers-6.1.0-57-amd64"]
    assert pkgs.optional == ["linux-headers-amd64", "linux-headers-6.1.0-57-amd64"]
    assert "linux-headers-amd64" not in pkgs.hold and "linux-headers-amd64" not in pkgs.versioned


# family, source, flavor, branch, build, kernel, major -> packages, hold, stream
RESOLUTION = [
    ("debian", "distro", "proprietary", 535, False, "6.1.0-18-amd64", "12",
     ["nvidia-driver", "libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1", "firmware-nvidia-gsp",
      "nvidia-persistenced", "python3-pynvml"],
     ["nvidia-driver", "libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1", "firmware-nvidia-gsp",
      "nvidia-persistenced"], None),
    ("debian", "distro", "open", 550, True, "6.12.0-1-amd64", "13",
     ["nvidia-driver", "libcuda1", "nvidia-open-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
      "firmware-nvidia-gsp", "nvidia-persistenced", "python3-pynvml", "linux-headers-6.12.0-1-amd64",
      "linux-headers-amd64"],
     ["nvidia-driver", "libcuda1", "nvidia-open-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
      "firmware-nvidia-gsp", "nvidia-persistenced"], None),
    ("ubuntu", "distro", "proprietary", 535, True, "5.15.0-91-generic", "22",
     ["nvidia-driver-535-server", "linux-modules-nvidia-535-server-generic", "nvidia-utils-535-server",
      "python3-pynvml"],
     ["nvidia-driver-535-server", "linux-modules-nvidia-535-server-generic", "nvidia-utils-535-server"], None),
    ("ubuntu", "distro", "open", 570, True, "6.8.0-1015-aws", "24",
     ["nvidia-driver-570-server-open", "linux-modules-nvidia-570-server-open-aws", "nvidia-utils-570-server",
      "python3-pynvml"],
     ["nvidia-driver-570-server-open", "linux-modules-nvidia-570-server-open-aws", "nvidia-utils-570-server"], None),
    ("ubuntu", "cuda_repo", "proprietary", 550, False, "5.15.0-91-generic", "22",
     ["cuda-keyring", "cuda-drivers-550", "python3-pynvml"], ["cuda-drivers-550"], None),
    ("debian", "cuda_repo", "open", 580, True, "6.1.0-18-amd64", "12",
     ["cuda-keyring", "nvidia-open-580", "python3-pynvml", "linux-headers-6.1.0-18-amd64", "linux-headers-amd64"],
     ["nvidia-open-580"], None),
    ("el", "cuda_repo", "proprietary", 550, True, "5.14.0-427.el9.x86_64", "9",
     ["@nvidia-driver:550-dkms", "nvidia-driver-cuda", "kernel-devel-5.14.0-427.el9.x86_64",
      "kernel-headers-5.14.0-427.el9.x86_64", "kernel-devel"], [], "nvidia-driver:550-dkms"),
    ("el", "distro", "open", 570, False, "4.18.0-513.el8.x86_64", "8",
     ["@nvidia-driver:570-open", "nvidia-driver-cuda"], [], "nvidia-driver:570-open"),
    ("el", "cuda_repo", "open", 580, False, "6.12.0-55.el10.x86_64", "10",
     ["nvidia-open", "nvidia-driver", "nvidia-driver-cuda", "nvidia-driver-libs", "kmod-nvidia-open-dkms"],
     ["nvidia-driver", "nvidia-driver-cuda", "nvidia-driver-libs", "kmod-nvidia-open-dkms"], None),
]


@pytest.mark.parametrize("family, source, flavor, branch, build, kernel, major, packages, hold, stream", RESOLUTION)
def test_package_set(family, source, flavor, branch, build, kernel, major, packages, hold, stream):
    pkgs = dp.package_set(family, source, flavor, branch, build, kernel, major)
    assert pkgs.packages == packages
    assert pkgs.hold == hold
    assert pkgs.stream == stream


def test_ubuntu_without_precompiled_modules_uses_dkms_and_headers():
    pkgs = dp.package_set("ubuntu", "distro", "open", 570, True, "6.8.0-31-lowlatency", "24", precompiled_available=False)
    assert pkgs.packages == ["nvidia-driver-570-server-open", "nvidia-dkms-570-server-open", "nvidia-utils-570-server",
                             "python3-pynvml", "linux-headers-6.8.0-31-lowlatency", "linux-headers-lowlatency"]
    assert pkgs.modules_package is None and pkgs.notes


@pytest.mark.parametrize("family, source, branch, min_driver, expected", [
    ("debian", "distro", None, "535.54.03", [None]),
    ("debian", "distro", 535, "535.54.03", [535]),
    ("ubuntu", "distro", None, "570.26", [570, 575, 580, 590, 595, 610, 615]),
    ("ubuntu", "distro", None, "615", [615]),
    ("ubuntu", "distro", None, "630", [630]),           # a branch from a user's cuda_table row
    ("ubuntu", "distro", 580, "570.26", [580]),
    ("debian", "cuda_repo", None, "580.65.06", [580, 590, 595, 610, 615]),
])
def test_branch_candidates(family, source, branch, min_driver, expected):
    assert dp.branch_candidates(family, source, branch, min_driver) == expected


DEB12 = ["535.309.01-0+deb12u1", "535.247.01-1~deb12u1", "525.147.05-4~deb12u1"]


@pytest.mark.parametrize("available, wanted, min_driver, branch, chosen, best", [
    (DEB12, None, "535.54.03", None, "535.309.01-0+deb12u1", "535.309.01-0+deb12u1"),
    (DEB12, None, "570.26", None, None, "535.309.01-0+deb12u1"),
    (DEB12, "535.247.01", "535.54.03", None, "535.247.01-1~deb12u1", "535.309.01-0+deb12u1"),
    (DEB12, "535.247.01-1~deb12u1", None, None, "535.247.01-1~deb12u1", "535.309.01-0+deb12u1"),
    (DEB12, "550.1.1", None, None, None, "535.309.01-0+deb12u1"),
    (DEB12, None, "520.61.05", 525, "525.147.05-4~deb12u1", "535.309.01-0+deb12u1"),
    ([], None, "535.54.03", None, None, None),
    (["garbage", "1:570.124.06-0ubuntu1"], None, "570.26", 570, "1:570.124.06-0ubuntu1", "1:570.124.06-0ubuntu1"),
])
def test_pick_version(available, wanted, min_driver, branch, chosen, best):
    got, top = dp.pick_version(available, wanted, min_driver, branch)
    assert (got[0] if got else None) == chosen
    assert (top[0] if top else None) == best


def test_refusal_message_names_everything():
    msg = dp.refusal_message("12.8", "570.26", "535.309.01-0+deb12u1", "Debian 12 (distribution archive)",
                             "distro", "toolkit")
    assert msg == ("CUDA 12.8 (toolkit compatibility) needs driver >= 570.26, but the best candidate Debian 12 "
                   "(distribution archive) offers is 535.309.01-0+deb12u1: use NVIDIA's CUDA repository with "
                   "O(source): cuda_repo, or request a lower CUDA version (O(cuda_version))")
    assert "\n" not in msg


def test_refusal_message_for_an_exact_version_and_a_branch():
    assert "O(version) 550.1.1 is not offered" in dp.refusal_message(
        "12.2", "535.54.03", "535.309.01", "Debian 12", "distro", "toolkit", wanted_version="550.1.1")
    msg = dp.refusal_message(None, None, None, "Ubuntu 22 (CUDA repository)", "cuda_repo", "toolkit", branch=999)
    assert "branch R999 was requested" in msg and "best candidate" in msg and "none" in msg
    assert "cuda_repo" not in msg.split(":", 1)[1].replace("CUDA repository", "")


def test_branch_of():
    assert dp.branch_of("535.54.03") == 535
    assert dp.branch_of("580") == 580
    with pytest.raises(dp.DriverPlanError):
        dp.branch_of("x")


# Fabric Manager ------------------------------------------------------------------------------------
SWITCH = {"pci_bus_id": "00000000:05:00.0", "device_id": "0x22a3", "class": "0x068000", "driver": None}
B200 = {"pci_bus_id": "00000000:18:00.0", "device_id": "0x2901"}


@pytest.mark.parametrize("nvswitch, switches, expected", [
    ("auto", [], False), ("auto", [SWITCH], True), ("present", [], True), ("absent", [SWITCH], False),
])
def test_nvswitch_required(nvswitch, switches, expected):
    required, reason = dp.nvswitch_required(nvswitch, switches)
    assert required is expected and reason


def test_nvswitch_required_rejects_other_words():
    with pytest.raises(dp.DriverPlanError, match="nvswitch must be one of auto, present, absent"):
        dp.nvswitch_required("yes", [])


@pytest.mark.parametrize("branch, gpus, expected", [
    (570, [B200], True), (580, [H100, B200], True), (565, [B200], False), (580, [H100], False),
    (580, [{"device_id": None}], False), (None, [B200], False),
])
def test_needs_nvlsm(branch, gpus, expected):
    assert dp.needs_nvlsm(branch, gpus) is expected


# family, source, branch -> candidate package names, preferred first
FM_NAMES = [
    ("debian", "distro", 535, []),
    ("debian", "cuda_repo", 535, ["nvidia-fabricmanager-535", "nvidia-fabricmanager"]),
    ("debian", "cuda_repo", 580, ["nvidia-fabricmanager-580", "nvidia-fabricmanager"]),
    ("ubuntu", "distro", 570, ["nvidia-fabricmanager-570"]),
    ("ubuntu", "cuda_repo", 550, ["nvidia-fabricmanager-550", "nvidia-fabricmanager"]),
    ("el", "cuda_repo", 550, ["nvidia-fabric-manager", "nvidia-fabricmanager-550", "nvidia-fabricmanager"]),
    ("el", "distro", 580, ["nvidia-fabric-manager", "nvidia-fabricmanager-580", "nvidia-fabricmanager"]),
]


@pytest.mark.parametrize("family, source, branch, expected", FM_NAMES)
def test_fabric_manager_candidates(family, source, branch, expected):
    assert dp.fabric_manager_candidates(family, source, branch) == expected


# candidates, what the sources offer, driver version -> (name, package version)
FM_CHOICE = [
    (["nvidia-fabricmanager-570", "nvidia-fabricmanager"],
     {"nvidia-fabricmanager-570": ["570.133.20-1", "570.124.06-1"]}, "570.124.06",
     ("nvidia-fabricmanager-570", "570.124.06-1")),
    # the newer unversioned name, when the branch name is not offered
    (["nvidia-fabricmanager-580", "nvidia-fabricmanager"],
     {"nvidia-fabricmanager-580": [], "nvidia-fabricmanager": ["580.95.05-1", "580.82.07-1"]}, "580.82.07",
     ("nvidia-fabricmanager", "580.82.07-1")),
    (["nvidia-fabricmanager-535"], {"nvidia-fabricmanager-535": ["535.309.01-0ubuntu0.24.04.1"]}, "535.309.01",
     ("nvidia-fabricmanager-535", "535.309.01-0ubuntu0.24.04.1")),
    (["nvidia-fabric-manager", "nvidia-fabricmanager-550"], {"nvidia-fabric-manager": ["550.144.03-1"]}, "550.144.03",
     ("nvidia-fabric-manager", "550.144.03-1")),
]


@pytest.mark.parametrize("candidates, available, driver, expected", FM_CHOICE)
def test_fabric_manager_choice(candidates, available, driver, expected):
    assert dp.fabric_manager_choice(candidates, available, driver, "X") == expected


@pytest.mark.parametrize("candidates, available, driver, needles", [
    ([], {}, "535.309.01", ["Debian 12 (distribution archive) ships no NVIDIA Fabric Manager", "535.309.01",
                            "O(source): cuda_repo", "O(nvswitch): absent"]),
    (["nvidia-fabricmanager-570"], {"nvidia-fabricmanager-570": ["570.133.20-1"]}, "570.124.06",
     ["offers no Fabric Manager at the driver's version 570.124.06", "it offers nvidia-fabricmanager-570 570.133.20-1",
      "pin O(version)"]),
    (["nvidia-fabricmanager-570", "nvidia-fabricmanager"], {}, "570.124.06",
     ["none of nvidia-fabricmanager-570, nvidia-fabricmanager is offered"]),
])
def test_fabric_manager_refusals(candidates, available, driver, needles):
    with pytest.raises(dp.DriverPlanError) as err:
        dp.fabric_manager_choice(candidates, available, driver, "Debian 12 (distribution archive)")
    message = str(err.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message


# --- version_closure: on recorded apt-cache show/showpkg output of Debian 12 (fixtures/apt/README.md) ---

def _recorded_index():
    from ansible_collections.gpuhost.provision.plugins.module_utils import _packages as pk
    folder = os.path.join(FIXTURES, "apt")
    with open(os.path.join(folder, "debian12_show.txt")) as handle:
        shown = pk.parse_apt_show(handle.read())
    with open(os.path.join(folder, "debian12_showpkg.txt")) as handle:
        provided = pk.parse_apt_showpkg(handle.read())
    return (lambda names: dict((n, shown[n]) for n in names if n in shown),
            lambda names: dict((n, provided.get(n, [])) for n in names))


D12_ROOTS = ["nvidia-driver", "libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
             "firmware-nvidia-gsp"]


def test_closure_of_the_debian12_driver_at_the_main_archive_version():
    pins = dp.version_closure(D12_ROOTS, "535.261.03-1", *_recorded_index())
    # what nvidia-driver (= 535.261.03-1) depends on at the same version: apt mixed these before
    for name in ("nvidia-driver-libs", "nvidia-driver-bin", "xserver-xorg-video-nvidia", "nvidia-vdpau-driver",
                 "nvidia-alternative", "nvidia-kernel-support", "libgl1-nvidia-glvnd-glx", "libnvidia-eglcore"):
        assert pins[name] == "535.261.03-1", name
    assert set(pins.values()) == {"535.261.03-1"} and len(pins) == 24
    # libcuda1's own: the PTX JIT and the PKCS#11 library of the same source and version
    assert pins["libnvidia-ptxjitcompiler1"] == pins["libnvidia-pkcs11-openssl3"] == "535.261.03-1"
    assert list(pins)[:len(D12_ROOTS)] == D12_ROOTS
    # other source packages are left to apt, even at a matching version (nvidia-modprobe 535.309.01 below)
    for name in ("nvidia-support", "nvidia-modprobe", "nvidia-installer-cleanup", "libc6", "dkms"):
        assert name not in pins


def test_closure_at_the_security_version_has_the_same_names():
    old = dp.version_closure(D12_ROOTS, "535.261.03-1", *_recorded_index())
    new = dp.version_closure(D12_ROOTS, "535.309.01-0+deb12u1", *_recorded_index())
    assert list(new) == list(old) and set(new.values()) == {"535.309.01-0+deb12u1"}


def test_closure_of_the_open_module_follows_its_own_support_package():
    roots = ["nvidia-driver", "libcuda1", "nvidia-open-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
             "firmware-nvidia-gsp"]
    pins = dp.version_closure(roots, "535.261.03-1", *_recorded_index())
    # nvidia-driver's kernel alternative is satisfied by what nvidia-open-kernel-dkms provides
    assert "nvidia-open-kernel-support" in pins and "nvidia-kernel-dkms" not in pins
    assert "nvidia-kernel-support" not in pins


def _stanza(version, depends=(), source="src", provides=()):
    return {"version": version, "source": source, "source_version": version, "depends": [list(g) for g in depends],
            "provides": list(provides)}


def test_closure_ubuntu_names_and_a_binary_rebuild():
    # Ubuntu's -server packages (one source package per branch); the dependency shapes are written for the test
    v = "535.230.02-0ubuntu0.22.04.3"
    src = "nvidia-graphics-drivers-535-server"
    index = {
        "nvidia-driver-535-server": [_stanza(v, [[("libnvidia-gl-535-server", "=", v)],
                                                 [("nvidia-kernel-common-535-server", "=", v)],
                                                 [("libnvidia-compute-535-server", "=", v)],
                                                 [("xserver-xorg-video-nvidia-535-server", "=", v)]], src)],
        "libnvidia-gl-535-server": [_stanza("535.247.01-0ubuntu0.22.04.1", source=src), _stanza(v, source=src)],
        "nvidia-kernel-common-535-server": [_stanza(v, [[("nvidia-modprobe", ">=", "535")]], src)],
        "libnvidia-compute-535-server": [_stanza(v, [[("libc6", ">=", "2.34")]], src)],
        # a binary-only rebuild of the same source version
        "xserver-xorg-video-nvidia-535-server": [dict(_stanza(v + "+b1", source=src), source_version=v)],
        "nvidia-utils-535-server": [_stanza(v, [[("libnvidia-compute-535-server", "=", v)]], src)],
        "nvidia-modprobe": [_stanza(v, source="nvidia-modprobe")],
        "libc6": [_stanza("2.35-0ubuntu3", source="glibc")],
    }
    pins = dp.version_closure(["nvidia-driver-535-server", "nvidia-utils-535-server"], v,
                              lambda names: dict((n, index[n]) for n in names if n in index),
                              lambda names: dict((n, []) for n in names))
    assert pins == {"nvidia-driver-535-server": v, "nvidia-utils-535-server": v, "libnvidia-gl-535-server": v,
                    "nvidia-kernel-common-535-server": v, "libnvidia-compute-535-server": v,
                    "xserver-xorg-video-nvidia-535-server": v + "+b1"}


def test_closure_takes_an_exact_requirement_of_another_source_and_a_virtual_provider():
    depends = [[("nvidia-driver-570", "=", "570.172.08-1")], [("nvidia-kernel-570", None, None)]]
    index = {"cuda-drivers-570": [_stanza("570.172.08-1", depends, "cuda-drivers-570")],
             "nvidia-driver-570": [_stanza("570.172.08-1", source="nvidia-graphics-drivers-570")],
             "nvidia-kmod-570": [_stanza("570.172.08-1", source="nvidia-graphics-drivers-570",
                                         provides=["nvidia-kernel-570"])]}
    pins = dp.version_closure(["cuda-drivers-570"], "570.172.08-1",
                              lambda names: dict((n, index[n]) for n in names if n in index),
                              lambda names: {"nvidia-kernel-570": [("nvidia-kmod-570", "570.180.01-1"),
                                                                   ("nvidia-kmod-570", "570.172.08-1")]})
    assert pins == {"cuda-drivers-570": "570.172.08-1", "nvidia-driver-570": "570.172.08-1",
                    "nvidia-kmod-570": "570.172.08-1"}


def test_cuda_urls_under_a_mirror():
    base = "http://repo.site.internal/nvidia/cuda/"
    assert dp.cuda_repo_url("rhel9", base=base) == "http://repo.site.internal/nvidia/cuda/rhel9/x86_64/"
    assert dp.cuda_keyring_url("debian12", base=base) == (
        "http://repo.site.internal/nvidia/cuda/debian12/x86_64/cuda-keyring_1.1-1_all.deb")


def test_mirror_source_is_for_apt_hosts():
    assert dp.effective_source("debian", "mirror") == "mirror"
    with pytest.raises(dp.DriverPlanError, match=r"point O\(cuda_repo_url\) at the site's mirror"):
        dp.effective_source("el", "mirror")


# Package flavours: (family, source, module flavour, branch, kernel, major, flavour) -> (version package, packages, hold)
U_KERNEL = "5.15.0-91-generic"


@pytest.mark.parametrize("family, source, flavor, branch, kernel, major, flavour, top, packages", [
    # Debian: libcuda1 in place of the nvidia-driver metapackage
    ("debian", "distro", "proprietary", 535, None, "12", "compute", "libcuda1",
     ["libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1", "firmware-nvidia-gsp",
      "nvidia-persistenced", "python3-pynvml"]),
    ("debian", "distro", "open", 550, None, "13", "full", "nvidia-driver",
     ["nvidia-driver", "libcuda1", "nvidia-open-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
      "firmware-nvidia-gsp", "nvidia-persistenced", "python3-pynvml"]),
    # Ubuntu: headless without DKMS beside the precompiled module; headless (with DKMS) without one
    ("ubuntu", "distro", "open", 570, U_KERNEL, "22", "compute", "nvidia-headless-no-dkms-570-server-open",
     ["nvidia-headless-no-dkms-570-server-open", "linux-modules-nvidia-570-server-open-generic",
      "nvidia-utils-570-server", "python3-pynvml"]),
    ("ubuntu", "distro", "proprietary", 535, None, "24", "compute", "nvidia-headless-535-server",
     ["nvidia-headless-535-server", "nvidia-dkms-535-server", "nvidia-utils-535-server", "python3-pynvml"]),
    ("ubuntu", "distro", "proprietary", 535, U_KERNEL, "22", "full", "nvidia-driver-535-server",
     ["nvidia-driver-535-server", "linux-modules-nvidia-535-server-generic", "nvidia-utils-535-server",
      "python3-pynvml"]),
    # EL 10 from R560: NVIDIA's compute-only set
    ("el", "cuda_repo", "open", 570, None, "10", "compute", "nvidia-driver-cuda",
     ["nvidia-driver-cuda", "kmod-nvidia-open-dkms"]),
    ("el", "cuda_repo", "open", 570, None, "10", "full", "nvidia-driver",
     ["nvidia-open", "nvidia-driver", "nvidia-driver-cuda", "nvidia-driver-libs", "kmod-nvidia-open-dkms"]),
])
def test_package_flavours(family, source, flavor, branch, kernel, major, flavour, top, packages):
    pkgs = dp.package_set(family, source, flavor, branch, build_module=False, kernel_release=kernel,
                          major_version=major, package_flavour=flavour)
    assert pkgs.version_package == top and pkgs.packages == packages
    assert not [note for note in pkgs.notes if "package_flavour" in note]
    assert top in pkgs.hold and (top in pkgs.versioned or family == "ubuntu")


@pytest.mark.parametrize("family, source, branch, major, note", [
    ("el", "cuda_repo", 570, "9", "the module stream's profile on EL 9 installs the whole driver here"),
    ("el", "cuda_repo", 550, "10", "R550 has no compute-only set (from R560) installs the whole driver here"),
    ("debian", "cuda_repo", 570, "12", "the CUDA repository's cuda-drivers-570 is the whole driver"),
])
def test_compute_flavour_where_the_source_has_no_compute_set(family, source, branch, major, note):
    full = dp.package_set(family, source, "proprietary", branch, False, major_version=major, package_flavour="full")
    compute = dp.package_set(family, source, "proprietary", branch, False, major_version=major,
                             package_flavour="compute")
    assert compute.packages == full.packages and len(compute.notes) == 1 and note in compute.notes[0]


def test_package_flavour_must_be_known():
    with pytest.raises(dp.DriverPlanError, match="package_flavour must be one of compute, full, not 'desktop'"):
        dp.package_set("debian", "distro", "proprietary", 535, package_flavour="desktop")


def test_cuda_repo_without_the_keyring_where_the_role_writes_the_key():
    pkgs = dp.package_set("debian", "cuda_repo", "proprietary", 535, False, keyring=False)
    assert "cuda-keyring" not in pkgs.packages and pkgs.packages[0] == "cuda-drivers-535"

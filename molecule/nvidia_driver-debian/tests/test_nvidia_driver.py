# SPDX-License-Identifier: GPL-3.0-or-later
"""Role nvidia_driver on Debian 12 (CUDA 12.2 -> R535) and Debian 13 (R550): real packages, holds, ldconfig."""
from __future__ import annotations

import molecule_hosts
import pytest

testinfra_hosts = molecule_hosts.testinfra_hosts  # podman://<container> for each host of this scenario

BRANCH = {"12": "535.", "13": "550."}
VERSIONED = ["nvidia-driver", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
             "firmware-nvidia-gsp"]


def _release(host):
    return host.system_info.release.split(".")[0]


@pytest.mark.parametrize("name", VERSIONED)
def test_driver_packages_are_installed_at_the_branch(host, name):
    pkg = host.package(name)
    assert pkg.is_installed, name
    assert pkg.version.startswith(BRANCH[_release(host)]), (name, pkg.version)


@pytest.mark.parametrize("name", ["nvidia-persistenced", "python3-pynvml"])
def test_persistenced_and_pynvml_are_installed(host, name):
    assert host.package(name).is_installed


def test_no_recommends_no_dkms_build(host):
    # nvidia_driver_build_module: false -> no headers were installed, so DKMS built nothing
    # (dpkg-query also lists names it merely knows of, with an empty version: keep the installed ones only)
    listed = host.run("dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' 'linux-headers-*'").stdout.splitlines()
    assert not [line for line in listed if line[1:2] == "i"], listed
    assert not host.run("find /var/lib/dkms /lib/modules -name 'nvidia*.ko*'").stdout.strip()


def test_driver_packages_are_held(host):
    held = set(host.check_output("apt-mark showhold").split())
    assert set(VERSIONED + ["nvidia-persistenced"]) <= held, held


def test_nouveau_is_blacklisted(host):
    conf = host.file("/etc/modprobe.d/gpuhost-blacklist-nouveau.conf")
    assert conf.is_file and conf.mode == 0o644
    assert "blacklist nouveau" in conf.content_string
    assert "Ansible managed" in conf.content_string or "ansible" in conf.content_string.lower()


def test_module_parameters_are_written_on_debian12_only(host):
    conf = host.file("/etc/modprobe.d/gpuhost-nvidia-params.conf")
    if _release(host) != "12":
        assert not conf.exists        # no nvidia_driver_module_params: no file
        return
    assert conf.is_file and conf.mode == 0o644 and conf.user == "root"
    lines = [line for line in conf.content_string.splitlines() if not line.startswith("#")]
    assert lines == ['options nvidia NVreg_PreserveVideoMemoryAllocations=1 '
                     'NVreg_RegistryDwords="RMUseSwI2c=0x01;RMI2cSpeed=100"']
    # modprobe itself reads it so (the nvidia module is installed though not loadable in a container)
    options = [line for line in host.check_output("modprobe -c").splitlines() if line.startswith("options nvidia ")]
    assert any("NVreg_PreserveVideoMemoryAllocations=1" in line and "RMI2cSpeed=100" in line for line in options), options


def test_non_free_components_are_available_without_a_role_file(host):
    # The images already have contrib/non-free in /etc/apt/sources.list: the role adds no file then.
    assert not host.file("/etc/apt/sources.list.d/gpuhost-nvidia-driver.sources").exists
    sources = host.file("/etc/apt/sources.list").content_string
    for component in ("contrib", "non-free", "non-free-firmware"):
        assert f" {component}" in sources


def test_ldconfig_knows_nvml(host):
    assert "libnvidia-ml.so.1" in host.check_output("ldconfig -p")


def test_pynvml_imports(host):
    assert host.run("python3 -c 'import pynvml'").rc == 0

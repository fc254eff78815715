# SPDX-License-Identifier: GPL-3.0-or-later
"""Role nvidia_driver on Debian 12 (CUDA 12.2 -> R535, the compute set), Debian 13 (R550, the full set) and Debian 12
from a signed APT repository on 127.0.0.1, its only source: real packages, holds, ldconfig."""
from __future__ import annotations

import molecule_hosts
import pytest

testinfra_hosts = molecule_hosts.testinfra_hosts  # podman://<container> for each host of this scenario

BRANCH = {"12": "535.", "13": "550."}
# both package flavours: CUDA's library, the module, nvidia-smi, NVML, libnvidia-cfg (persistenced), GSP firmware
COMMON = ["libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1", "firmware-nvidia-gsp"]
# what only the full set brings: the metapackage, the X driver, GLX/EGL, VDPAU
DESKTOP = ["nvidia-driver", "xserver-xorg-video-nvidia", "nvidia-driver-libs", "nvidia-vdpau-driver",
           "libgl1-nvidia-glvnd-glx"]
LOCAL_REPO = "http://127.0.0.1:8080/debian"


def _release(host):
    return host.system_info.release.split(".")[0]


def _case(host):
    return host.backend.name.rsplit("-", 1)[-1]       # debian12, debian13 or mirror


def _flavour(host):
    return "full" if _case(host) == "debian13" else "compute"


def _versioned(host):
    return (["nvidia-driver"] if _flavour(host) == "full" else []) + COMMON


def _installed(host, names):
    out = host.run("dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' %s" % " ".join(names)).stdout
    return [line.split()[1] for line in out.splitlines() if line[1:2] == "i"]


def test_driver_packages_are_installed_at_the_branch(host):
    for name in _versioned(host):
        pkg = host.package(name)
        assert pkg.is_installed, name
        assert pkg.version.startswith(BRANCH[_release(host)]), (name, pkg.version)


def test_the_compute_set_has_no_desktop_packages_and_the_full_set_has_them(host):
    present = _installed(host, DESKTOP)
    if _flavour(host) == "compute":
        assert present == [], present
    else:
        assert sorted(present) == sorted(DESKTOP), present
    # what both sets are for: libcuda and NVML known to the linker, nvidia-smi on the PATH
    linker = host.check_output("ldconfig -p")
    assert "libcuda.so.1" in linker and "libnvidia-ml.so.1" in linker
    assert host.exists("nvidia-smi")


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
    assert set(_versioned(host) + ["nvidia-persistenced"]) <= held, held


def test_nouveau_is_blacklisted(host):
    conf = host.file("/etc/modprobe.d/gpuhost-blacklist-nouveau.conf")
    assert conf.is_file and conf.mode == 0o644
    assert "blacklist nouveau" in conf.content_string
    assert "Ansible managed" in conf.content_string or "ansible" in conf.content_string.lower()


def test_module_parameters_are_written_on_debian12_only(host):
    conf = host.file("/etc/modprobe.d/gpuhost-nvidia-params.conf")
    if _case(host) != "debian12":
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
    if _case(host) == "mirror":
        return
    assert not host.file("/etc/apt/sources.list.d/gpuhost-nvidia-driver-repo.sources").exists
    sources = host.file("/etc/apt/sources.list").content_string
    for component in ("contrib", "non-free", "non-free-firmware"):
        assert f" {component}" in sources


def test_ldconfig_knows_nvml(host):
    assert "libnvidia-ml.so.1" in host.check_output("ldconfig -p")


def test_pynvml_imports(host):
    assert host.run("python3 -c 'import pynvml'").rc == 0


def test_mirror_the_only_source_is_the_repository_on_127_0_0_1(host):
    if _case(host) != "mirror":
        pytest.skip("the mirror host's case")
    # apt's own view: every source it reads (apt-cache policy without names lists them)
    sources = [line.split()[1] for line in host.check_output("apt-cache policy").splitlines()
               if line.strip()[:3].isdigit() and len(line.split()) > 1 and "://" in line.split()[1]]
    assert sources and set(sources) == {LOCAL_REPO}, sources
    assert host.file("/etc/apt/sources.list").content_string.splitlines()[0].startswith("# every other source")
    assert host.check_output("ls /etc/apt/sources.list.d").split() == ["gpuhost-nvidia-driver-repo.sources"]
    repo = host.file("/etc/apt/sources.list.d/gpuhost-nvidia-driver-repo.sources")
    assert repo.mode == 0o644 and repo.user == "root"
    assert [line for line in repo.content_string.splitlines() if not line.startswith("#")] == [
        "Types: deb", "URIs: " + LOCAL_REPO, "Suites: gpuhost", "Components: main",
        "Signed-By: /etc/apt/keyrings/gpuhost-nvidia-driver.asc"]
    key = host.file("/etc/apt/keyrings/gpuhost-nvidia-driver.asc")
    assert key.mode == 0o644 and key.content_string == host.file("/srv/gpuhost-www/gpuhost-test-repo.asc").content_string


@pytest.mark.parametrize("name", COMMON + ["nvidia-persistenced"])
def test_mirror_each_driver_package_came_from_127_0_0_1(host, name):
    if _case(host) != "mirror":
        pytest.skip("the mirror host's case")
    policy = host.check_output("apt-cache policy %s" % name)
    installed = policy.split("Installed:")[1].split()[0]
    table = policy.split("Version table:")[1]
    assert " *** %s " % installed in table, policy
    origins = [line.split()[1] for line in table.splitlines() if line.startswith("        ")]
    # the installed version's origins: the repository and dpkg's status, nothing else
    assert set(origins) == {LOCAL_REPO, "/var/lib/dpkg/status"}, policy
    print("apt-cache policy %s: %s from %s" % (name, installed, ", ".join(sorted(set(origins)))))


def test_mirror_signature_was_checked(host):
    if _case(host) != "mirror":
        pytest.skip("the mirror host's case")
    # apt kept the signed InRelease of the repository (no Trusted override anywhere)
    lists = host.check_output("ls /var/lib/apt/lists").split()
    assert any(name.startswith("127.0.0.1:8080_debian_dists_gpuhost_InRelease") for name in lists), lists
    assert "trusted" not in host.check_output("cat /etc/apt/sources.list.d/*").lower()


def test_the_index_kept_for_the_install_is_gone(host):
    # the pre-flight downloaded a fresh index and kept it for the install (one download); the install's job moved it
    # into apt's lists before apt-get ran
    assert not host.file("/root/.ansible/tmp/gpuhost-apt-index").exists

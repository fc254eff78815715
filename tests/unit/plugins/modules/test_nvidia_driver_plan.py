# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia_driver_plan end to end through AnsibleModule, with faked apt-cache/apt-get/dnf and sysfs."""
from __future__ import annotations

import hashlib
import json
import os
import time

import pytest

from ansible.module_utils import basic, urls

from ansible_collections.gpuhost.provision.plugins.modules import driver_version_check as dvc
from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import resolve_min_driver, table_from
from ansible_collections.gpuhost.provision.plugins.module_utils import _apt_repo, _apt_sources
from ansible_collections.gpuhost.provision.plugins.module_utils import _driver_plan
from ansible_collections.gpuhost.provision.plugins.module_utils import _package_parsers as plan_parsers
from ansible_collections.gpuhost.provision.plugins.module_utils import _packages as plan_packages
from ansible_collections.gpuhost.provision.plugins.modules import nvidia_driver_plan as plan
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import FIXTURES

DEBIAN12 = dict(distribution="Debian", distribution_major_version="12", distribution_release="bookworm",
                os_family="Debian", kernel="6.1.0-18-amd64")
DEBIAN13 = dict(distribution="Debian", distribution_major_version="13", distribution_release="trixie",
                os_family="Debian", kernel="6.12.0-1-amd64")
UBUNTU22 = dict(distribution="Ubuntu", distribution_major_version="22", distribution_release="jammy",
                os_family="Debian", kernel="5.15.0-91-generic")
ROCKY9 = dict(distribution="Rocky", distribution_major_version="9", distribution_release="Blue Onyx",
              os_family="RedHat", kernel="5.14.0-427.el9.x86_64")

D12_VER = "535.309.01-0+deb12u1"
D12 = {n: [D12_VER, "535.247.01-1~deb12u1"] for n in (
    "nvidia-driver", "libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
    "firmware-nvidia-gsp")}
D12.update({"nvidia-open-kernel-dkms": ["535.261.03-1"], "nvidia-persistenced": ["535.171.04-1~deb12u1"],
            "python3-pynvml": ["11.525.112-1"], "linux-headers-6.1.0-18-amd64": ["6.1.76-1"]})
D13_VER = "550.163.01-2"
D13 = {n: [D13_VER] for n in ("nvidia-driver", "libcuda1", "nvidia-kernel-dkms", "nvidia-open-kernel-dkms", "nvidia-smi",
                              "libnvidia-ml1", "libnvidia-cfg1", "firmware-nvidia-gsp", "nvidia-persistenced")}
D13["python3-pynvml"] = ["12.550.89-3"]
U22 = {"nvidia-driver-535-server": ["535.230.02-0ubuntu0.22.04.3"],
       "nvidia-driver-550-server": ["550.144.03-0ubuntu0.22.04.1"],
       "nvidia-driver-570-server": ["570.133.20-0ubuntu0.22.04.1"],
       "nvidia-utils-570-server": ["570.133.20-0ubuntu0.22.04.1"],
       "linux-modules-nvidia-570-server-generic": ["5.15.0-91.101"],
       "nvidia-dkms-570-server": ["570.133.20-0ubuntu0.22.04.1"],
       "python3-pynvml": ["11.450.51-2"]}


def policy_text(repo, names, installed=None, origins=None):
    """apt-cache policy; ``origins`` {(name, version): URI} (default: a mirror of Debian's archive)."""
    out = []
    for name in names:
        versions = repo.get(name, [])
        out.append("%s:" % name)
        out.append("  Installed: %s" % ((installed or {}).get(name) or "(none)"))
        out.append("  Candidate: %s" % (versions[0] if versions else "(none)"))
        out.append("  Version table:")
        for version in versions:
            out.append("     %s 500" % version)
            out.append("        500 %s suite/non-free amd64 Packages"
                       % (origins or {}).get((name, version), "http://mirror.example/debian"))
    return "\n".join(out) + "\n"


def show_text(repo, names, control=None):
    """apt-cache show: a stanza per offered version; ``control`` {(name, version): extra fields} adds dependencies."""
    out = []
    for name in names:
        for version in repo.get(name, []):
            fields = {"Package": name, "Version": version}
            fields.update((control or {}).get((name, version), {}))
            out.append("\n".join("%s: %s" % kv for kv in fields.items()))
    return "\n\n".join(out) + "\n"


def simulation_text(items, held=()):
    """apt-get -s install that goes ahead: an Inst line per item (pinned or not)."""
    lines = ["Reading package lists...", "Building dependency tree...", "Reading state information..."]
    if held:
        lines += ["The following held packages will be changed:", "  " + " ".join(held)]
    lines += ["Inst %s (%s Debian:12/stable [amd64])" % (item.split("=")[0], item.split("=")[-1]) for item in items]
    return "\n".join(lines) + "\n"


class FakeHost(object):
    def __init__(self, repo, host_repo=None, python_apt=True, bins=("apt-get", "apt-cache", "python3", "dpkg-query", "rpm"),
                 installed=None, control=None, providers=None, simulation=None):
        self.repo = repo                     # what the private (fresh) index offers
        self.host_repo = host_repo if host_repo is not None else {}   # what the host's own index knows
        self.installed = installed or {}     # dpkg's database: {name: (version, held)}
        self.control = control or {}         # apt-cache show: {(name, version): {field: value}}
        self.providers = providers or {}     # apt-cache showpkg: {virtual: [(package, version)]}
        self.simulation = simulation         # apt-get -s: (rc, stdout, stderr), or None: it goes ahead
        self.recorded_show = None            # apt-cache show answered from recorded output instead of ``control``
        self.python_apt = python_apt
        self.owners = {}                     # dpkg -S: {path: package}
        self.origins = {}                    # apt-cache policy: {(name, version): source URI}
        self.update = (0, "Reading package lists...\n", "")   # apt-get update into the private index
        self.update_hangs = 0                # that many tries under timeout(1) run out of time first
        self.sources_seen = []               # the private index's planned sources files, as apt-get update saw them
        self.bins = set(bins) | {"dpkg"}
        self.calls = []

    def run_command(self, args, **kwargs):
        assert isinstance(args, list)
        self.calls.append(list(args))
        if args[0].rsplit("/", 1)[-1] == "timeout":   # timeout --kill-after=10 LIMIT command...: the command's answer
            if self.update_hangs:
                self.update_hangs -= 1
                return 124, "", ""
            args = args[3:]
        tool = args[0].rsplit("/", 1)[-1]
        if tool == "apt-get" and "-s" in args:
            items = [a for a in args[args.index("--no-install-recommends") + 1:] if a != "-o" and "::" not in a]
            held = [i.split("=")[0] for i in items if self.installed.get(i.split("=")[0], (None, False))[1]]
            return self.simulation or (0, simulation_text(items, held), "")
        if tool == "apt-get":
            parts = [a.split("=", 1)[1] for a in args if a.startswith("Dir::Etc::SourceParts=")]
            for path in sorted(os.listdir(parts[0])) if parts else []:
                if path.startswith("gpuhost-"):
                    with open(os.path.join(parts[0], path)) as handle:
                        self.sources_seen.append(handle.read())
            return self.update
        if tool == "apt-cache":
            private = any(a.startswith("Dir::State::Lists=") for a in args)
            repo = self.repo if private else self.host_repo
            for verb in ("policy", "show", "showpkg"):
                if verb in args:
                    names = args[args.index(verb) + 1:]
                    break
            if verb == "show" and self.recorded_show:
                stanzas = [b for b in self.recorded_show.split("\n\n") if b.split("\n")[0][len("Package: "):] in names]
                return (0 if stanzas else 100), "\n\n".join(stanzas) + "\n", ""
            if verb == "show":
                return (0 if any(repo.get(n) for n in names) else 100), show_text(repo, names, self.control), ""
            if verb == "showpkg":
                return 0, "".join("Package: %s\nReverse Provides: \n%s\n" % (
                    n, "".join("%s %s (= )\n" % p for p in self.providers.get(n, []))) for n in names), ""
            return 0, policy_text(repo, names, origins=self.origins), ""
        if tool == "python3":
            return (0 if self.python_apt else 1), "", ""
        if tool == "dpkg":
            path = args[-1]
            return (0, "%s: %s\n" % (self.owners[path], path), "") if path in self.owners else \
                (1, "", "dpkg-query: no path found matching pattern %s\n" % path)
        if tool == "dpkg-query" and args[-1] == plan_parsers.DPKG_CONTROL_FORMAT:
            # every installed package with its dependencies, as dpkg's database has them (control: see show_text)
            lines = []
            for name, (version, held) in self.installed.items():
                extra = self.control.get((name, version), {}) or self._recorded_fields(name, version)
                lines.append("\t".join([("hi " if held else "ii "), name, version, extra.get("Source", ""), "",
                                        extra.get("Pre-Depends", ""), extra.get("Depends", ""),
                                        extra.get("Provides", "")]))
            return 0, "\n".join(lines) + "\n", ""
        if tool == "dpkg-query":
            fmt = [a for a in args if a.startswith("-f=")][0]
            assert fmt == "-f=${Package}\\t${Version}\\t${db:Status-Abbrev}\\n"
            names = [a for a in args[1:] if not a.startswith("-")]
            lines = ["%s\t%s\t%s " % (n, self.installed[n][0], "hi" if self.installed[n][1] else "ii")
                     for n in names if n in self.installed]
            return (0 if len(lines) == len(names) else 1), "\n".join(lines) + "\n", ""
        if tool == "rpm":
            names = [a for a in args[1:] if not a.startswith("-") and "%" not in a]
            out = "".join("%s\t%s\n" % (n, self.installed[n][0]) if n in self.installed else
                          "package %s is not installed\n" % n for n in names)
            return (0 if all(n in self.installed for n in names) else 1), out, ""
        if tool == "dnf":
            if any(a.startswith("--repofrompath") for a in args):
                out = "".join("%s\t%s\n" % (n, v) for n, vs in self.repo.items() for v in vs if n in args)
            else:
                out = "".join("%s\t%s\n" % (n, v) for n, vs in self.host_repo.items() for v in vs if n in args)
            return 0, out, ""
        return 127, "", "not faked"

    def _recorded_fields(self, name, version):
        """The control fields of ``name`` at ``version`` in the recorded apt-cache show output (dpkg keeps the same)."""
        for block in (self.recorded_show or "").split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and line[0] != " ")
            if fields.get("Package") == name and fields.get("Version") == version:
                fields["Source"] = fields.get("Source", "").split(" ")[0]
                return fields
        return {}

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return "/usr/bin/" + name if name in self.bins else None


@pytest.fixture
def host(monkeypatch, tmp_path, sysfs, commands, kernels):
    del commands    # conftest's fake commands are installed first, then replaced by this host's
    sources = tmp_path / "sources.list"
    sources.write_text("deb http://deb.debian.org/debian bookworm main contrib non-free non-free-firmware\n"
                       "deb http://deb.debian.org/debian bookworm-updates main contrib non-free non-free-firmware\n")
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    monkeypatch.setattr(_apt_sources, "APT_SOURCES_LIST", str(sources))
    monkeypatch.setattr(_apt_sources, "APT_SOURCES_DIR", str(parts))
    drv = tmp_path / "driver"
    for sub in ("sys", "lib", "usr_local_nvidia/lib64", "bin", "log"):
        (drv / sub).mkdir(parents=True)
    monkeypatch.setattr(_driver_plan, "HOST_DRIVER_PATHS", {
        "sys_module_version": str(drv / "sys" / "version"), "proc_driver_version": str(drv / "proc_version"),
        "lib_dirs": (str(drv / "lib"), str(drv / "usr_local_nvidia" / "lib64")),
        "runfile_markers": (str(drv / "bin" / "nvidia-uninstall"), str(drv / "log" / "nvidia-installer.log")),
        "image_dirs": (str(drv / "usr_local_nvidia"),)})
    moddir = tmp_path / "moduletmp"
    moddir.mkdir()
    monkeypatch.setattr(basic.AnsibleModule, "tmpdir", property(lambda self: str(moddir)))
    monkeypatch.setattr(plan_packages, "kept_index_dir", lambda module: str(tmp_path / "remote_tmp" / "gpuhost-apt-index"))
    state = {"fake": FakeHost(D12), "sources": sources, "parts": parts, "sysfs": sysfs, "tmp": moddir, "driver": drv,
             "kernels": kernels}

    monkeypatch.setattr(basic.AnsibleModule, "run_command",
                        lambda self, args, **kw: state["fake"].run_command(args, **kw))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: state["fake"].get_bin_path(name))
    return state


def test_debian12_cuda_12_2_resolves_535(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and not result["changed"], result
    assert result["satisfied"] and result["branch"] == 535
    assert result["candidate_version"] == D12_VER and result["driver_version"] == "535.309.01"
    assert result["kernel_module"] == "proprietary"
    assert result["install"][:3] == ["nvidia-driver=" + D12_VER, "libcuda1=" + D12_VER, "nvidia-kernel-dkms=" + D12_VER]
    assert "nvidia-persistenced" in result["install"] and "python3-pynvml" in result["install"]
    assert "nvidia-persistenced" in result["hold"] and "python3-pynvml" not in result["hold"]
    assert result["apt_sources"] == []
    assert result["package_manager_ready"] is False          # the host's own index knows nothing yet
    update = [c for c in host["fake"].calls if c[0].endswith("apt-get")]
    assert update and "update" in update[0] and "APT::Sandbox::User=root" in update[0]


def fake_release(monkeypatch, ident, like, major, codename, kernel):
    monkeypatch.setattr(_driver_plan.distro, "id", lambda: ident)
    monkeypatch.setattr(_driver_plan.distro, "like", lambda: like)
    monkeypatch.setattr(_driver_plan.distro, "major_version", lambda best=False: major)
    monkeypatch.setattr(_driver_plan.distro, "codename", lambda: codename)
    monkeypatch.setattr(_driver_plan.platform, "release", lambda: kernel)


def test_the_distribution_and_kernel_are_read_from_the_host(host, run_module, monkeypatch):
    fake_release(monkeypatch, "debian", "", "12", "bookworm", "6.1.0-18-amd64")
    failed, result = run_module(plan, dict(cuda_version="12.2"))
    assert not failed and result["family"] == "debian" and result["branch"] == 535, result
    assert result["msg"].endswith("from Debian 12 (distribution archive) satisfies it")
    # the kernel read from the host decides the headers that DKMS needs
    assert "linux-headers-6.1.0-18-amd64" in result["packages"]


def test_given_facts_override_what_the_host_says(host, run_module, monkeypatch):
    fake_release(monkeypatch, "rocky", "rhel centos fedora", "9", "Blue Onyx", "5.14.0-427.el9.x86_64")
    assert _driver_plan.read_host_release() == dict(ROCKY9, distribution="Rocky", os_family="RedHat")
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and result["family"] == "debian", result
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, distribution="Ubuntu",
                                           distribution_major_version="22", distribution_release="jammy"))
    assert result["family"] == "ubuntu", result
    assert not [c for c in host["fake"].calls if c[0].endswith(("apt-get", "dpkg")) and "install" in c and "-s" not in c]


def test_debian12_cuda_12_8_refuses_with_one_line(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.8", **DEBIAN12))
    assert failed
    assert result["msg"] == (
        "CUDA 12.8 (toolkit compatibility) needs driver >= 570.26, but the best candidate Debian 12 (distribution "
        "archive) offers is 535.309.01-0+deb12u1: use NVIDIA's CUDA repository with source: "
        "cuda_repo, or request a lower CUDA version (cuda_version)")
    assert result["satisfied"] is False and result["install"] == []
    # a role asks for its own variable names in the advice
    failed, result = run_module(plan, dict(cuda_version="12.8", option_prefix="nvidia_driver_", **DEBIAN12))
    assert failed and result["msg"].endswith(
        "use NVIDIA's CUDA repository with nvidia_driver_source: cuda_repo, or request a lower CUDA version "
        "(nvidia_driver_cuda_version)")
    assert result["satisfied"] is False and result["install"] == []


def test_refusal_can_be_reported_instead(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.8", fail_on_unsatisfied=False, **DEBIAN12))
    assert not failed and result["satisfied"] is False and "570.26" in result["msg"]


def test_minor_compatibility_accepts_535_for_12_8(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.8", compatibility="minor", build_module=False, **DEBIAN12))
    assert not failed and result["required_min_driver"] == "525" and result["branch"] == 535


def test_the_controllers_resolution_is_taken_instead_of_resolving_again(host, run_module):
    # driver_request's answer for CUDA 12.2 with a row the built-in table does not have (minimum 530): the plan takes
    # it, so the refusal names 530, not the table's 535.54.03
    request = resolve_min_driver("12.2", "toolkit", table_from({"12.2": "530"})).as_request("12.2")
    failed, result = run_module(plan, dict(cuda_version="12.2", cuda_request=request, build_module=False, **DEBIAN12))
    assert not failed, result
    assert result["required_min_driver"] == "530" and result["branch"] == 535 and result["cuda_request_taken"]
    # an answer to another question (another CUDA version, or another compatibility) is not taken
    for asked, compatibility in (("12.4", "toolkit"), ("12.2", "minor")):
        other = dict(request, asked=asked, compatibility=compatibility)
        failed, result = run_module(plan, dict(cuda_version="12.2", cuda_request=other, build_module=False,
                                               **DEBIAN12))
        assert not failed and result["required_min_driver"] == "535.54.03", (asked, compatibility, result)
        assert result["cuda_request_taken"] is False


def test_debian13_branch_550_and_open_on_a_hopper(host, run_module):
    host["fake"] = FakeHost(D13)
    host["sources"].write_text("deb http://deb.debian.org/debian trixie main contrib non-free non-free-firmware\n")
    host["sysfs"].add("0000:3b:00.0", device="0x2330")
    failed, result = run_module(plan, dict(cuda_version="12.4", branch=550, kernel_module="open", build_module=False,
                                           **DEBIAN13))
    assert not failed, result
    assert result["branch"] == 550 and result["kernel_module"] == "open"
    assert "nvidia-open-kernel-dkms=" + D13_VER in result["install"]
    assert result["pci_devices"][0]["device_id"] == "0x2330"


def test_branch_that_the_archive_does_not_ship_is_refused(host, run_module):
    failed, result = run_module(plan, dict(branch=570, **DEBIAN12))
    assert failed and "branch R570 was requested" in result["msg"] and "535.309.01" in result["msg"]


def test_branch_below_the_cuda_minimum_is_an_input_error(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.8", branch=535, **DEBIAN12))
    assert failed and result["msg"].startswith("branch R535 is older than the minimum driver 570.26")


def test_open_module_lagging_the_driver_is_refused(host, run_module):
    # Debian 12's nvidia-open-kernel-dkms (535.261) lags nvidia-driver (535.309)
    failed, result = run_module(plan, dict(cuda_version="12.2", kernel_module="open", **DEBIAN12))
    assert failed
    assert "does not offer nvidia-open-kernel-dkms 535.309.01-0+deb12u1" in result["msg"]
    assert "kernel_module to proprietary" in result["msg"]


def test_headers_for_the_running_kernel_when_building(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", **DEBIAN12))
    assert not failed and "linux-headers-6.1.0-18-amd64" in result["install"]


def test_missing_headers_are_refused(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", **dict(DEBIAN12, kernel="6.18.44-custom")))
    assert failed and "offers no linux-headers-6.18.44-custom" in result["msg"]
    # the refusal names the option that avoids the build (containers, image builds), with the role's prefix too
    assert "or set build_module: false where no kernel module is built here" in result["msg"], result["msg"]
    failed, result = run_module(plan, dict(cuda_version="12.2", option_prefix="nvidia_driver_",
                                           **dict(DEBIAN12, kernel="6.18.44-custom")))
    assert failed and "or set nvidia_driver_build_module: false where" in result["msg"], result["msg"]


def test_exact_version(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", version="535.247.01", build_module=False, **DEBIAN12))
    assert not failed and result["candidate_version"] == "535.247.01-1~deb12u1"
    assert "nvidia-smi=535.247.01-1~deb12u1" in result["install"]
    failed, result = run_module(plan, dict(cuda_version="12.2", version="535.1.1", **DEBIAN12))
    assert failed and result["msg"].startswith("version 535.1.1 is not offered")


def test_missing_components_become_a_stanza_and_the_lookup_sees_them(host, run_module):
    host["sources"].write_text("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                               "http://mirror.local/debian bookworm main\n"
                               "deb http://mirror.local/debian bookworm-updates main\n"
                               "deb http://mirror.local/debian bookworm-backports main\n")
    (host["parts"] / "security.sources").write_text(
        "Types: deb\nURIs: http://security.local/debian-security\nSuites: bookworm-security\n"
        "Components: main non-free-firmware\n")
    (host["parts"] / "gpuhost-nvidia-driver.sources").write_text(
        "Types: deb\nURIs: http://mirror.local/debian\nSuites: bookworm\nComponents: contrib non-free\n")
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False,
                                           apt_sources_file=str(host["parts"] / "gpuhost-nvidia-driver.sources"),
                                           **DEBIAN12))
    assert not failed, result
    assert result["apt_sources"] == [
        {"types": "deb", "uris": "http://mirror.local/debian", "suites": ["bookworm"],
         "components": ["contrib", "non-free", "non-free-firmware"],
         "signed_by": "/usr/share/keyrings/debian-archive-keyring.gpg"},
        {"types": "deb", "uris": "http://mirror.local/debian", "suites": ["bookworm-updates"],
         "components": ["contrib", "non-free", "non-free-firmware"], "signed_by": None},
        {"types": "deb", "uris": "http://security.local/debian-security", "suites": ["bookworm-security"],
         "components": ["contrib", "non-free"], "signed_by": None},
    ]
    planned = (host["tmp"] / "gpuhost-apt" / "sources.list.d" / "gpuhost-planned.sources").read_text()
    assert "Components: contrib non-free non-free-firmware" in planned
    linked = sorted(p.name for p in (host["tmp"] / "gpuhost-apt" / "sources.list.d").iterdir())
    assert linked == ["gpuhost-planned.sources", "security.sources"]      # our own old file is not used
    assert result["package_manager_ready"] is False


def test_gather_facts_returns_setups_minimal_and_virtual_subsets(host, run_module):
    # Ansible's own collectors run for real on this machine (they read /etc/os-release, /proc, ...); the plan's
    # package reads stay faked.
    host["fake"] = FakeHost(D12, host_repo=D12)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, gather_facts=True, **DEBIAN12),
                                check=True)
    assert not failed, result
    facts = result["ansible_facts"]
    for key in ("ansible_distribution", "ansible_os_family", "ansible_distribution_major_version", "ansible_pkg_mgr",
                "ansible_machine_id", "ansible_virtualization_type", "ansible_virtualization_role", "ansible_architecture"):
        assert key in facts, sorted(facts)
    # the minimal subset and virtual only: no hardware (memory, devices) or network (interfaces) facts
    assert "ansible_memtotal_mb" not in facts and "ansible_interfaces" not in facts
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12), check=True)
    assert not failed and "ansible_facts" not in result


def test_host_index_ready_for_check_mode(host, run_module):
    host["fake"] = FakeHost(D12, host_repo=D12)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12), check=True)
    assert not failed and result["package_manager_ready"] is True
    host_query = [c for c in host["fake"].calls if c[0].endswith("apt-cache") and "Dir::Cache::pkgcache=" in c]
    assert host_query, "the host's index must be read without writing apt's binary caches"
    host["fake"] = FakeHost(D12, host_repo=D12, python_apt=False)
    _failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert result["package_manager_ready"] is False


def test_host_cache_only(host, run_module):
    host["fake"] = FakeHost({}, host_repo=D12)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, refresh_cache=False, **DEBIAN12))
    assert not failed and result["candidate_version"] == D12_VER
    assert not [c for c in host["fake"].calls if c[0].endswith("apt-get") and "update" in c]


def test_converged_host_answers_from_its_own_index_without_a_download(host, run_module):
    # The host's index knows every package (a converged host, components present): no private apt-get update.
    host["fake"] = FakeHost({}, host_repo=D12)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and result["candidate_version"] == D12_VER and result["satisfied"]
    assert not [c for c in host["fake"].calls if c[0].endswith("apt-get") and "update" in c]
    # the simulation reads the same (host's) index: no private index option
    simulations = [c for c in host["fake"].calls if c[0].endswith("apt-get")]
    assert len(simulations) == 1 and "-s" in simulations[0]
    assert not [a for a in simulations[0] if a.startswith("Dir::State::Lists=")]
    # every version question (branch candidates, the chosen set, the readiness check) answered by one apt-cache call
    queries = [c for c in host["fake"].calls if c[0].endswith("apt-cache") and "policy" in c]
    assert len(queries) == 1, queries
    assert set(result["packages"]) <= set(queries[0][queries[0].index("policy") + 1:])


def test_host_index_missing_a_package_falls_back_to_the_private_index(host, run_module):
    partial = dict((name, versions) for name, versions in D12.items() if name != "nvidia-driver")
    host["fake"] = FakeHost(D12, host_repo=partial)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and result["candidate_version"] == D12_VER
    update = [c for c in host["fake"].calls if c[0].endswith("apt-get")]
    assert update and "update" in update[0] and "Acquire::Retries=3" in update[0]


def test_a_private_index_refresh_that_hangs_is_tried_once_more_then_refused(host, run_module):
    partial = dict((name, versions) for name, versions in D12.items() if name != "nvidia-driver")
    host["fake"] = FakeHost(D12, host_repo=partial, bins=("apt-get", "apt-cache", "python3", "dpkg-query", "timeout"))
    host["fake"].update_hangs = 1
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    updates = [c for c in host["fake"].calls if c[0].endswith("timeout")]
    assert not failed and result["candidate_version"] == D12_VER
    assert len(updates) == 2 and updates[0][1:3] == ["--kill-after=10", "300"] and "update" in updates[0]
    host["fake"] = FakeHost(D12, host_repo=partial, bins=("apt-get", "apt-cache", "python3", "dpkg-query", "timeout"))
    host["fake"].update_hangs = 2
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert len([c for c in host["fake"].calls if c[0].endswith("timeout")]) == 2
    assert "did not finish within 300 s, twice" in (result.get("msg") or ""), result.get("msg")


def test_ubuntu_picks_the_lowest_branch_that_satisfies_and_precompiled_modules(host, run_module):
    host["fake"] = FakeHost(U22)
    host["sources"].write_text("deb http://archive.ubuntu.com/ubuntu jammy main restricted universe\n")
    # auto on R570 without GPUs means open, and this fake archive has only the proprietary packages
    failed, result = run_module(plan, dict(cuda_version="12.8", **UBUNTU22))
    assert failed and "best candidate Ubuntu 22 (distribution archive) offers is none" in result["msg"]
    host["fake"] = FakeHost(U22)
    failed, result = run_module(plan, dict(cuda_version="12.8", kernel_module="proprietary", **UBUNTU22))
    assert not failed, result
    assert result["packages"] == ["nvidia-driver-570-server", "linux-modules-nvidia-570-server-generic",
                                  "nvidia-utils-570-server", "python3-pynvml"]


def test_ubuntu_falls_back_to_dkms_without_precompiled_modules(host, run_module):
    repo = dict(U22)
    del repo["linux-modules-nvidia-570-server-generic"]
    repo["linux-headers-5.15.0-91-generic"] = ["5.15.0-91.101"]
    host["fake"] = FakeHost(repo)
    host["sources"].write_text("deb http://archive.ubuntu.com/ubuntu jammy main restricted universe\n")
    failed, result = run_module(plan, dict(cuda_version="12.8", kernel_module="proprietary", **UBUNTU22))
    assert not failed, result
    assert "nvidia-dkms-570-server" in result["packages"] and "linux-headers-5.15.0-91-generic" in result["packages"]


def test_ubuntu_missing_restricted_is_added(host, run_module):
    host["fake"] = FakeHost(U22)
    host["sources"].write_text("deb http://archive.ubuntu.com/ubuntu jammy main\n")
    _failed, result = run_module(plan, dict(cuda_version="12.2", kernel_module="proprietary", build_module=False,
                                            **UBUNTU22))
    assert result["apt_sources"][0]["components"] == ["restricted", "universe"]


def test_cuda_repo_on_debian_uses_cuda_drivers_and_the_keyring(host, run_module):
    host["fake"] = FakeHost({"cuda-drivers-570": ["570.172.08-1"], "python3-pynvml": ["11.525.112-1"]})
    failed, result = run_module(plan, dict(cuda_version="12.8", source="cuda_repo", kernel_module="proprietary",
                                           build_module=False, **DEBIAN12))
    assert not failed, result
    assert result["install"] == ["cuda-keyring", "cuda-drivers-570=570.172.08-1", "python3-pynvml"]
    assert result["hold"] == ["cuda-drivers-570"]
    assert result["cuda_repo"]["keyring_url"].endswith("/debian12/x86_64/cuda-keyring_1.1-1_all.deb")
    planned = (host["tmp"] / "gpuhost-apt" / "sources.list.d" / "gpuhost-cuda-planned.sources").read_text()
    assert "URIs: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/" in planned


def test_el9_stream_from_the_cuda_repository(host, run_module):
    host["fake"] = FakeHost({"nvidia-driver": ["570.172.08-1.el9", "580.95.05-1.el9"]}, bins=("dnf", "rpm"))
    failed, result = run_module(plan, dict(cuda_version="12.8", **ROCKY9))
    assert not failed, result
    assert result["source"] == "cuda_repo" and result["branch"] == 570 and result["kernel_module"] == "open"
    assert result["stream"] == "nvidia-driver:570-open"
    assert result["install"][:2] == ["@nvidia-driver:570-open", "nvidia-driver-cuda"]
    assert result["cuda_repo"]["url"].endswith("/rhel9/x86_64/")
    query = [c for c in host["fake"].calls if c[0].endswith("dnf")][0]
    assert "--repofrompath=gpuhost-cuda,https://developer.download.nvidia.com/compute/cuda/repos/rhel9/x86_64/" in query


def test_cuda_table_row_for_a_newer_release_picks_its_branch(host, run_module):
    host["fake"] = FakeHost({"cuda-drivers-630": ["630.20.01-1"], "cuda-drivers-615": ["615.30.02-1"],
                             "python3-pynvml": ["11.525.112-1"]})
    args = dict(cuda_version="13.6", source="cuda_repo", kernel_module="proprietary", build_module=False, **DEBIAN12)
    failed, result = run_module(plan, dict(args, cuda_table={"13.6": "R630"}))
    assert not failed, result
    assert (result["required_min_driver"], result["branch"], result["driver_version"]) == ("630", 630, "630.20.01")
    host["fake"] = FakeHost({"cuda-drivers-615": ["615.30.02-1"]})
    failed, result = run_module(plan, args)
    assert failed and "CUDA 13.6 is not a CUDA release in the table" in result["msg"]
    assert "nvidia_driver_cuda_table" in result["msg"] and not host["fake"].calls


def test_el9_refusal_names_the_cuda_repository(host, run_module):
    host["fake"] = FakeHost({"nvidia-driver": ["550.163.01-1.el9"]}, bins=("dnf", "rpm"))
    failed, result = run_module(plan, dict(cuda_version="13.0", **ROCKY9))
    assert failed and "EL 9 (CUDA repository)" in result["msg"] and "580.65.06" in result["msg"]
    assert "source: cuda_repo" not in result["msg"]


@pytest.mark.parametrize("args, match", [
    (dict(**DEBIAN12), "one of the following is required: cuda_version, branch"),
    (dict(cuda_version="12.x", **DEBIAN12), "is not a CUDA version"),
    (dict(cuda_version="12.2", **dict(DEBIAN12, distribution="Archlinux", os_family="Archlinux")), "not supported"),
    (dict(cuda_version="12.2", kernel_module="closed", **DEBIAN12), "value of kernel_module must be one of"),
    (dict(cuda_version="12.2", cuda_table={"13.6": "630.x"}, **DEBIAN12), "cuda_table entry '13.6': '630.x' is not"),
    (dict(cuda_version="12.2", cuda_table=["13.6", "630"], **DEBIAN12), "cuda_table"),
])
def test_bad_input_fails_with_one_line(host, run_module, args, match):
    failed, result = run_module(plan, args)
    assert failed and match in result["msg"] and "\n" not in result["msg"]
    assert not [c for c in host["fake"].calls if "update" in c]


def test_fresh_host_installs_and_holds_everything(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed, result
    assert result["to_install"] == result["install"]
    assert result["held"] == [] and result["installed"]["nvidia-driver"] is None


def test_converged_host_has_nothing_to_install_or_hold(host, run_module):
    first = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))[1]
    wanted = dict(item.split("=", 1) if "=" in item else (item, "1.0-1") for item in first["install"])
    host["fake"] = FakeHost(D12, installed={n: (v, n in first["hold"]) for n, v in wanted.items()})
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed, result
    assert result["to_install"] == []
    assert sorted(result["held"]) == sorted(result["hold"])
    assert result["to_hold"] == [] and result["release"] == [] and result["driver_change"] is None
    # a converged host: the set comes from dpkg's database (no apt-cache show), nothing is simulated
    assert not [c for c in host["fake"].calls if c[0].endswith("apt-get") and "-s" in c]
    assert not [c for c in host["fake"].calls if c[0].endswith("apt-cache") and "policy" not in c]
    assert result["installed"]["nvidia-driver"] == D12_VER
    assert result["apt_sources_file_exists"] is False


def test_wrong_version_or_missing_hold_is_reported(host, run_module):
    first = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))[1]
    wanted = dict(item.split("=", 1) if "=" in item else (item, "1.0-1") for item in first["install"])
    state = {n: (v, True) for n, v in wanted.items()}
    state["nvidia-smi"] = ("535.247.01-1~deb12u1", True)       # an older build than the plan pins
    state["nvidia-persistenced"] = (wanted["nvidia-persistenced"], False)   # installed but not held
    del state["python3-pynvml"]                                  # not installed
    host["fake"] = FakeHost(D12, installed=state)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed, result
    assert sorted(result["to_install"]) == sorted(["nvidia-smi=" + D12_VER, "python3-pynvml"])
    assert "nvidia-persistenced" not in result["held"] and "nvidia-driver" in result["held"]
    assert result["installed"]["python3-pynvml"] is None


def test_own_sources_file_is_reported(host, run_module):
    own = host["parts"] / "gpuhost-nvidia-driver.sources"
    own.write_text("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: non-free\n")
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, apt_sources_file=str(own),
                                           **DEBIAN12))
    assert not failed and result["apt_sources_file_exists"] is True


def test_files_the_role_manages_are_read_before_any_change(host, run_module, tmp_path):
    conf = tmp_path / "blacklist.conf"
    conf.write_text("blacklist nouveau\n")
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False,
                                           files=[str(conf), str(tmp_path / "absent.sources")], **DEBIAN12))
    assert not failed, result
    assert result["files"][str(conf)]["sha1"] == hashlib.sha1(b"blacklist nouveau\n").hexdigest()
    assert result["files"][str(conf)]["type"] == "file"
    assert result["files"][str(tmp_path / "absent.sources")]["exists"] is False
    assert conf.read_text() == "blacklist nouveau\n"


def test_an_initramfs_older_than_the_current_blacklist_is_due_for_a_rebuild(host, run_module, tmp_path, monkeypatch):
    # the role's blacklist as the template renders it, written after the only initramfs image (a run stopped before
    # its rebuild); update-initramfs is there
    conf = tmp_path / "gpuhost-blacklist-nouveau.conf"
    conf.write_text("blacklist nouveau\n")
    os.chmod(str(conf), 0o644)
    boot = tmp_path / "boot"
    boot.mkdir()
    image = boot / "initrd.img-6.1.0-18-amd64"
    image.write_text("")
    (boot / "initramfs-6.1.0-18-amd64kdump.img").write_text("")      # kdump's image is not booted: not looked at
    os.utime(str(image), (time.time() - 3600, time.time() - 3600))
    monkeypatch.setattr(plan, "INITRAMFS_IMAGES", (str(boot / "initrd.img-*"), str(boot / "initramfs-*.img")))
    host["fake"].bins.add("update-initramfs")
    args = dict(cuda_version="12.2", build_module=False, nouveau_file=str(conf),
                rendered={str(conf): hashlib.sha1(b"blacklist nouveau\n").hexdigest()}, **DEBIAN12)
    failed, result = run_module(plan, args)
    if result["files"][str(conf)]["owner"] != "root":
        pytest.skip("the blacklist must be owned by root to be current (run the unit tests as root)")
    assert not failed and result["todo"]["initramfs"] and not result["todo"]["nouveau"], result["todo"]
    assert "rebuild the initramfs (older than %s)" % conf in result["would_change"] and result["sections_due"]
    # an image built after the file: nothing to do; no update-initramfs or dracut: nothing the role could run
    os.utime(str(image), None)
    assert not run_module(plan, args)[1]["todo"]["initramfs"]
    os.utime(str(image), (time.time() - 3600, time.time() - 3600))
    host["fake"].bins.discard("update-initramfs")
    assert not run_module(plan, args)[1]["todo"]["initramfs"]
    assert conf.read_text() == "blacklist nouveau\n" and image.read_text() == ""


def test_relative_file_is_refused_before_anything_runs(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", files=["etc/modprobe.d/x.conf"], **DEBIAN12))
    assert failed and result["msg"] == "files: 'etc/modprobe.d/x.conf' is not an absolute path"
    assert host["fake"].calls == []


# --- a driver that is already there, not from packages ---

def _lay_driver(host, version, where="lib", runfile=False, kernel=None):
    """Files as the .run installer (runfile=True) or an image mount leave them: libnvidia-ml.so.<v> and the .1 link."""
    lib = host["driver"] / where
    (lib / ("libnvidia-ml.so." + version)).write_text("")
    (lib / "libnvidia-ml.so.1").symlink_to("libnvidia-ml.so." + version)
    if runfile:
        (host["driver"] / "bin" / "nvidia-uninstall").write_text("#!/bin/sh\n")
        (host["driver"] / "log" / "nvidia-installer.log").write_text("nvidia-installer log file\n")
    if kernel:
        (host["driver"] / "sys" / "version").write_text(kernel + "\n")
        (host["driver"] / "proc_version").write_text(
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  %s  Release Build\n" % kernel)
    return str(lib / ("libnvidia-ml.so." + version))


def _no_index_queries(host):
    return not [c for c in host["fake"].calls if c[0].rsplit("/", 1)[-1] in ("apt-get", "apt-cache", "dnf")]


def test_runfile_driver_that_satisfies_is_kept_without_touching_the_index(host, run_module):
    path = _lay_driver(host, "580.159.04", runfile=True, kernel="580.159.04")
    failed, result = run_module(plan, dict(cuda_version="12.4", **DEBIAN12))
    assert not failed, result
    assert result["adopted"] is True and result["satisfied"] is True
    assert (result["install"], result["hold"], result["to_install"], result["packages"]) == ([], [], [], [])
    assert (result["driver_version"], result["branch"], result["kernel_module"]) == ("580.159.04", 580, "open")
    existing = result["existing_driver"]
    assert existing["origin"] == "runfile" and existing["evidence"][0] == path
    assert result["msg"] == "kept driver 580.159.04 (NVIDIA's .run installer), satisfies CUDA 12.4"
    assert _no_index_queries(host)


def test_runfile_driver_too_old_is_refused_naming_its_origin(host, run_module):
    _lay_driver(host, "535.183.01", runfile=True)
    failed, result = run_module(plan, dict(cuda_version="12.4", **DEBIAN12))
    assert failed and result["adopted"] is False and result["install"] == []
    msg = result["msg"]
    assert msg.startswith("driver 535.183.01 from NVIDIA's .run installer (") and "nvidia-uninstall" in msg
    assert "CUDA 12.4 needs >= 550.54.14" in msg and "never removes a driver it did not install" in msg
    assert "\n" not in msg and _no_index_queries(host)


def test_image_mounted_driver_and_a_branch_request(host, run_module):
    _lay_driver(host, "570.172.08", where="usr_local_nvidia/lib64")
    failed, result = run_module(plan, dict(branch=570, **DEBIAN12))
    assert not failed and result["existing_driver"]["origin"] == "image"
    assert result["msg"] == "kept driver 570.172.08 (the image or a container mount), satisfies branch R570"
    assert result["existing_driver"]["evidence"][1].endswith("usr_local_nvidia")
    failed, result = run_module(plan, dict(branch=580, **DEBIAN12))
    assert failed and "branch R580 was requested" in result["msg"] and "image or driver mount" in result["msg"]


def test_vendor_package_of_another_name(host, run_module):
    path = _lay_driver(host, "550.127.05")
    host["fake"].owners[path] = "dgx-nvidia-driver-libs"
    failed, result = run_module(plan, dict(cuda_version="12.4", **DEBIAN12))
    assert not failed and result["existing_driver"]["origin"] == "vendor_packages"
    assert result["msg"] == "kept driver 550.127.05 (vendor packages (dgx-nvidia-driver-libs)), satisfies CUDA 12.4"


def test_require_packages_refuses_while_another_driver_is_there(host, run_module):
    _lay_driver(host, "580.159.04", runfile=True)
    failed, result = run_module(plan, dict(cuda_version="12.4", existing="require_packages", **DEBIAN12))
    assert failed and "existing is require_packages" in result["msg"]
    assert "remove it with nvidia-uninstall, then run again" in result["msg"] and _no_index_queries(host)


def test_a_packaged_driver_is_planned_as_packages(host, run_module):
    _lay_driver(host, "535.247.01")
    host["fake"] = FakeHost(D12, installed={"nvidia-driver": ("535.247.01-1~deb12u1", False)})
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and result["adopted"] is False and result["existing_driver"]["origin"] == "packages"
    assert result["candidate_version"] == D12_VER


# Kernels: headers for every installed kernel and the metapackage that follows updates -------------------
def test_headers_for_the_installed_kernels_in_a_container(host, run_module):
    """The running kernel is the container host's; the Debian kernel installed inside gets its headers."""
    host["kernels"].add("6.1.0-57-amd64")
    repo = dict(D12, **{"linux-headers-amd64": ["6.1.192-3"], "linux-headers-6.1.0-57-amd64": ["6.1.192-3"]})
    host["fake"] = FakeHost(repo)
    failed, result = run_module(plan, dict(cuda_version="12.2", **dict(DEBIAN12, kernel="6.18.44-fc-v1147")))
    assert not failed, result
    assert result["packages"][-2:] == ["linux-headers-amd64", "linux-headers-6.1.0-57-amd64"]
    assert "linux-headers-6.18.44-fc-v1147" not in result["packages"] and result["notes"] == []


def test_headers_the_archive_lost_are_left_out_with_a_note(host, run_module):
    host["kernels"].add("6.1.0-9-amd64", module="updates/dkms/nvidia-current.ko")
    host["kernels"].add("6.1.0-18-amd64")
    host["fake"] = FakeHost(dict(D12, **{"linux-headers-amd64": ["6.1.76-1"]}))
    failed, result = run_module(plan, dict(cuda_version="12.2", **DEBIAN12))
    assert not failed, result
    assert result["packages"][-2:] == ["linux-headers-6.1.0-18-amd64", "linux-headers-amd64"]
    assert result["notes"] == ["not offered by the package sources, left out: linux-headers-6.1.0-9-amd64 (DKMS "
                               "cannot build the module for those kernels without their headers)"]


# Fabric Manager -------------------------------------------------------------------------------------------
def _switches(host, count=4):
    for n in range(count):
        host["sysfs"].add("0000:0%d:00.0" % (5 + n), device="0x22a3", cls="0x068000", driver=None)


def test_debian_archive_refuses_an_nvswitch_board(host, run_module):
    _switches(host)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert failed and result["satisfied"] is False and result["install"] == []
    assert result["msg"] == (
        "Debian 12 (distribution archive) ships no NVIDIA Fabric Manager, which this NVSwitch system needs at the "
        "driver's version 535.309.01: use source: cuda_repo, or set nvswitch: absent "
        "if the board has no NVSwitch")
    assert result["fabric_manager"]["required"] is True and "4 NVSwitch bridge(s)" in result["fabric_manager"]["reason"]
    assert len(result["nvswitch_devices"]) == 4


def test_declared_nvswitch_without_sysfs_is_refused_too(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, nvswitch="present", **DEBIAN12))
    assert failed and "ships no NVIDIA Fabric Manager" in result["msg"] and result["nvswitch_devices"] == []


def test_nvswitch_absent_overrides_detection(host, run_module):
    _switches(host)
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, nvswitch="absent", **DEBIAN12))
    assert not failed and result["fabric_manager"]["required"] is False
    assert not [p for p in result["packages"] if "fabric" in p]


def test_cuda_repo_pins_and_holds_fabric_manager_at_the_driver_version(host, run_module):
    _switches(host)
    host["fake"] = FakeHost({"cuda-drivers-570": ["570.172.08-1", "570.124.06-1"], "python3-pynvml": ["11.525.112-1"],
                             "nvidia-fabricmanager-570": ["570.172.08-1", "570.124.06-1"]})
    failed, result = run_module(plan, dict(cuda_version="12.8", source="cuda_repo", kernel_module="proprietary",
                                           build_module=False, **DEBIAN12))
    assert not failed, result
    assert result["install"] == ["cuda-keyring", "cuda-drivers-570=570.172.08-1", "python3-pynvml",
                                 "nvidia-fabricmanager-570=570.172.08-1"]
    assert result["hold"] == ["cuda-drivers-570", "nvidia-fabricmanager-570"]
    assert result["fabric_manager"] == {
        "required": True, "reason": "4 NVSwitch bridge(s) on the PCI bus (00000000:05:00.0)",
        "package": "nvidia-fabricmanager-570", "version": "570.172.08-1", "nvlsm": None,
        "service": "nvidia-fabricmanager.service"}
    assert "nvidia-fabricmanager-570=570.172.08-1" in result["to_install"]


def test_cuda_repo_without_fabric_manager_at_the_driver_version_refuses(host, run_module):
    _switches(host)
    host["fake"] = FakeHost({"cuda-drivers-570": ["570.172.08-1"], "python3-pynvml": ["11.525.112-1"],
                             "nvidia-fabricmanager-570": ["570.133.20-1"]})
    failed, result = run_module(plan, dict(cuda_version="12.8", source="cuda_repo", kernel_module="proprietary",
                                           build_module=False, **DEBIAN12))
    assert failed and result["install"] == []
    assert "offers no Fabric Manager at the driver's version 570.172.08" in result["msg"]
    assert "nvidia-fabricmanager-570 570.133.20-1" in result["msg"]


def test_blackwell_board_gets_nvlsm(host, run_module):
    _switches(host, 2)
    host["sysfs"].add("0000:18:00.0", device="0x2901")      # B200
    host["fake"] = FakeHost({"nvidia-open-580": ["580.95.05-1"], "python3-pynvml": ["11.525.112-1"],
                             "nvidia-fabricmanager-580": ["580.95.05-1"], "nvlsm": ["2025.06.6-1"]})
    failed, result = run_module(plan, dict(cuda_version="13.0", source="cuda_repo", build_module=False, **DEBIAN12))
    assert not failed, result
    assert result["install"][-2:] == ["nvidia-fabricmanager-580=580.95.05-1", "nvlsm"]
    assert result["hold"] == ["nvidia-open-580", "nvidia-fabricmanager-580", "nvlsm"]
    host["fake"] = FakeHost({"nvidia-open-580": ["580.95.05-1"], "python3-pynvml": ["11.525.112-1"],
                             "nvidia-fabricmanager-580": ["580.95.05-1"]})
    failed, result = run_module(plan, dict(cuda_version="13.0", source="cuda_repo", build_module=False, **DEBIAN12))
    assert failed and "offers no nvlsm" in result["msg"]


def test_ubuntu_fabric_manager_from_multiverse(host, run_module):
    _switches(host)
    repo = dict(U22, **{"nvidia-fabricmanager-570": ["570.133.20-0ubuntu0.22.04.1"]})
    host["fake"] = FakeHost(repo)
    host["sources"].write_text("deb http://archive.ubuntu.com/ubuntu jammy main restricted universe\n")
    failed, result = run_module(plan, dict(cuda_version="12.8", kernel_module="proprietary", build_module=False,
                                           **UBUNTU22))
    assert not failed, result
    assert result["apt_sources"][0]["components"] == ["multiverse"]
    assert "nvidia-fabricmanager-570=570.133.20-0ubuntu0.22.04.1" in result["install"]
    assert "nvidia-fabricmanager-570" in result["hold"]


def test_el_fabric_manager_pinned_with_the_dnf_separator(host, run_module):
    _switches(host)
    host["fake"] = FakeHost({"nvidia-driver": ["570.172.08-1.el9"], "nvidia-fabric-manager": ["570.172.08-1"]},
                            bins=("dnf", "rpm"))
    failed, result = run_module(plan, dict(cuda_version="12.8", build_module=False, **ROCKY9))
    assert not failed, result
    assert result["install"][-1] == "nvidia-fabric-manager-570.172.08"
    assert result["fabric_manager"]["package"] == "nvidia-fabric-manager"


# driver_check: the post-check answer read in the pre-flight ---------------------------------------------
def _driver_version_check(host, run_module, monkeypatch, **args):
    """driver_version_check itself, on the same driver files as the plan's HostDriver."""
    paths = _driver_plan.HOST_DRIVER_PATHS
    monkeypatch.setattr(dvc, "SYS_MODULE_VERSION", paths["sys_module_version"])
    monkeypatch.setattr(dvc, "PROC_DRIVER_VERSION", paths["proc_driver_version"])
    monkeypatch.setattr(dvc, "NVML_LIB_DIRS", paths["lib_dirs"])
    failed, result = run_module(dvc, args)
    assert not failed, result
    return dict((k, v) for k, v in result.items() if k not in ("changed", "warnings", "invocation"))


def test_driver_check_is_not_returned_unless_asked(host, run_module):
    _lay_driver(host, "580.159.04", runfile=True, kernel="580.159.04")
    failed, result = run_module(plan, dict(cuda_version="12.4", **DEBIAN12))
    assert not failed and "driver_check" not in result


def test_driver_check_equals_driver_version_check_for_a_kept_driver(host, run_module, monkeypatch):
    _lay_driver(host, "580.159.04", runfile=True, kernel="580.159.04")
    failed, result = run_module(plan, dict(cuda_version="12.4", driver_check=True, **DEBIAN12))
    assert not failed, result
    check = result["driver_check"]
    assert (check["driver_version"], check["kernel_module_version"], check["reboot_required"]) == (
        "580.159.04", "580.159.04", False)
    assert check["compatible"] is True and check["cuda_version"] == "12.4"
    assert check == _driver_version_check(host, run_module, monkeypatch, cuda_version="12.4")


def test_the_cuda_request_is_resolved_once_with_the_driver_check(host, run_module, monkeypatch):
    # the planner resolves the CUDA version against the table; the driver check reuses that answer
    from ansible_collections.gpuhost.provision.plugins.module_utils import _driver_check
    calls = []

    def counting(real):
        def resolve(*args, **kwargs):
            calls.append(args[0])
            return real(*args, **kwargs)
        return resolve
    for where in (_driver_plan, _driver_check):
        monkeypatch.setattr(where, "resolve_min_driver", counting(where.resolve_min_driver))
    _lay_driver(host, "580.159.04", runfile=True, kernel="580.159.04")
    failed, result = run_module(plan, dict(cuda_version="12.4", driver_check=True, cuda_table={"12.4": "550"},
                                           **DEBIAN12))
    assert not failed, result
    assert calls == ["12.4"]
    assert result["driver_check"]["required_min_driver"].startswith("550")   # the cuda_table row
    assert result["driver_check"]["cuda_version"] == "12.4" and result["driver_check"]["compatible"] is True


def test_driver_check_sees_an_installed_driver_newer_than_the_loaded_module(host, run_module, monkeypatch):
    _lay_driver(host, "535.183.01", kernel="535.183.01")
    host["fake"] = FakeHost(D12, installed={"nvidia-driver": ("535.247.01-1~deb12u1", False)})
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, driver_check=True, **DEBIAN12))
    assert not failed, result
    check = result["driver_check"]
    assert check["reboot_required"] is True
    assert "installed driver 535.247.01 differs from loaded kernel module 535.183.01" in check["reboot_reasons"]
    assert check == _driver_version_check(host, run_module, monkeypatch, cuda_version="12.2")


# --- the driver's whole package set at one version, simulated by apt (recorded Debian 12 output, fixtures/apt) ---

def _recorded(name):
    with open(os.path.join(FIXTURES, "apt", name)) as handle:
        return handle.read()


OLD, NEW = "535.261.03-1", "535.309.01-0+deb12u1"
# the full set's seven roots, then what they pull in at the same version (libcuda1: libnvidia-ptxjitcompiler1 and
# libnvidia-pkcs11-openssl3)
D12_SET = ["nvidia-driver", "libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1",
           "firmware-nvidia-gsp", "nvidia-legacy-check", "nvidia-driver-libs", "nvidia-driver-bin",
           "xserver-xorg-video-nvidia", "nvidia-vdpau-driver", "nvidia-alternative", "libnvidia-ptxjitcompiler1",
           "libnvidia-pkcs11-openssl3", "nvidia-kernel-support", "libgl1-nvidia-glvnd-glx", "nvidia-egl-icd",
           "libnvidia-glcore", "libglx-nvidia0", "nvidia-egl-common", "libegl-nvidia0", "libnvidia-glvkspirv",
           "libnvidia-eglcore"]
ROOTS = 7


def _bookworm(installed=None, simulation=None):
    """A Debian 12 host whose index is the recorded one: both driver versions offered."""
    shown = plan_parsers.parse_apt_show(_recorded("debian12_show.txt"))
    repo = dict((name, [s["version"] for s in stanzas]) for name, stanzas in shown.items())
    repo.update({"nvidia-persistenced": ["535.171.04-1~deb12u1"], "python3-pynvml": ["11.525.112-1"]})
    fake = FakeHost(repo, host_repo=repo, installed=installed, simulation=simulation,
                    providers=plan_parsers.parse_apt_showpkg(_recorded("debian12_showpkg.txt")))
    fake.recorded_show = _recorded("debian12_show.txt")
    return fake


def _converged_at(version, held=True):
    state = dict((name, (version, held)) for name in D12_SET)
    state.update({"nvidia-persistenced": ("535.171.04-1~deb12u1", held), "python3-pynvml": ("11.525.112-1", False)})
    return state


def test_an_exact_version_pins_and_holds_the_drivers_whole_set(host, run_module):
    host["fake"] = _bookworm()
    failed, result = run_module(plan, dict(cuda_version="12.2", version="535.261.03", build_module=False, **DEBIAN12))
    assert not failed, result["msg"]
    assert result["install"] == ["%s=%s" % (name, OLD) for name in D12_SET[:ROOTS]] + [
        "nvidia-persistenced", "python3-pynvml"] + ["%s=%s" % (name, OLD) for name in D12_SET[ROOTS:]]
    assert set(D12_SET) | {"nvidia-persistenced"} == set(result["hold"])
    assert result["to_install"] == result["install"] and result["to_hold"] == result["hold"]
    assert result["release"] == [] and result["driver_change"] is None
    # apt itself was asked, read-only, with exactly the planned items
    simulation = [c for c in host["fake"].calls if c[0].endswith("apt-get")][0]
    assert simulation[:5] == ["/usr/bin/apt-get", "-s", "-q", "install", "--no-install-recommends"]
    # apt's solver log goes to the module's temporary directory, not /var/log/apt (seen in a check-mode run)
    assert "Dir::Log=%s" % (host["tmp"] / "gpuhost-apt-log") in simulation
    assert simulation[-len(result["install"]):] == result["install"]
    assert {"name": "nvidia-driver-libs", "from": None, "to": OLD} in result["simulation"]["changes"]


def test_the_plain_default_takes_the_security_version_for_the_whole_set(host, run_module):
    host["fake"] = _bookworm()
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and result["driver_version"] == "535.309.01"
    assert ["%s=%s" % (name, NEW) for name in D12_SET[ROOTS:]] == result["install"][-len(D12_SET[ROOTS:]):]


def test_apt_refusing_the_planned_set_refuses_in_one_line_before_any_change(host, run_module):
    host["fake"] = _bookworm(simulation=(100, _recorded("debian12_simulate_mixed.out"),
                                         _recorded("debian12_simulate_mixed.err")))
    failed, result = run_module(plan, dict(cuda_version="12.2", version="535.261.03", build_module=False, **DEBIAN12))
    assert failed and not result["satisfied"] and "\n" not in result["msg"]
    assert result["msg"] == (
        "Debian 12 (distribution archive) cannot install the planned driver packages (apt simulated the install: "
        "nothing was changed): libnvidia-cfg1 : Depends: nvidia-alternative (= 535.261.03-1) but "
        "535.309.01-0+deb12u1 is to be installed; E: Unable to correct problems, you have held broken packages.")
    assert not [c for c in host["fake"].calls if "install" in c and "-s" not in c]
    assert not [c for c in host["fake"].calls if c[0].endswith(("apt-mark", "dpkg"))]


def test_a_held_package_that_is_not_the_drivers_is_refused(host, run_module):
    host["fake"] = _bookworm(simulation=(0, _recorded("debian12_simulate_held.out"), ""))
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert failed and result["msg"].startswith("the planned install would change held package(s) that are not the "
                                               "driver's: nvidia-modprobe; release them")


@pytest.mark.parametrize("before, version, after, change", [
    (OLD, None, NEW, {"from": "535.261.03", "to": "535.309.01", "from_package": OLD, "to_package": NEW}),
    (NEW, "535.261.03", OLD, {"from": "535.309.01", "to": "535.261.03", "from_package": NEW, "to_package": OLD}),
])
def test_upgrade_and_downgrade_on_a_converged_host(host, run_module, before, version, after, change):
    host["fake"] = _bookworm(installed=_converged_at(before))
    args = dict(cuda_version="12.2", build_module=False, **DEBIAN12)
    if version:
        args["version"] = version
    failed, result = run_module(plan, args)
    assert not failed, result["msg"]
    assert result["driver_change"] == change
    assert result["to_install"] == ["%s=%s" % (name, after) for name in D12_SET[:ROOTS]] + [
        "%s=%s" % (name, after) for name in D12_SET[ROOTS:]]
    # holds released only for the driver's own packages that move, and set again on them after the install
    assert result["release"] == result["to_hold"] == D12_SET[:ROOTS] + D12_SET[ROOTS:]
    assert "nvidia-persistenced" in result["held"] and "nvidia-persistenced" not in result["release"]
    # the held driver packages are named in the simulation and belong to the set: not refused
    assert [c for c in host["fake"].calls if c[0].endswith("apt-get") and "-s" in c]


def test_a_second_run_after_the_change_has_nothing_to_do(host, run_module):
    host["fake"] = _bookworm(installed=_converged_at(OLD))
    failed, result = run_module(plan, dict(cuda_version="12.2", version="535.261.03", build_module=False, **DEBIAN12))
    assert not failed and result["to_install"] == [] and result["to_hold"] == [] and result["release"] == []
    assert result["driver_change"] is None and set(result["hold"]) == set(D12_SET) | {"nvidia-persistenced"}
    # the set came from dpkg's database; nothing was simulated
    assert not [c for c in host["fake"].calls if c[0].endswith("apt-get")]
    assert not [c for c in host["fake"].calls if c[0].endswith("apt-cache") and "show" in c]
    # one apt-cache call: the packages the pin closure reads from dpkg's database were asked with the driver's
    policy = [c for c in host["fake"].calls if c[0].endswith("apt-cache") and "policy" in c]
    assert len(policy) == 1 and set(D12_SET) <= set(policy[0]), policy


# ---------------------------------------------------------------------------------------------------------------------
# The driver from an APT repository of the site's own (source: mirror), or from a mirror of NVIDIA's CUDA repository
# ---------------------------------------------------------------------------------------------------------------------
ARMORED = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGV0ZXN0\n-----END PGP PUBLIC KEY BLOCK-----\n"
LOCAL = "http://127.0.0.1:8080/debian"


@pytest.fixture
def mirror(host, tmp_path, monkeypatch):
    """The role's repository files under tmp_path; a key on the host; Debian 12's driver offered by LOCAL."""
    keyrings, parts = tmp_path / "keyrings", host["parts"]
    keyrings.mkdir()
    monkeypatch.setattr(_apt_repo, "KEYRING_DIR", str(keyrings))
    monkeypatch.setattr(_apt_repo, "SOURCES_FILE", str(parts / "gpuhost-nvidia-driver-repo.sources"))
    key = tmp_path / "repo-key.asc"
    key.write_bytes(ARMORED)
    host["fake"].origins = dict(((name, version), LOCAL) for name, versions in D12.items() for version in versions)
    host["key"], host["keyrings"] = key, keyrings
    host["apt_repo"] = {"url": LOCAL, "suites": ["gpuhost"], "components": ["main"], "key_url": str(key)}
    return host


def mirror_params(host, **extra):
    params = dict(cuda_version="12.2", build_module=False, source="mirror", apt_repo=dict(host["apt_repo"]),
                  option_prefix="nvidia_driver_", **DEBIAN12)
    params.update(extra)
    return params


def test_mirror_plans_the_driver_from_the_repository_and_its_files(mirror, run_module):
    failed, result = run_module(plan, mirror_params(mirror))
    assert not failed and result["satisfied"], result
    assert result["source"] == "mirror" and result["candidate_version"] == D12_VER
    assert result["install"][0] == "nvidia-driver=" + D12_VER and result["apt_sources"] == []
    assert result["msg"].endswith("from the APT repository %s gpuhost (nvidia_driver_apt_repo) satisfies it" % LOCAL)
    repo = result["apt_repo"]
    key_file = str(mirror["keyrings"] / "gpuhost-nvidia-driver.asc")
    assert repo["key_file"] == key_file and not repo["key_current"] and not repo["sources_current"]
    assert repo["sources_content"].splitlines()[1:] == [
        "Types: deb", "URIs: " + LOCAL, "Suites: gpuhost", "Components: main", "Signed-By: " + key_file]
    assert result["todo"]["sources"] and "key_tmp" not in repo
    assert any(line.startswith("add the APT repository %s" % LOCAL) for line in result["would_change"])
    # the private index read the repository through the key just read, not as trusted
    seen = "\n".join(mirror["fake"].sources_seen)
    assert "URIs: %s" % LOCAL in seen and "Signed-By: " in seen and "Trusted" not in seen
    assert "gpuhost-nvidia-driver.asc" in seen.split("Signed-By: ")[1].split("\n")[0]


def test_mirror_files_current_nothing_to_write(mirror, run_module):
    failed, first = run_module(plan, mirror_params(mirror))
    repo = first["apt_repo"]
    with open(repo["key_file"], "wb") as handle:
        handle.write(ARMORED)
    with open(repo["sources_file"], "w") as handle:
        handle.write(repo["sources_content"])
    os.chmod(repo["key_file"], 0o644)
    os.chmod(repo["sources_file"], 0o644)
    mirror["fake"].host_repo = D12          # the host's index was refreshed after the role wrote them
    mirror["fake"].sources_seen = []
    failed, result = run_module(plan, mirror_params(mirror))
    assert not failed and result["apt_repo"]["key_current"] and result["apt_repo"]["sources_current"]
    assert not result["todo"]["sources"] and mirror["fake"].sources_seen == []


def test_mirror_without_the_driver_is_refused_naming_the_variable(mirror, run_module):
    # the packages are offered, but by another source than the repository: they must come from it
    mirror["fake"].origins = {}
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and not result["satisfied"]
    assert result["msg"] == ("CUDA 12.2 (toolkit compatibility) needs driver >= 535.54.03, but the best candidate the "
                             "APT repository %s gpuhost (nvidia_driver_apt_repo) offers is none: add it to the "
                             "repository in nvidia_driver_apt_repo, or request a lower CUDA version "
                             "(nvidia_driver_cuda_version)" % LOCAL)


def test_mirror_without_the_wanted_version_is_refused_naming_the_variables(mirror, run_module):
    failed, result = run_module(plan, mirror_params(mirror, version="535.261.03"))
    assert failed and result["msg"] == (
        "nvidia_driver_version 535.261.03 is not offered by the APT repository %s gpuhost (nvidia_driver_apt_repo) "
        "(best candidate %s): set nvidia_driver_version to an available version or leave it empty" % (LOCAL, D12_VER))


def test_mirror_lacking_one_package_at_the_version_is_refused(mirror, run_module):
    mirror["fake"].origins[("nvidia-smi", D12_VER)] = "http://deb.debian.org/debian"
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and result["msg"].startswith("the APT repository %s gpuhost (nvidia_driver_apt_repo) does not offer "
                                               "nvidia-smi %s" % (LOCAL, D12_VER))
    assert result["msg"].endswith("add it to the repository in nvidia_driver_apt_repo")


def test_unreachable_mirror_is_refused_in_one_line(mirror, run_module):
    mirror["fake"].update = (0, "Err:1 %s gpuhost InRelease\n" % LOCAL,
                             "W: Failed to fetch %s/dists/gpuhost/InRelease  Could not connect to 127.0.0.1:8080 "
                             "(127.0.0.1). - connect (111: Connection refused)\nW: Some index files failed to download."
                             % LOCAL)
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and "\n" not in result["msg"]
    assert result["msg"].startswith("the APT repository %s gpuhost (nvidia_driver_apt_repo) does not answer as a signed "
                                    "APT repository: check the url, suites, components and key_url in "
                                    "nvidia_driver_apt_repo and that the host reaches it: W: Failed to fetch" % LOCAL)


def test_mirror_whose_signature_does_not_verify_is_refused(mirror, run_module):
    mirror["fake"].update = (0, "", "W: GPG error: %s gpuhost InRelease: The following signatures couldn't be verified "
                                    "because the public key is not available: NO_PUBKEY 0123456789ABCDEF\nE: The "
                                    "repository '%s gpuhost InRelease' is not signed." % (LOCAL, LOCAL))
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and "nvidia_driver_apt_repo" in result["msg"] and "NO_PUBKEY" in result["msg"]


@pytest.mark.parametrize("key, expected", [
    (None, "nvidia_driver_apt_repo.key_url: cannot read the repository's signing key"),
    (b"<html>not found</html>", "is not an OpenPGP public key"),
])
def test_a_bad_key_is_refused_before_apt_is_asked(mirror, run_module, key, expected):
    if key is None:
        mirror["key"].unlink()
    else:
        mirror["key"].write_bytes(key)
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and expected in result["msg"], result["msg"]
    assert not [c for c in mirror["fake"].calls if c[0].endswith(("apt-get", "apt-cache"))]


def test_a_key_over_http_that_does_not_answer(mirror, run_module, monkeypatch):
    monkeypatch.setattr(urls, "fetch_url", lambda module, url, timeout=30: (None, {
        "status": -1, "msg": "Request failed: <urlopen error [Errno 111] Connection refused>"}))
    mirror["apt_repo"]["key_url"] = LOCAL + "/key.asc"
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and result["msg"] == (
        "nvidia_driver_apt_repo.key_url: cannot read the repository's signing key %s/key.asc (HTTP -1: Request failed: "
        "<urlopen error [Errno 111] Connection refused>): check the URL and that the host reaches it" % LOCAL)


@pytest.mark.parametrize("apt_repo, expected", [
    ({"url": "127.0.0.1:8080/debian"}, "nvidia_driver_apt_repo.url must be the repository's http://, https:// or "
                                       "file:// URL"),
    ({"suites": ["/"], "components": ["main"]}, "nvidia_driver_apt_repo: a flat repository (suite '/') has exactly one "
                                                "suite and no components"),
    ({"components": []}, "nvidia_driver_apt_repo.components: name the components of suite gpuhost"),
])
def test_bad_repository_options(mirror, run_module, apt_repo, expected):
    mirror["apt_repo"].update(apt_repo)
    failed, result = run_module(plan, mirror_params(mirror))
    assert failed and result["msg"].startswith(expected), result["msg"]


def test_mirror_on_el_names_the_cuda_repository_url(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", source="mirror", option_prefix="nvidia_driver_",
                                           apt_repo={"url": LOCAL, "key_url": "/k.asc"}, **ROCKY9))
    assert failed and result["msg"].endswith("point nvidia_driver_cuda_repo_url at the site's mirror of it instead")


def test_cuda_repo_mirror_on_debian_writes_source_and_key_without_the_keyring(host, run_module, monkeypatch, tmp_path):
    monkeypatch.setattr(_apt_repo, "KEYRING_DIR", str(tmp_path))
    monkeypatch.setattr(_apt_repo, "SOURCES_FILE", str(host["parts"] / "gpuhost-nvidia-driver-repo.sources"))
    asked = []
    monkeypatch.setattr(urls, "fetch_url", lambda module, url, timeout=30: (
        asked.append(url) or __import__("io").BytesIO(ARMORED), {"status": 200}))
    base = "https://mirror.example.internal/cuda/repos/"
    url = "https://mirror.example.internal/cuda/repos/debian12/x86_64/"
    host["fake"] = FakeHost({"cuda-drivers-535": ["535.247.01-1"], "python3-pynvml": ["11.525.112-1"]})
    host["fake"].origins = {("cuda-drivers-535", "535.247.01-1"): url}
    failed, result = run_module(plan, dict(cuda_version="12.2", branch=535, build_module=False, source="cuda_repo",
                                           cuda_repo_url=base, **DEBIAN12))
    assert not failed and result["satisfied"], result
    assert asked == [url + "3bf863cc.pub"] and result["cuda_repo"] is None
    assert result["apt_repo"]["url"] == url and result["apt_repo"]["suites"] == ["/"]
    assert "Components" not in result["apt_repo"]["sources_content"]
    assert "cuda-keyring" not in result["packages"] and result["install"][0] == "cuda-drivers-535=535.247.01-1"


def test_cuda_repo_mirror_on_el_reads_the_key_from_the_mirror(host, run_module):
    host["fake"] = FakeHost({"nvidia-driver": ["570.172.08-1.el9"]}, bins=("dnf", "rpm"))
    failed, result = run_module(plan, dict(cuda_version="12.8", build_module=False,
                                           cuda_repo_url="http://repo.site.internal/nvidia/cuda", **ROCKY9))
    assert not failed and result["satisfied"], result
    assert result["cuda_repo"]["url"] == "http://repo.site.internal/nvidia/cuda/rhel9/x86_64/"
    assert result["cuda_repo"]["gpgkey_url"] == "http://repo.site.internal/nvidia/cuda/rhel9/x86_64/D42D0685.pub"
    assert any(a == "--repofrompath=gpuhost-cuda,http://repo.site.internal/nvidia/cuda/rhel9/x86_64/"
               for c in host["fake"].calls for a in c)


def test_stale_repository_files_are_removed_when_no_repository_is_used(host, run_module, monkeypatch, tmp_path):
    monkeypatch.setattr(_apt_repo, "KEYRING_DIR", str(tmp_path))
    stale = host["parts"] / "gpuhost-nvidia-driver-repo.sources"
    monkeypatch.setattr(_apt_repo, "SOURCES_FILE", str(stale))
    stale.write_text("Types: deb\n")
    (tmp_path / "gpuhost-nvidia-driver.gpg").write_bytes(b"\x99")
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))
    assert not failed and result["apt_repo"] is None
    assert result["apt_repo_stale"] == [str(stale), str(tmp_path / "gpuhost-nvidia-driver.gpg")]
    assert result["todo"]["sources"]


def test_compute_flavour_on_debian_installs_libcuda_not_the_desktop_driver(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, package_flavour="compute",
                                           **DEBIAN12))
    assert not failed and result["satisfied"], result
    assert result["install"][:2] == ["libcuda1=" + D12_VER, "nvidia-kernel-dkms=" + D12_VER]
    assert "nvidia-driver" not in result["packages"] and "libcuda1" in result["hold"]
    assert result["package_flavour"] == "compute" and result["msg"].startswith("CUDA 12.2 needs >= 535.54.03: libcuda1")


def test_keep_index_keeps_the_private_index_for_a_real_install(host, run_module):
    failed, result = run_module(plan, dict(cuda_version="12.2", build_module=False, keep_index=True, **DEBIAN12))
    assert not failed and result["to_install"], result
    kept = host["tmp"].parent / "remote_tmp" / "gpuhost-apt-index"
    assert result["index_lists"] == str(kept / "lists") and (kept / "lists").is_dir()
    update = [c for c in host["fake"].calls if c[0].endswith("apt-get") and "update" in c]
    assert len(update) == 1 and "Dir::State::Lists=%s" % (kept / "lists") in update[0]


@pytest.mark.parametrize("check, cuda", [(True, "12.2"), (False, "12.8")])
def test_keep_index_keeps_nothing_in_check_mode_or_for_a_refusal(host, run_module, check, cuda):
    failed, result = run_module(plan, dict(cuda_version=cuda, build_module=False, keep_index=True,
                                           fail_on_unsatisfied=False, **DEBIAN12), check=check)
    assert not failed and "index_lists" not in result, result
    assert not (host["tmp"].parent / "remote_tmp" / "gpuhost-apt-index").exists()


@pytest.mark.parametrize("check", [False, True])
def test_an_index_kept_by_a_run_that_stopped_before_its_install_goes(host, run_module, check):
    # an earlier run's pre-flight kept its index, then the run stopped (killed, failed before the install, or --tags
    # without the install); this pre-flight has nothing to keep (a refusal) and removes it, except in check mode
    kept = host["tmp"].parent / "remote_tmp" / "gpuhost-apt-index"
    (kept / "lists" / "partial").mkdir(parents=True)
    then = time.time() - plan_packages.KEPT_INDEX_MAX_AGE - 60
    os.utime(kept, (then, then))
    failed, result = run_module(plan, dict(cuda_version="12.8", build_module=False, keep_index=True,
                                           fail_on_unsatisfied=False, **DEBIAN12), check=check)
    assert not failed and "index_lists" not in result, result
    assert kept.exists() is check


def test_sections_due_says_whether_the_role_has_anything_to_do_or_look_at(host, run_module, tmp_path):
    # a converged host: no section of todo has work
    first = run_module(plan, dict(cuda_version="12.2", build_module=False, **DEBIAN12))[1]
    wanted = dict(item.split("=", 1) if "=" in item else (item, "1.0-1") for item in first["install"])
    host["fake"] = FakeHost(D12, installed={n: (v, n in first["hold"]) for n, v in wanted.items()})
    fact, params = tmp_path / "gpuhost.fact", tmp_path / "gpuhost-nvidia-params.conf"
    base = dict(cuda_version="12.2", build_module=False, driver_check=True, local_fact=str(fact),
                module_params_file=str(params), **DEBIAN12)
    # no local fact yet: its section has to record the installed driver
    result = run_module(plan, base)[1]
    installed = result["driver_check"]["installed_version"]
    assert installed and not result["adopted"] and not any(result["todo"].values()), result["todo"]
    assert result["sections_due"] is True
    fact.write_text(json.dumps({"driver": {"version": installed}}), encoding="utf-8")
    assert run_module(plan, base)[1]["sections_due"] is False
    # module parameters asked for, or a parameters file left to remove; a signing key
    assert run_module(plan, dict(base, module_params=True))[1]["sections_due"] is True
    assert run_module(plan, dict(base, module_signing=True))[1]["sections_due"] is True
    params.write_text("options nvidia NVreg_EnableGpuFirmware=0\n", encoding="utf-8")
    assert run_module(plan, base)[1]["sections_due"] is True
    params.unlink()
    # a local fact of another driver, or one that is not the role's JSON
    fact.write_text(json.dumps({"driver": {"version": "525.147.05"}}), encoding="utf-8")
    assert run_module(plan, base)[1]["sections_due"] is True
    fact.write_text("driver=%s\n" % installed, encoding="utf-8")
    assert run_module(plan, base)[1]["sections_due"] is True
    # without the driver check there is no installed driver to compare: due
    assert run_module(plan, dict(base, driver_check=False))[1]["sections_due"] is True


def test_a_signing_key_does_not_make_the_sections_due_for_an_adopted_driver(host, run_module, tmp_path):
    # NVIDIA's .run installer's driver, kept as it is: the role builds nothing, so it signs nothing
    _lay_driver(host, "580.159.04", runfile=True, kernel="580.159.04")
    base = dict(cuda_version="12.4", driver_check=True, local_fact=str(tmp_path / "none.fact"), **DEBIAN12)
    result = run_module(plan, base)[1]
    assert result["adopted"] and result["sections_due"] is False, result
    assert run_module(plan, dict(base, module_signing=True))[1]["sections_due"] is False
    assert run_module(plan, dict(base, module_params=True))[1]["sections_due"] is True

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""package_offer end to end through AnsibleModule, with faked apt-cache/apt-get/dpkg-query/dnf/rpm."""
from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic

from ansible_collections.gpuhost.provision.plugins.module_utils import _packages
from ansible_collections.gpuhost.provision.plugins.modules import package_offer

MPS_VER = "535.261.03-1~deb12u1"


def policy(name, versions, installed=None):
    lines = ["%s:" % name, "  Installed: %s" % (installed or "(none)"),
             "  Candidate: %s" % (versions[0] if versions else "(none)"), "  Version table:"]
    for version in versions:
        lines += ["     %s 500" % version, "        500 http://mirror.example/debian bookworm/non-free amd64 Packages"]
    return "\n".join(lines) + "\n"


def is_tool(name, *words):
    return lambda argv: argv[0].endswith("/" + name) and all(w in argv for w in words)


def private(argv):
    return any(a.startswith("Dir::State::Lists=") for a in argv)


@pytest.fixture
def apt_host(commands, monkeypatch, tmp_path):
    """A Debian host: apt-cache, apt-get, dpkg-query on PATH; a sources.list.d with one file; module tmpdir."""
    commands.bins.update({n: "/usr/bin/" + n for n in ("apt-cache", "apt-get", "dpkg-query")})
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "debian.sources").write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
                                          "Components: main non-free\n")
    monkeypatch.setattr(_packages, "APT_SOURCES_DIR", str(parts))
    moddir = tmp_path / "moduletmp"
    moddir.mkdir()
    monkeypatch.setattr(basic.AnsibleModule, "tmpdir", property(lambda self: str(moddir)))
    commands.on(is_tool("dpkg-query"), rc=1, err="dpkg-query: no packages found matching nvidia-cuda-mps\n")
    commands.on(is_tool("apt-get", "update"), out="Reading package lists...\n")
    return {"parts": parts, "tmp": moddir, "before": sorted(os.listdir(str(parts)))}


def assert_host_untouched(commands, host=None):
    """Only reads ran: apt-get only ever updates a private index; no install, remove, hold or lock."""
    for argv in commands.argvs():
        tool = argv[0].rsplit("/", 1)[-1]
        assert tool in ("apt-cache", "apt-config", "apt-get", "dpkg-query", "dnf", "rpm"), argv
        if tool == "apt-get":
            assert argv[argv.index("-q") + 1] == "update" and private(argv), argv
        if tool == "dnf":
            assert "repoquery" in argv, argv
        assert not {"install", "remove", "hold", "unhold", "versionlock", "upgrade"} & set(argv), argv
    if host:
        assert sorted(os.listdir(str(host["parts"]))) == host["before"]


def test_apt_host_index_answers_without_a_download(apt_host, commands, run_module):
    commands.on(is_tool("apt-cache", "policy"), out=policy("nvidia-cuda-mps", [MPS_VER, "535.247.01-1~deb12u1"]))
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"], "private_index": True})
    assert not failed and not result["changed"], result
    assert result["manager"] == "apt" and result["index"] == "host" and result["missing"] == []
    assert result["packages"] == {"nvidia-cuda-mps": {"installed": None, "held": False, "candidate": MPS_VER,
                                                      "versions": [MPS_VER, "535.247.01-1~deb12u1"]}}
    apt_cache = [a for a in commands.argvs() if a[0].endswith("apt-cache")]
    # the host's index is read without writing apt's binary caches
    assert apt_cache == [["/usr/bin/apt-cache", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
                          "policy", "nvidia-cuda-mps"]]
    assert not [a for a in commands.argvs() if a[0].endswith("apt-get")]
    assert result["msg"] == "apt (host index): nvidia-cuda-mps %s offered, not installed" % MPS_VER
    assert_host_untouched(commands, apt_host)


@pytest.mark.parametrize("configured", [True, False])
def test_apt_host_index_reads_a_copy_of_the_source_cache(apt_host, commands, run_module, tmp_path, configured):
    """apt's source cache makes a query 0.1 s instead of 0.8 s; apt may rewrite it, so only a copy is handed over."""
    cache = tmp_path / "var-cache-apt" / "srcpkgcache.bin"
    cache.parent.mkdir()
    cache.write_bytes(b"apt source cache bytes")
    before = os.stat(str(cache))
    commands.bins["apt-config"] = "/usr/bin/apt-config"
    # A host whose apt.conf empties the setting (container images that delete apt's caches) answers SRC=''
    commands.on(is_tool("apt-config", "shell"), out="SRC='%s'\n" % (cache if configured else ""))
    commands.on(is_tool("apt-cache", "policy"), out=policy("nvidia-cuda-mps", [MPS_VER]))
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"]}, check=True)
    assert not failed and result["index"] == "host", result
    apt_cache = [a for a in commands.argvs() if a[0].endswith("apt-cache")]
    copy = apt_host["tmp"] / "gpuhost-srcpkgcache.bin"
    wanted = "Dir::Cache::srcpkgcache=%s" % (copy if configured else "")
    assert apt_cache == [["/usr/bin/apt-cache", "-o", "Dir::Cache::pkgcache=", "-o", wanted, "policy",
                          "nvidia-cuda-mps"]]
    assert copy.exists() is configured
    if configured:
        assert copy.read_bytes() == cache.read_bytes()
    after = os.stat(str(cache))
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert_host_untouched(commands, apt_host)


def test_apt_installed_and_held_from_dpkg(apt_host, commands, run_module):
    commands.on(is_tool("apt-cache", "policy"), out=policy("nvidia-cuda-mps", [MPS_VER], installed=MPS_VER))
    commands.on(is_tool("dpkg-query"), out="nvidia-cuda-mps\t%s\thi \n" % MPS_VER)
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"]}, check=True)
    assert not failed, result
    assert result["packages"]["nvidia-cuda-mps"]["installed"] == MPS_VER
    assert result["packages"]["nvidia-cuda-mps"]["held"] is True
    dpkg = [a for a in commands.argvs() if a[0].endswith("dpkg-query")]
    assert dpkg == [["/usr/bin/dpkg-query", "-W", "-f=${Package}\\t${Version}\\t${db:Status-Abbrev}\\n",
                     "nvidia-cuda-mps"]]


def test_apt_private_index_when_the_host_index_offers_nothing(apt_host, commands, run_module):
    commands.on(lambda a: is_tool("apt-cache", "policy")(a) and not private(a), out=policy("nvidia-cuda-mps", []))
    commands.on(lambda a: is_tool("apt-cache", "policy")(a) and private(a), out=policy("nvidia-cuda-mps", [MPS_VER]))
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"], "private_index": True})
    assert not failed, result
    assert result["index"] == "private" and result["packages"]["nvidia-cuda-mps"]["candidate"] == MPS_VER
    update = [a for a in commands.argvs() if a[0].endswith("apt-get")]
    assert len(update) == 1
    base = os.path.join(str(apt_host["tmp"]), "gpuhost-apt")
    assert "Dir::State::Lists=%s/lists" % base in update[0] and "Debug::NoLocking=1" in update[0]
    # the private index reads the host's sources through links, it does not copy or change them
    link = os.path.join(base, "sources.list.d", "debian.sources")
    assert os.readlink(link) == str(apt_host["parts"] / "debian.sources")
    assert_host_untouched(commands, apt_host)


def test_apt_not_offered_is_data_or_a_one_line_failure(apt_host, commands, run_module):
    commands.on(is_tool("apt-cache", "policy"), out=policy("nvidia-cuda-mps", []))
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"]})
    assert not failed and result["missing"] == ["nvidia-cuda-mps"], result
    assert result["packages"]["nvidia-cuda-mps"]["candidate"] is None
    assert not [a for a in commands.argvs() if a[0].endswith("apt-get")]     # private_index is off by default
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"], "fail_on_missing": True})
    assert failed and result["msg"] == (
        "package_offer: the APT package sources offer no nvidia-cuda-mps, and it is not installed: add the "
        "repository or component that carries it, or correct the name")
    assert result["missing"] == ["nvidia-cuda-mps"]
    assert_host_untouched(commands, apt_host)


def test_apt_private_update_failure_is_one_line(apt_host, commands, run_module):
    commands.on(is_tool("apt-cache", "policy"), out=policy("nvidia-cuda-mps", []))
    commands.on(is_tool("apt-get", "update"), rc=100, out="Ign:1 http://mirror.example/debian bookworm InRelease\n",
                err="W: Failed to fetch http://mirror.example/debian/dists/bookworm/InRelease\n"
                    "E: Some index files failed to download. They have been ignored, or old ones used instead.\n")
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"], "private_index": True})
    assert failed and "\n" not in result["msg"]
    assert result["msg"] == (
        "package_offer: apt-get update into a private index (to look up nvidia-cuda-mps; the host's own index stays "
        "untouched) failed (rc 100): "
        "E: Some index files failed to download. They have been ignored, or old ones used instead.; check the "
        "host's APT sources and its network, then run again")
    assert_host_untouched(commands, apt_host)


DNF_OUT = ("nvidia-container-toolkit\t1.17.8-1\nnvidia-container-toolkit\t1.18.0-1\n"
           "nvidia-container-toolkit-base\t1.18.0-1\n")


@pytest.fixture
def dnf_host(commands):
    commands.bins.update({n: "/usr/bin/" + n for n in ("dnf", "rpm")})
    commands.on(is_tool("dnf", "repoquery"), out=DNF_OUT)
    commands.on(is_tool("rpm"), rc=1, out="nvidia-container-toolkit-base\t1.17.8-1\n"
                                          "package nvidia-container-toolkit is not installed\n")
    return commands


def test_dnf_offered_and_installed(dnf_host, run_module):
    names = ["nvidia-container-toolkit", "nvidia-container-toolkit-base"]
    failed, result = run_module(package_offer, {"names": names}, check=True)
    assert not failed, result
    assert result["manager"] == "dnf" and result["index"] == "host" and result["missing"] == []
    assert result["packages"] == {
        "nvidia-container-toolkit": {"installed": None, "held": False, "candidate": "1.18.0-1",
                                     "versions": ["1.17.8-1", "1.18.0-1"]},
        "nvidia-container-toolkit-base": {"installed": "1.17.8-1", "held": False, "candidate": "1.18.0-1",
                                          "versions": ["1.18.0-1"]}}
    assert ["/usr/bin/dnf", "-q", "repoquery", "--qf", "%{name}\\t%{version}-%{release}\\n"] + names \
        in dnf_host.argvs()
    assert_host_untouched(dnf_host)


def test_dnf_not_offered_fails_when_asked(dnf_host, run_module):
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"], "fail_on_missing": True})
    assert failed and result["missing"] == ["nvidia-cuda-mps"]
    assert result["msg"].startswith("package_offer: the DNF package sources offer no nvidia-cuda-mps")
    assert_host_untouched(dnf_host)


def test_dnf_repoquery_failure_is_one_line(dnf_host, run_module):
    dnf_host.on(is_tool("dnf", "repoquery"), rc=1,
                err="Error: Failed to download metadata for repo 'cuda':\n Cannot download repomd.xml\n")
    failed, result = run_module(package_offer, {"names": ["nvidia-container-toolkit"]})
    assert failed and "\n" not in result["msg"]
    assert result["msg"].startswith("package_offer: /usr/bin/dnf -q repoquery")
    assert "failed (rc 1): Error: Failed to download metadata for repo 'cuda': Cannot download repomd.xml" \
        in result["msg"]


@pytest.mark.parametrize("args, msg", [
    ({"names": ["nvidia cuda mps"]}, "package_offer: 'nvidia cuda mps' is not a package name"),
    ({"names": ["-oAPT::Get::Assume-Yes=1"]}, "package_offer: '-oAPT::Get::Assume-Yes=1' is not a package name"),
    ({"names": ["nvidia-cuda-mps=535.261.03-1"]}, "package_offer: 'nvidia-cuda-mps=535.261.03-1' is not a package"),
    ({"names": []}, "package_offer: names is empty: give at least one package name"),
    ({"names": ["x"], "manager": "yum"}, "value of manager must be one of: auto, apt, dnf, got: yum"),
    ({"names": ["x"], "private_index": "sometimes"}, "private_index"),
    ({"names": {"a": 1}}, "names"),
    ({}, "missing required arguments: names"),
])
def test_bad_input_fails_in_one_line_before_any_command(apt_host, commands, run_module, args, msg):
    failed, result = run_module(package_offer, args)
    assert failed and msg in result["msg"] and "\n" not in result["msg"], result
    assert commands.argvs() == []


def test_no_package_manager_on_the_host(commands, run_module):
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"]})
    assert failed and result["msg"] == (
        "package_offer: neither apt-cache nor dnf is on this host's PATH: only APT (Debian, Ubuntu) and DNF "
        "(RHEL-compatible) hosts are supported")
    assert commands.argvs() == []


def test_chosen_manager_missing_its_binary(dnf_host, run_module):
    failed, result = run_module(package_offer, {"names": ["nvidia-cuda-mps"], "manager": "apt"})
    assert failed and result["msg"] == (
        "package_offer: apt-cache is not on this host's PATH, so the APT package sources cannot be read: install it "
        "or choose the package manager this host uses")
    assert dnf_host.argvs() == []

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parsers of module_utils._packages on recorded output, and its name check."""
from __future__ import annotations

import os

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _package_parsers as pp
from ansible_collections.gpuhost.provision.plugins.module_utils import _packages as pk
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import FIXTURES

D12_VER = "535.309.01-0+deb12u1"
# Recorded from a Debian 12 test host (apt-cache policy nvidia-driver, bookworm + non-free), trimmed.
POLICY_DEBIAN12 = """nvidia-driver:
  Installed: (none)
  Candidate: 535.309.01-0+deb12u1
  Version table:
     535.309.01-0+deb12u1 500
        500 http://deb.debian.org/debian bookworm-updates/non-free amd64 Packages
     535.247.01-1~deb12u1 500
        500 http://deb.debian.org/debian bookworm/non-free amd64 Packages
"""


def test_parse_apt_policy_recorded_output():
    parsed = pp.parse_apt_policy(POLICY_DEBIAN12)
    assert parsed == {"nvidia-driver": {"installed": None, "candidate": D12_VER,
                                        "versions": [D12_VER, "535.247.01-1~deb12u1"],
                                        "origins": {D12_VER: ["http://deb.debian.org/debian"],
                                                    "535.247.01-1~deb12u1": ["http://deb.debian.org/debian"]}}}
    installed = pp.parse_apt_policy(POLICY_DEBIAN12.replace("Installed: (none)", "Installed: " + D12_VER)
                                    .replace("     535.309", " *** 535.309"))
    assert installed["nvidia-driver"]["installed"] == D12_VER
    assert installed["nvidia-driver"]["versions"][0] == D12_VER


# apt-cache policy of a package installed from a local repository and offered by a flat one too: each version's
# origins, dpkg's status among them.
POLICY_MIRROR = """libcuda1:
  Installed: 535.309.01-0+deb12u1
  Candidate: 535.309.01-0+deb12u1
  Version table:
 *** 535.309.01-0+deb12u1 500
        500 http://127.0.0.1:8080/debian gpuhost/main amd64 Packages
        500 http://127.0.0.1:8081/flat  Packages
        100 /var/lib/dpkg/status
"""


def test_parse_apt_policy_origins():
    parsed = pp.parse_apt_policy(POLICY_MIRROR)["libcuda1"]
    assert parsed["origins"] == {D12_VER: ["http://127.0.0.1:8080/debian", "http://127.0.0.1:8081/flat",
                                           "/var/lib/dpkg/status"]}
    assert pp.same_uri("http://127.0.0.1:8081/flat/", parsed["origins"][D12_VER][1])
    assert not pp.same_uri("http://127.0.0.1:8080/debian2", parsed["origins"][D12_VER][0])


def test_parse_apt_policy_unknown_package_has_no_versions():
    # apt-cache policy prints the name and nothing else for a package no source knows
    assert pp.parse_apt_policy("nvidia-cuda-mps:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n") == {
        "nvidia-cuda-mps": {"installed": None, "candidate": None, "versions": [], "origins": {}}}


@pytest.mark.parametrize("line, expected", [
    ("nvidia-driver\t535.309.01-0+deb12u1\tii \n", ("535.309.01-0+deb12u1", False)),
    ("nvidia-driver\t535.309.01-0+deb12u1\thi \n", ("535.309.01-0+deb12u1", True)),
    ("nvidia-driver\t535.309.01-0+deb12u1\trc \n", (None, False)),      # removed, configuration left
    ("nvidia-driver\t\tun \n", (None, False)),
    ("", (None, False)),
])
def test_parse_dpkg_status(line, expected):
    assert pp.parse_dpkg_status(line, ["nvidia-driver"]) == {"nvidia-driver": expected}


def test_parse_name_version_lines_keeps_order_and_drops_repeats():
    out = "a\t1.0-1\na\t1.1-1\na\t1.0-1\nb\t2-1\nnot a line\n"
    assert pp.parse_name_version_lines(out) == {"a": ["1.0-1", "1.1-1"], "b": ["2-1"]}


@pytest.mark.parametrize("names, ok", [
    (["nvidia-cuda-mps", "libnvidia-ml1", "g++", "kernel-devel-5.14.0-427.el9.x86_64", "python3_foo"], True),
    ([], False), (["-o"], False), (["a b"], False), (["pkg=1.0"], False), (["pkg/stable"], False), ([None], False),
])
def test_check_names(names, ok):
    if ok:
        pk.check_names(names)
    else:
        with pytest.raises(pk.PackageQueryError):
            pk.check_names(names)


def test_unknown_manager_is_refused():
    with pytest.raises(pk.PackageQueryError, match="manager must be one of auto, apt, dnf, not 'zypper'"):
        pk.packages_for(None, "zypper")


class FakeModule(object):
    def __init__(self, bins, answer):
        self.bins = bins
        self.answer = answer
        self.calls = []

    def get_bin_path(self, name, required=False):
        return "/usr/bin/" + name if name in self.bins else None

    def run_command(self, argv, environ_update=None):
        self.calls.append((argv, environ_update))
        return self.answer


def test_installed_versions_dpkg_counts_held_and_skips_removed():
    out = ("nvidia-driver\t535.309.01-0+deb12u1\thi \nlibnvidia-ml1\t535.309.01-0+deb12u1\tii \n"
           "nvidia-kernel-common\t525.1-1\trc \n")
    module = FakeModule({"dpkg-query", "rpm"}, (1, out, "dpkg-query: no packages found matching nvidia-driver-[0-9]*\n"))
    assert pk.installed_versions(module, ["nvidia-driver", "nvidia-driver-[0-9]*"], ["x"]) == [
        "535.309.01-0+deb12u1", "535.309.01-0+deb12u1"]
    argv, env = module.calls[0]
    assert argv[0] == "/usr/bin/dpkg-query" and argv[-2:] == ["nvidia-driver", "nvidia-driver-[0-9]*"]
    assert env == {"LANG": "C", "LC_ALL": "C"}


def test_installed_versions_rpm_and_neither():
    module = FakeModule({"rpm"}, (1, "nvidia-driver\t570.124.06\npackage kmod-nvidia* is not installed\n", ""))
    assert pk.installed_versions(module, ["x"], ["nvidia-driver", "kmod-nvidia*"]) == ["570.124.06"]
    assert module.calls[0][0][:4] == ["/usr/bin/rpm", "-q", "--qf", "%{NAME}\\t%{VERSION}\\n"]
    nothing = FakeModule(set(), (0, "", ""))
    assert pk.installed_versions(nothing, ["x"], ["y"]) == [] and nothing.calls == []


# --- apt-cache show / showpkg, apt-get -s, dpkg's control fields: recorded on Debian 12 (fixtures/apt/README.md) ---

def _apt(name):
    with open(os.path.join(FIXTURES, "apt", name)) as handle:
        return handle.read()


def test_parse_apt_show_reads_every_version_with_its_source_and_dependencies():
    shown = pp.parse_apt_show(_apt("debian12_show.txt"))
    versions = [s["version"] for s in shown["nvidia-driver"]]
    assert versions == ["535.309.01-0+deb12u1", "535.261.03-1"]
    old = shown["nvidia-driver"][1]
    assert old["source"] == "nvidia-graphics-drivers" and old["source_version"] == "535.261.03-1"
    assert ("nvidia-driver-libs", "=", "535.261.03-1") in [alt for group in old["depends"] for alt in group]
    # Pre-Depends first, then Depends; alternatives stay together
    assert old["depends"][0] == [("nvidia-installer-cleanup", None, None)]
    assert [("nvidia-kernel-dkms", "=", "535.261.03-1"), ("nvidia-kernel-535.261.03", None, None),
            ("nvidia-open-kernel-535.261.03", None, None)] in old["depends"]
    assert "nvidia-driver-any" in old["provides"]
    # a binary without a Source field is its own source
    assert shown["libc6"][0]["source"] in ("glibc", "libc6")


@pytest.mark.parametrize("text, expected", [
    ("libc6 (>= 2.34), perl:any, foo [amd64] | bar (<< 2) <!nocheck>",
     [[("libc6", ">=", "2.34")], [("perl", None, None)], [("foo", None, None), ("bar", "<<", "2")]]),
    ("", []),
    (None, []),
])
def test_parse_relations(text, expected):
    assert pp.parse_relations(text) == expected


def test_parse_apt_showpkg_reverse_provides():
    providers = pp.parse_apt_showpkg(_apt("debian12_showpkg.txt"))
    assert ("nvidia-kernel-support", "535.261.03-1") in providers["nvidia-kernel-support--v1"]
    assert ("nvidia-kernel-support", "535.309.01-0+deb12u1") in providers["nvidia-kernel-support--v1"]


def test_apt_simulation_of_a_mixed_set_is_refused_with_apts_reason():
    answer = pp.parse_apt_simulation(100, _apt("debian12_simulate_mixed.out"), _apt("debian12_simulate_mixed.err"))
    assert not answer["ok"] and answer["changes"] == []
    assert answer["reason"] == ("libnvidia-cfg1 : Depends: nvidia-alternative (= 535.261.03-1) but 535.309.01-0+deb12u1 "
                                "is to be installed; E: Unable to correct problems, you have held broken packages.")


def test_apt_simulation_of_the_closure_goes_ahead():
    answer = pp.parse_apt_simulation(0, _apt("debian12_simulate_closure.out"), _apt("debian12_simulate_closure.err"))
    assert answer["ok"] and answer["reason"] is None and answer["held"] == [] and answer["removals"] == []
    changes = dict((c["name"], c) for c in answer["changes"])
    assert changes["nvidia-driver"] == {"name": "nvidia-driver", "from": None, "to": "535.261.03-1"}
    # another source package, left to apt: the host's nvidia-modprobe (held, 535.161.07) satisfies (>= 535)
    assert "nvidia-modprobe" not in changes and changes["nvidia-support"]["to"] == "20220217+3~deb12u1"


def test_apt_simulation_names_held_packages_it_would_change():
    answer = pp.parse_apt_simulation(0, _apt("debian12_simulate_held.out"), _apt("debian12_simulate_held.err"))
    assert answer["ok"] and answer["held"] == ["nvidia-modprobe"]
    assert answer["changes"] == [{"name": "nvidia-modprobe", "from": "535.161.07-1~deb12u1",
                                  "to": "535.309.01-0+deb12u1"}]


def test_apt_simulation_reason_is_bounded_and_removals_are_read():
    answer = pp.parse_apt_simulation(100, "Remv nvidia-kernel-dkms [535.261.03-1]\n", "E: " + "x" * 900)
    assert answer["removals"] == [{"name": "nvidia-kernel-dkms", "version": "535.261.03-1"}]
    assert not answer["ok"] and len(answer["reason"]) == pp.REASON_LIMIT and answer["reason"].endswith("...")


def test_parse_dpkg_control_reads_installed_packages_only():
    out = ("ii \tnvidia-driver\t535.261.03-1\tnvidia-graphics-drivers\t535.261.03-1\tnvidia-installer-cleanup\t"
           "nvidia-driver-libs (= 535.261.03-1)\tnvidia-driver-any\n"
           "rc \told-thing\t1.0\t\t\t\t\t\n"
           "hi \tnvidia-kernel-support\t535.261.03-1\tnvidia-graphics-drivers\t535.261.03-1\t\t"
           "nvidia-alternative (= 535.261.03-1)\tnvidia-kernel-support--v1, nvidia-kernel-support-any\n")
    stanzas, providers = pp.parse_dpkg_control(out)
    assert sorted(stanzas) == ["nvidia-driver", "nvidia-kernel-support"]
    assert stanzas["nvidia-driver"][0]["depends"] == [[("nvidia-installer-cleanup", None, None)],
                                                      [("nvidia-driver-libs", "=", "535.261.03-1")]]
    assert providers["nvidia-kernel-support--v1"] == [("nvidia-kernel-support", "535.261.03-1")]


# dnf's answers are written after dnf's documented output (no EL host is reachable here to record them)
DNF_RESOLVED = """Dependencies resolved.
================================================================================
 Package                   Arch    Version               Repository       Size
================================================================================
Installing:
 nvidia-driver             x86_64  3:570.172.08-1.el10   cuda-rhel10     1.2 M
 nvidia-driver-libs        x86_64  3:570.172.08-1.el10   cuda-rhel10      80 M

Transaction Summary
================================================================================
Install  2 Packages

Total download size: 81 M
Operation aborted.
"""
DNF_PROBLEM = """Error:
 Problem: package nvidia-driver-3:570.172.08-1.el10.x86_64 requires nvidia-driver-libs = 3:570.172.08-1.el10, but none of the providers can be installed
  - cannot install the best candidate for the job
"""


def test_dnf_simulation():
    answer = pp.parse_dnf_simulation(1, DNF_RESOLVED, "")
    assert answer["ok"] and [c["name"] for c in answer["changes"]] == ["nvidia-driver", "nvidia-driver-libs"]
    assert answer["changes"][0]["to"] == "570.172.08-1.el10"
    answer = pp.parse_dnf_simulation(1, "", DNF_PROBLEM)
    assert not answer["ok"] and answer["reason"].startswith("Error:; Problem: package nvidia-driver-3:570.172.08")

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parsers of module_utils._packages on recorded output, and its name check."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _packages as pk

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
    parsed = pk.parse_apt_policy(POLICY_DEBIAN12)
    assert parsed == {"nvidia-driver": {"installed": None, "candidate": D12_VER,
                                        "versions": [D12_VER, "535.247.01-1~deb12u1"]}}
    installed = pk.parse_apt_policy(POLICY_DEBIAN12.replace("Installed: (none)", "Installed: " + D12_VER)
                                    .replace("     535.309", " *** 535.309"))
    assert installed["nvidia-driver"]["installed"] == D12_VER
    assert installed["nvidia-driver"]["versions"][0] == D12_VER


def test_parse_apt_policy_unknown_package_has_no_versions():
    # apt-cache policy prints the name and nothing else for a package no source knows
    assert pk.parse_apt_policy("nvidia-cuda-mps:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n") == {
        "nvidia-cuda-mps": {"installed": None, "candidate": None, "versions": []}}


@pytest.mark.parametrize("line, expected", [
    ("nvidia-driver\t535.309.01-0+deb12u1\tii \n", ("535.309.01-0+deb12u1", False)),
    ("nvidia-driver\t535.309.01-0+deb12u1\thi \n", ("535.309.01-0+deb12u1", True)),
    ("nvidia-driver\t535.309.01-0+deb12u1\trc \n", (None, False)),      # removed, configuration left
    ("nvidia-driver\t\tun \n", (None, False)),
    ("", (None, False)),
])
def test_parse_dpkg_status(line, expected):
    assert pk.parse_dpkg_status(line, ["nvidia-driver"]) == {"nvidia-driver": expected}


def test_parse_name_version_lines_keeps_order_and_drops_repeats():
    out = "a\t1.0-1\na\t1.1-1\na\t1.0-1\nb\t2-1\nnot a line\n"
    assert pk.parse_name_version_lines(out) == {"a": ["1.0-1", "1.1-1"], "b": ["2-1"]}


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

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After converge the linker cache lists no NVIDIA library whose file is gone (prepare left one there)."""
import re

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts


def _nvidia_cache_entries(host):
    out = host.check_output("ldconfig -p")
    return [line.split(" => ", 1)[1].strip() for line in out.splitlines()
            if " => " in line and re.search(r"/lib(cuda|nvidia-)[^/]*$", line.split(" => ", 1)[1].strip())]


def test_cache_no_longer_lists_the_removed_library(host):
    assert not [p for p in _nvidia_cache_entries(host) if "libnvidia-ml.so" in p]


def test_every_nvidia_library_in_the_cache_exists(host):
    missing = [p for p in _nvidia_cache_entries(host) if not host.file(p).exists]
    assert not missing


def test_the_stand_in_package_is_what_passed_the_pre_flight(host):
    assert host.package("nvidia-container-toolkit").version == "0.0.0~stand-in"
    assert not host.file("/usr/bin/nvidia-ctk").exists
    assert not host.file("/etc/cdi/nvidia.yaml").exists

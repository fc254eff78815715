# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness itself: systemd runs as PID 1 in each test host and the converge really reached it."""
from __future__ import annotations

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts  # podman://<container> for each host of this scenario


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), state


def test_converge_wrote_the_marker_for_this_distribution(host):
    marker = host.file("/etc/gpuhost-smoke")
    assert marker.is_file
    assert marker.mode == 0o644
    release = host.system_info.release.split(".")[0]
    assert marker.content_string == f"Debian {release}\n"


def test_non_free_components_are_configured(host):
    sources = host.file("/etc/apt/sources.list").content_string
    for component in ("contrib", "non-free", "non-free-firmware"):
        assert f" {component}" in sources
    assert "-security" in sources and "-updates" in sources

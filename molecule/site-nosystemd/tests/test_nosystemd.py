# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml and validate.yml on a host whose PID 1 is not systemd."""
from __future__ import annotations

import re

import molecule_hosts
import playbook_run

testinfra_hosts = molecule_hosts.testinfra_hosts  # podman://<container> for each host of this scenario


def test_pid1_is_not_systemd(host):
    assert host.file("/proc/1/comm").content_string.strip() != "systemd"
    assert not host.file("/run/systemd/system").exists


def test_the_driver_is_installed_and_held_but_no_unit_or_user_was_made(host):
    assert host.package("libcuda1").is_installed      # the compute set (nvidia_driver_package_flavour's default)
    assert "libcuda1" in host.run("apt-mark showhold").stdout.split()
    assert not host.file("/etc/systemd/system/nvidia-persistenced.service").exists
    assert not host.user("nvidia-persistenced").exists


def test_site_summary_says_what_it_did_without_systemd(host):
    run = playbook_run.run_playbook("playbooks/site.yml", check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "persistenced no systemd on this host: no unit written or enabled" in run.stdout, run.stdout[-3000:]


def test_validate_runs_every_check_and_exits_0_on_a_host_that_needs_no_gpu(host):
    run, changed = playbook_run.run_and_diff("playbooks/validate.yml", {"validate_cuda_version": "12.2",
                                                                        "validate_expect_gpu": False})
    assert run.returncode == 0, run.stdout[-3000:]
    row = re.search(r'"(gpuhost-site-nosystemd-debian12 \|[^"]*)"', run.stdout).group(1)
    assert re.match(r"gpuhost-site-nosystemd-debian12 \| OK \| 535\.\d+\.\d+ \| 0/0 \| 12\.2\.2 \| 0 \| n/a \(no systemd\) \| "
                    r"(n/a|0)$", row), row
    if row.endswith("| n/a"):    # an unprivileged container cannot read the kernel log: the table says so
        assert re.search(r"gpuhost-site-nosystemd-debian12: kernel log not readable \(/dev/kmsg: [^;]+; dmesg: [^)]+\): "
                         r"Xid errors not checked", run.stdout), run.stdout[-3000:]
    assert '"gpuhost-site-nosystemd-debian12: DCGM: n/a (no DCGM)"' in run.stdout, run.stdout[-3000:]
    assert re.search(r'"gpuhost-site-nosystemd-debian12: Secure Boot: (on|off|unknown) \(', run.stdout), run.stdout[-3000:]
    assert changed == []


def test_validate_flags_a_host_without_a_usable_driver_with_the_modules_reason(host):
    run, changed = playbook_run.run_and_diff("playbooks/validate.yml", {})
    output = run.stdout + run.stderr
    assert run.returncode == 2, output[-3000:]
    assert re.search(r"no usable NVIDIA driver and no NVIDIA GPU on the PCI bus: \S", output), output[-3000:]
    assert changed == []

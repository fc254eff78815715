# SPDX-License-Identifier: GPL-3.0-or-later
"""A driver laid out as the .run installer leaves it: kept when it satisfies the CUDA version, refused (host
untouched) when it does not; never replaced by packages, never held."""
from __future__ import annotations

import re
import time

import molecule_hosts
import playbook_run

testinfra_hosts = molecule_hosts.testinfra_hosts  # podman://<container> for each host of this scenario


def _version(host):
    return re.search(r"libnvidia-ml\.so\.(\d+\.\d+\.\d+)", host.run("ls /usr/lib/x86_64-linux-gnu/").stdout).group(1)


def test_no_driver_package_was_installed_or_held(host):
    listed = host.run("dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' 'nvidia*' 'libnvidia*' 'firmware-nvidia*'")
    installed = [line for line in listed.stdout.splitlines() if line.split()[1:2] and line.split()[1][1] == "i"]
    assert installed == [], installed
    assert host.run("apt-mark showhold").stdout.strip() == ""
    assert not host.file("/etc/modprobe.d/gpuhost-blacklist-nouveau.conf").exists
    assert not host.file("/etc/apt/sources.list.d/gpuhost-nvidia-driver.sources").exists


def test_the_kept_driver_is_the_one_laid_out_and_its_files_are_intact(host):
    version = _version(host)
    assert version.startswith("535.")
    lib = host.file("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")
    assert lib.is_symlink and lib.linked_to == "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so." + version
    assert host.file("/usr/bin/nvidia-uninstall").is_file


def test_the_other_roles_ran(host):
    unit = host.file("/etc/systemd/system/nvidia-persistenced.service")
    assert unit.is_file and "--persistence-mode" in unit.content_string
    assert host.run("systemctl is-enabled nvidia-persistenced.service").stdout.strip() == "enabled"
    assert host.user("nvidia-persistenced").shell == "/usr/sbin/nologin"


def test_site_summary_says_the_driver_was_kept(host):
    run = playbook_run.run_playbook("playbooks/site.yml", check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    version = _version(host)
    assert "kept driver %s (NVIDIA's .run installer), satisfies CUDA 12.2" % version in run.stdout, run.stdout[-3000:]


def test_a_cuda_version_the_driver_cannot_run_is_refused_and_nothing_changes(host):
    run, changed = playbook_run.run_and_diff("playbooks/site.yml", {"nvidia_driver_cuda_version": "12.4"})
    output = run.stdout + run.stderr
    assert run.returncode == 2, output[-3000:]
    version = _version(host)
    assert re.search(r"driver %s from NVIDIA's \.run installer \(/usr/lib/x86_64-linux-gnu/libnvidia-ml\.so\.%s, "
                     r"/usr/bin/nvidia-uninstall, /var/log/nvidia-installer\.log\) does not satisfy the request "
                     r"\(CUDA 12\.4 needs >= 550\.54\.14\)" % (re.escape(version), re.escape(version)), output), \
        output[-3000:]
    assert "never removes a driver it did not install" in output
    assert changed == []


def test_require_packages_refuses_while_the_runfile_driver_is_there(host):
    run, changed = playbook_run.run_and_diff("playbooks/site.yml", {"nvidia_driver_existing": "require_packages"})
    output = run.stdout + run.stderr
    assert run.returncode == 2 and "nvidia_driver_existing is require_packages" in output, output[-3000:]
    assert "remove it with nvidia-uninstall, then run again" in output
    assert changed == []


def test_validate_names_a_failed_daemon_on_a_host_without_gpus(host):
    # the daemon cannot start without a GPU ("Failed to query NVIDIA devices") and systemd keeps retrying it
    # (activating, auto-restart) until the start limit, then marks it failed; validate.yml says why in either state
    host.run("systemctl start nvidia-persistenced.service")
    try:
        for _attempt in range(40):      # settle: stop-post cleanup runs between the tries
            sub = host.run("systemctl show -p SubState --value nvidia-persistenced.service").stdout.strip()
            if sub in ("auto-restart", "failed"):
                break
            time.sleep(0.25)
        assert sub in ("auto-restart", "failed"), sub
        # a host that should have GPUs (validate_expect_gpu, the default) and has none: both findings, each in its words
        run, changed = playbook_run.run_and_diff("playbooks/validate.yml", {})
        output = run.stdout + run.stderr
        assert run.returncode == 2, output[-3000:]
        assert re.search(r"nvidia-persistenced cannot start \((activating|deactivating|failed)\): no NVIDIA GPU is on the PCI bus", output), \
            output[-3000:]
        assert "no usable NVIDIA driver and no NVIDIA GPU on the PCI bus" in output
        assert changed == []
    finally:
        host.run("systemctl stop nvidia-persistenced.service")
        host.run("systemctl reset-failed nvidia-persistenced.service")


def test_validate_without_gpus_expected_still_flags_a_missing_daemon_program(host):
    # validate_expect_gpu: false (image-build hosts) waives the GPU checks only: a unit whose program is gone (its
    # package removed, or here the runfile's binary) is still a problem, and so is a host with no driver at all
    # (tests/integration/playbooks/test_validate_expect_gpu.py)
    assert host.run("mv /usr/bin/nvidia-persistenced /usr/bin/nvidia-persistenced.away").rc == 0
    try:
        run, changed = playbook_run.run_and_diff("playbooks/validate.yml", {"validate_expect_gpu": False})
        output = run.stdout + run.stderr
        assert run.returncode == 2, output[-3000:]
        assert ("nvidia-persistenced.service is enabled but /usr/bin/nvidia-persistenced is missing (its package "
                "removed?)") in output, output[-3000:]
        assert "no NVIDIA driver installed" not in output, output[-3000:]
        assert changed == []
    finally:
        host.run("mv /usr/bin/nvidia-persistenced.away /usr/bin/nvidia-persistenced")

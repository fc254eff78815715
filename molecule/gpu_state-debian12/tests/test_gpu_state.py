# SPDX-License-Identifier: GPL-3.0-or-later
"""Real state after the gpu_state role: the boot unit and script on the host with Debian's nvidia-smi and
nvidia-persistenced, nothing of it on the host without NVIDIA userspace (refused, then withdrawn)."""
from __future__ import annotations

import pytest

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts

UNIT_NAME = "gpuhost-gpu-state.service"
UNIT = f"/etc/systemd/system/{UNIT_NAME}"
WANTS = f"/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"
SCRIPT = "/usr/local/sbin/gpuhost-gpu-state"
UUID = "GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"
# What the scenario's gpu_state_settings (molecule.yml) must become, in order: one nvidia-smi call per setting
# and GPU, no -i for "all", ECC mode not set at boot.
CALLS = [
    "-am 1",
    "-c EXCLUSIVE_PROCESS",
    "-i 0 -ac 1215,1410",
    "-i 0 -pl 250",
    "-i 0000:3b:00.0 -ac 1215,1410",
    "-i 0000:3b:00.0 -pl 250",
    f"-i {UUID} -pl 262.50",
]


def bare(host):
    return (getattr(host.backend, "name", "") or "").endswith("-bare")


@pytest.fixture
def gpu_host(host):
    if bare(host):
        pytest.skip("host without NVIDIA userspace")
    return host


@pytest.fixture
def bare_host(host):
    if not bare(host):
        pytest.skip("host with nvidia-smi")
    return host


def status(host):
    """The unit's status and journal, appended to assertion messages so a failure shows them."""
    return host.run(f"systemctl status {UNIT_NAME} --no-pager; journalctl -u {UNIT_NAME} -n 20 --no-pager").stdout


def show(host, *props):
    out = host.run("systemctl show " + " ".join(f"-p {p}" for p in props) + f" {UNIT_NAME}").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_unit_file(gpu_host):
    lines = molecule_hosts.managed_unit_lines(gpu_host, UNIT)
    for line in ("[Unit]", "Wants=nvidia-persistenced.service",
                 "After=nvidia-persistenced.service systemd-modules-load.service",
                 "[Service]", "Type=oneshot", "RemainAfterExit=yes", f"ExecStart={SCRIPT}",
                 "[Install]", "WantedBy=multi-user.target"):
        assert line in lines, line


def test_systemd_orders_it_after_the_real_persistenced_unit(gpu_host):
    props = show(gpu_host, "After", "Wants", "FragmentPath", "LoadState", "UnitFileState", "Type",
                 "RemainAfterExit", "ExecStart")
    assert props["LoadState"] == "loaded", status(gpu_host)
    assert props["FragmentPath"] == UNIT
    assert props["UnitFileState"] == "enabled"
    assert "nvidia-persistenced.service" in props["After"].split()
    assert "systemd-modules-load.service" in props["After"].split()
    assert "nvidia-persistenced.service" in props["Wants"].split()
    assert props["Type"] == "oneshot" and props["RemainAfterExit"] == "yes"
    assert f"path={SCRIPT} " in props["ExecStart"]
    # the unit it orders after is Debian's, from the nvidia-persistenced package
    persistenced = gpu_host.run("systemctl show -p FragmentPath -p LoadState nvidia-persistenced.service").stdout
    assert "LoadState=loaded" in persistenced
    assert "FragmentPath=/lib/systemd/system/nvidia-persistenced.service" in persistenced \
        or "FragmentPath=/usr/lib/systemd/system/nvidia-persistenced.service" in persistenced
    assert gpu_host.package("nvidia-persistenced").is_installed


def test_enabled_at_boot(gpu_host):
    assert gpu_host.run(f"systemctl is-enabled {UNIT_NAME}").stdout.strip() == "enabled", status(gpu_host)
    link = gpu_host.file(WANTS)
    assert link.is_symlink and link.linked_to == UNIT


def test_not_started_without_a_gpu(gpu_host):
    props = show(gpu_host, "ActiveState", "ExecMainStartTimestampMonotonic", "NRestarts")
    assert props["ActiveState"] == "inactive", status(gpu_host)
    assert props["ExecMainStartTimestampMonotonic"] == "0", status(gpu_host)
    assert gpu_host.run(f"journalctl -u {UNIT_NAME} -o cat --no-pager").stdout.strip() in ("", "-- No entries --")


def test_script_file_and_calls(gpu_host):
    script = gpu_host.file(SCRIPT)
    assert script.is_file
    assert (script.user, script.group, script.mode) == ("root", "root", 0o755)
    text = script.content_string
    assert text.startswith("#!/bin/sh\n#\n# Ansible managed")
    assert "NVIDIA_SMI=/usr/bin/nvidia-smi" in text.splitlines()
    calls = [line[len("set_gpu "):] for line in text.splitlines() if line.startswith("set_gpu ")]
    assert calls == CALLS
    assert "# ECC mode on: set when the role ran, kept by the board" in text
    assert " -e " not in text


def test_script_runs_every_call_against_the_real_nvidia_smi_and_fails_without_a_gpu(gpu_host):
    # Debian's nvidia-smi without a driver exits non-zero for every call: the script must try them all, say which
    # failed, and exit 1 so that the unit would show as failed at boot. Nothing can change (no GPU).
    result = gpu_host.run(SCRIPT)
    assert result.rc == 1, result.stdout + result.stderr
    failures = [line for line in result.stderr.splitlines() if line.startswith("gpuhost-gpu-state: ")]
    assert failures == [f"gpuhost-gpu-state: /usr/bin/nvidia-smi {c} failed with exit code 255" for c in CALLS], \
        result.stderr


def test_nvidia_smi_is_debians(gpu_host):
    assert gpu_host.package("nvidia-smi").is_installed
    assert gpu_host.file("/usr/bin/nvidia-smi").exists


def test_bare_host_has_neither_nvidia_smi_nor_the_boot_files(bare_host):
    assert not bare_host.exists("nvidia-smi")
    for path in (UNIT, SCRIPT, WANTS):
        assert not bare_host.file(path).exists, path
    assert bare_host.run(f"systemctl is-enabled {UNIT_NAME}").stdout.strip() in ("", "not-found"), status(bare_host)
    assert show(bare_host, "LoadState")["LoadState"] == "not-found"

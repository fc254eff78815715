# SPDX-License-Identifier: GPL-3.0-or-later
"""Real state after the mps role on a Debian 12 host without a GPU (inventory in ../molecule.yml)."""
from __future__ import annotations

import os
import re

import pytest

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts

UNIT_NAME = "nvidia-cuda-mps-control.service"
UNIT = f"/etc/systemd/system/{UNIT_NAME}"
BINARY = "/usr/bin/nvidia-cuda-mps-control"
PIPE = "/run/nvidia-mps"
LOG = "/var/log/nvidia-mps"
GPUS = "GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e,GPU-7c1d0e2f-0a9b-4c8d-9e7f-6a5b4c3d2e1f"
ENVIRONMENT = f"CUDA_MPS_PIPE_DIRECTORY={PIPE} CUDA_MPS_LOG_DIRECTORY={LOG} CUDA_VISIBLE_DEVICES={GPUS}"
SERVICE_LINES = [
    "Type=forking",
    f"Environment=CUDA_MPS_PIPE_DIRECTORY={PIPE}",
    f"Environment=CUDA_MPS_LOG_DIRECTORY={LOG}",
    f"Environment=CUDA_VISIBLE_DEVICES={GPUS}",
    "RuntimeDirectory=nvidia-mps",
    "RuntimeDirectoryMode=0755",
    "LogsDirectory=nvidia-mps",
    f"ExecStart={BINARY} -d",
    f"ExecStartPost=/bin/sh -c 'echo set_default_active_thread_percentage 50 | exec {BINARY}'",
    f"ExecStartPost=/bin/sh -c 'echo set_default_device_pinned_mem_limit 0 8G | exec {BINARY}'",
    f"ExecStartPost=/bin/sh -c 'echo set_default_device_pinned_mem_limit 1 512M | exec {BINARY}'",
    f"ExecStop=/bin/sh -c 'echo quit | exec {BINARY}'",
    "Restart=on-failure",
]


def journal(host):
    """The unit's status and journal, appended to assertion messages so that a failure shows them."""
    return host.run(f"systemctl status {UNIT_NAME} --no-pager; journalctl -u {UNIT_NAME} -n 40 --no-pager").stdout


def show(host, *props):
    out = host.run(f"systemctl show {UNIT_NAME} " + " ".join(f"-p {p}" for p in props)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def control(host, command):
    """Send one command to the running control daemon, as a client would (pipe directory from the unit)."""
    result = host.run(f"echo '{command}' | CUDA_MPS_PIPE_DIRECTORY={PIPE} {BINARY}")
    assert result.rc == 0, (command, result.stdout, result.stderr)
    return result.stdout.strip()


def test_package_installed_and_ships_the_binary(host):
    assert host.package("nvidia-cuda-mps").is_installed
    assert host.package("nvidia-cuda-mps").version.startswith("535.")
    binary = host.file(BINARY)
    assert binary.is_file and binary.mode & 0o111
    assert host.run(f"dpkg-query --search {BINARY}").stdout.startswith("nvidia-cuda-mps: ")


def test_unit_file_is_ours_with_the_settings_in_order(host):
    lines = molecule_hosts.managed_unit_lines(host, UNIT)
    service = lines[lines.index("[Service]") + 1:lines.index("[Install]")]
    assert [ln for ln in service if ln] == SERVICE_LINES
    assert "After=nvidia-persistenced.service" in lines
    assert "WantedBy=multi-user.target" in lines
    assert not any("User=" in ln for ln in lines)  # root: the control daemon starts servers under each client's user id


def test_systemd_reads_the_unit_as_written(host):
    props = show(host, "FragmentPath", "LoadState", "UnitFileState", "Type", "Environment", "After",
                 "RuntimeDirectory", "RuntimeDirectoryMode", "LogsDirectory", "Restart", "ExecStop")
    assert props["FragmentPath"] == UNIT
    assert props["LoadState"] == "loaded"
    assert props["UnitFileState"] == "enabled"
    assert props["Type"] == "forking"
    assert props["Environment"] == ENVIRONMENT
    assert "nvidia-persistenced.service" in props["After"].split()
    assert props["RuntimeDirectory"] == "nvidia-mps"
    assert props["RuntimeDirectoryMode"] == "0755"
    assert props["LogsDirectory"] == "nvidia-mps"
    assert props["Restart"] == "on-failure"
    posts = [ln for ln in host.run(f"systemctl show -p ExecStartPost {UNIT_NAME}").stdout.splitlines()
             if ln.startswith("ExecStartPost=")]
    assert [re.search(r"argv\[\]=/bin/sh -c echo (.*?) \| exec", ln).group(1) for ln in posts] == [
        "set_default_active_thread_percentage 50", "set_default_device_pinned_mem_limit 0 8G",
        "set_default_device_pinned_mem_limit 1 512M"]
    assert "echo quit" in props["ExecStop"]
    assert host.run(f"systemctl is-enabled {UNIT_NAME}").stdout.strip() == "enabled"
    assert host.file(f"/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}").linked_to == UNIT


def test_not_started_without_a_gpu(host):
    assert host.run(f"systemctl is-active {UNIT_NAME}").stdout.strip() == "inactive", journal(host)
    assert host.run("pgrep -x nvidia-cuda-mps").rc == 1
    # the pipe directory is systemd's (RuntimeDirectory=), never a file task's: no start, no directory
    assert not host.file(PIPE).exists


def test_client_profile_points_login_shells_at_the_pipe_directory(host):
    profile = host.file("/etc/profile.d/nvidia-mps.sh")
    assert (profile.user, profile.mode) == ("root", 0o644)
    assert f"export CUDA_MPS_PIPE_DIRECTORY={PIPE}" in profile.content_string.splitlines()
    assert host.run("bash -lc 'echo $CUDA_MPS_PIPE_DIRECTORY'").stdout.strip() == PIPE


def test_the_unit_starts_the_daemon_with_its_settings_and_stops_it_cleanly(host):
    """The control daemon needs no GPU until a client connects, so the unit itself can be exercised here."""
    started = host.run(f"systemctl start {UNIT_NAME}")
    try:
        assert started.rc == 0, journal(host)
        assert host.run(f"systemctl is-active {UNIT_NAME}").stdout.strip() == "active", journal(host)
        pid = show(host, "MainPID")["MainPID"]
        assert pid != "0" and host.file(f"/proc/{pid}/comm").content_string.strip() == "nvidia-cuda-mps"
        environ = host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout.splitlines()
        for pair in ENVIRONMENT.split():
            assert pair in environ, (pair, environ)
        pipe = host.file(PIPE)
        assert pipe.is_directory and pipe.mode == 0o755 and pipe.user == "root"
        assert host.file(f"{PIPE}/control").is_socket
        # the ExecStartPost lines reached the daemon, which holds the defaults
        assert control(host, "get_default_active_thread_percentage") == "50.0"
        assert control(host, "get_default_device_pinned_mem_limit 0") == "8G"
        assert control(host, "get_default_device_pinned_mem_limit 1") == "512M"
        log = host.file(f"{LOG}/control.log").content_string
        assert f"Starting control daemon using socket {PIPE}/control" in log
        for command in ("set_default_active_thread_percentage 50", "set_default_device_pinned_mem_limit 0 8G",
                        "set_default_device_pinned_mem_limit 1 512M"):
            assert f"Cmd:{command}" in log, log
    finally:
        stopped = host.run(f"systemctl stop {UNIT_NAME}")
    assert stopped.rc == 0, journal(host)
    assert host.run(f"systemctl is-active {UNIT_NAME}").stdout.strip() == "inactive", journal(host)
    assert show(host, "Result")["Result"] == "success", journal(host)
    assert host.run("pgrep -x nvidia-cuda-mps").rc == 1
    assert not host.file(PIPE).exists  # systemd removed the runtime directory at stop
    assert "Cmd:quit" in host.file(f"{LOG}/control.log").content_string  # ExecStop asked the daemon to quit


def _summary(host, name):
    directory = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
    instance = getattr(host.backend, "name", "")
    path = os.path.join(directory, f"mps-summary-{instance}-{name}.txt")
    if not os.path.exists(path):
        pytest.fail(f"no summary from the {name} pass at {path}")
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


SETTINGS = (f"{UNIT} (pipe {PIPE}, log {LOG}, GPUs {GPUS}, active threads 50%, pinned memory 0=8G,1=512M)")
NOT_STARTED = ("not started (no NVIDIA GPU visible on the PCI bus, mps_start: auto); it starts at boot once a GPU "
               "is present")
LEFT_RUNNING = ("already running, left as it is (no NVIDIA GPU visible on the PCI bus, mps_start: auto); "
                "its defaults verified")


@pytest.mark.parametrize("name,expected", [
    ("check", rf"^would install nvidia-cuda-mps 535\.\S+; {re.escape(SETTINGS)} would be written and enabled; "
              rf"{re.escape(NOT_STARTED)}$"),
    ("first", rf"^installed nvidia-cuda-mps 535\.\S+; {re.escape(SETTINGS)} written and enabled; "
              rf"{re.escape(NOT_STARTED)}$"),
    # the idempotence pass runs with a daemon started by hand (converge.yml)
    ("again", rf"^{re.escape(SETTINGS)} written and enabled; {re.escape(LEFT_RUNNING)}$"),
])
def test_the_summary_of_each_pass(host, name, expected):
    summary = _summary(host, name)
    assert "\n" not in summary
    assert re.match(expected, summary), summary

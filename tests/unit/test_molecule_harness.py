# SPDX-License-Identifier: GPL-3.0-or-later
"""The test hosts' harness in molecule/_shared: the create/destroy step's podman calls (platforms.py) and how a
command enters a container (container_exec.py). Against real containers they run in every scenario."""
from __future__ import annotations

import importlib.util
import json
import os
import pathlib

import pytest

SHARED = pathlib.Path(__file__).resolve().parents[2] / "molecule" / "_shared"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SHARED / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


platforms = _load("platforms")
container_exec = _load("container_exec")


def test_a_systemd_host_with_a_published_port(monkeypatch):
    monkeypatch.setenv("MOLECULE_PODMAN_EXECUTABLE", "/x/podman-labelled")
    argv = platforms.run_argv({"name": "n2", "image": "localhost/img", "pre_build_image": True, "groups": ["g"],
                               "command": "/lib/systemd/systemd --log-level=info", "systemd": "always",
                               "published_ports": ["127.0.0.1:22022:22"]})
    assert argv == ["/x/podman-labelled", "run", "-d", "--name", "n2", "--hostname", "n2", "--label", "owner=molecule",
                    "--systemd=always", "--publish=127.0.0.1:22022:22", "localhost/img",
                    "/lib/systemd/systemd", "--log-level=info"]


def test_a_host_without_systemd_gets_no_systemd_flag(monkeypatch):
    monkeypatch.delenv("MOLECULE_PODMAN_EXECUTABLE", raising=False)
    argv = platforms.run_argv({"name": "n", "image": "i", "pre_build_image": True, "command": ["sleep", "infinity"]})
    assert argv[0] == "podman" and not any(a.startswith("--systemd") for a in argv)
    assert argv[-3:] == ["i", "sleep", "infinity"]


@pytest.mark.parametrize("platform,message", [
    ({"name": "n", "image": "i", "pre_build_image": True, "privileged": True}, "does not read: privileged"),
    ({"name": "n", "image": "i"}, "only pre-built images"),
])
def test_a_platform_this_step_cannot_create_is_refused(platform, message):
    with pytest.raises(SystemExit, match=message):
        platforms.run_argv(platform)


def test_create_refuses_before_removing_or_starting_anything(monkeypatch):
    calls = []
    monkeypatch.setattr(platforms.subprocess, "run", lambda argv, **_kw: calls.append(argv))
    monkeypatch.setattr(platforms.sys, "argv", ["platforms.py", "create", json.dumps([
        {"name": "a", "image": "i", "pre_build_image": True}, {"name": "b", "image": "i", "devices": ["/dev/x"]}])])
    with pytest.raises(SystemExit, match="platform b"):
        platforms.main()
    assert calls == []


def test_create_makes_a_missing_bind_mount_directory_then_starts_the_host_with_it(tmp_path, monkeypatch):
    calls = []

    class Done:
        returncode = 0
        stderr = ""

    monkeypatch.delenv("MOLECULE_PODMAN_EXECUTABLE", raising=False)
    monkeypatch.setattr(platforms.subprocess, "run", lambda argv, **_kw: calls.append(argv) or Done())
    cache = tmp_path / "cache" / "ccache"
    monkeypatch.setattr(platforms.sys, "argv", ["platforms.py", "create", json.dumps([
        {"name": "a", "image": "i", "pre_build_image": True, "env": {"CCACHE_DIR": "/var/cache/c"},
         "volumes": [f"{cache}:/var/cache/c"]}])])
    assert platforms.main() == 0
    assert cache.is_dir()
    assert calls[0][:2] == ["podman", "rm"]
    assert f"--volume={cache}:/var/cache/c" in calls[1] and "--env=CCACHE_DIR=/var/cache/c" in calls[1]


def test_the_command_enters_every_namespace_with_the_containers_capabilities_and_environment():
    info = {"pid": 4242, "caps": ["chown", "kill"], "env": ["PATH=/usr/bin:/bin", "HOME=/root"], "cgroups": []}
    argv = container_exec.argv(info, ["/bin/sh", "-c", "id"])
    assert argv[:4] == ["nsenter", "--target", "4242", "--mount"]
    assert {"--uts", "--ipc", "--net", "--pid", "--cgroup", "--root", "--wd"} <= set(argv[:argv.index("setpriv")])
    assert argv[argv.index("--bounding-set") + 1] == "-all,+chown,+kill"
    assert argv[argv.index("--inh-caps") + 1] == "-all"
    assert argv[argv.index("env"):] == ["env", "-i", "PATH=/usr/bin:/bin", "HOME=/root", "/bin/sh", "-c", "id"]


def test_the_start_time_tells_a_reused_pid_from_the_same_process():
    mine = container_exec._start_time(os.getpid())  # pylint: disable=protected-access
    assert mine and mine.isdigit() and mine == container_exec._start_time(os.getpid())  # pylint: disable=protected-access
    assert container_exec._start_time(2 ** 22 + 1) is None  # pylint: disable=protected-access


def test_the_cgroups_to_join_are_the_containers_in_every_hierarchy(tmp_path, monkeypatch):
    # the hybrid layout of this machine: one directory per v1 hierarchy and `unified` for v2
    for top in ("cpu", "devices", "unified", "systemd"):
        (tmp_path / top / "libpod_parent" / "libpod-1").mkdir(parents=True)
        (tmp_path / top / "libpod_parent" / "libpod-1" / "cgroup.procs").write_text("")
    real = pathlib.Path
    monkeypatch.setattr(container_exec.pathlib, "Path",
                        lambda p="": tmp_path if str(p) == "/sys/fs/cgroup" else real(p))
    found = container_exec._cgroup_files("/libpod_parent/libpod-1")  # pylint: disable=protected-access
    assert found == [str(tmp_path / t / "libpod_parent" / "libpod-1" / "cgroup.procs")
                     for t in ("cpu", "devices", "systemd", "unified")]
    assert container_exec._cgroup_files("") == []  # pylint: disable=protected-access


def test_podman_exec_when_asked(monkeypatch):
    monkeypatch.setenv("GPUHOST_CONTAINER_EXEC", "podman")
    assert not container_exec.enabled()


def test_a_container_that_cannot_be_entered_goes_through_podman_exec(monkeypatch):
    info = {"pid": 1, "start": "1", "caps": [], "env": [], "cgroups": ["/nonexistent/cgroup.procs"]}
    # joining a cgroup that is not there fails in the child before nsenter starts: not usable
    assert container_exec._works(info) is False  # pylint: disable=protected-access
    monkeypatch.setattr(container_exec, "target", lambda name, podman: dict(info, entered=False))
    calls = []
    monkeypatch.setattr(container_exec.subprocess, "run", lambda argv, **_kw: calls.append(argv))
    container_exec.run("c1", ["id"], "podman")
    assert calls == [["podman", "exec", "-i", "c1", "id"]]

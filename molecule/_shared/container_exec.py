# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command in a test container by entering its namespaces (`nsenter`) instead of `podman exec`.

`podman exec` starts podman itself, conmon and the OCI runtime for every command: about 0.3 s of wall time and
0.06 s of the caller's CPU here under load (10 calls: 3.3 s), against 4 ms for `nsenter`. Every task of a scenario
and every command of its testinfra tests is one such call, so the test hosts' connection
(connection_plugins/podman.py) and the testinfra backend (`molecule_hosts.py`) go through here.

What a command gets, as under `podman exec`: the container's cgroups (joined before `nsenter` starts, so that
the container's device rules apply: without them `nvidia-smi` meets other errors than in the container),
its mount, UTS, IPC, network, PID and cgroup namespaces, its root and working directory, only the
container's capabilities (`setpriv` in the container drops the rest of the bounding set before the command
starts), and the container's environment (`env -i` with the variables podman would set). What differs: no
seccomp filter applies. Used only as root against a rootful container (a rootless one has a user namespace
to enter as well); otherwise, or with GPUHOST_CONTAINER_EXEC=podman, callers use `podman exec`.

The container's PID, capabilities, environment and cgroups come from one `podman inspect`, and one `true` run
this way says whether entering works here (where it does not, every command of that container goes through
`podman exec`); both are kept in a cache file per container name and used again while the same process (PID and
start time) is the container's PID 1.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess

CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", str(pathlib.Path.home() / ".cache"))) / "gpuhost-container-exec"


def enabled() -> bool:
    """nsenter is used when wanted, present, and the caller is root."""
    return (os.environ.get("GPUHOST_CONTAINER_EXEC", "nsenter") != "podman" and os.geteuid() == 0
            and shutil.which("nsenter") is not None)


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            # the fields after the command name (which may hold spaces): the start time is the 22nd field
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _inspect(name: str, podman: str) -> dict:
    out = subprocess.run([podman, "inspect", "--type", "container", "--format", "json", name],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"podman inspect {name}: {out.stderr.strip() or out.stdout.strip()}")
    data = json.loads(out.stdout)[0]
    pid = int(data["State"]["Pid"])
    if not data["State"].get("Running") or pid <= 0:
        raise RuntimeError(f"container {name} is not running")
    # what `podman exec` sets: the image's and the container's variables, not the one podman gives PID 1 only
    env = [item for item in data["Config"].get("Env") or [] if not item.startswith("container_uuid=")]
    if not any(item.startswith("HOME=") for item in env):
        env.append("HOME=/root")
    caps = sorted(c.lower().removeprefix("cap_") for c in data.get("EffectiveCaps") or [])
    return {"pid": pid, "start": _start_time(pid), "env": env, "caps": caps,
            "cgroups": _cgroup_files(data["State"].get("CgroupPath") or "")}


def _cgroup_files(path: str) -> list[str]:
    """The `cgroup.procs` of the container's cgroup in every hierarchy mounted under /sys/fs/cgroup (cgroup v1,
    the hybrid layout, or v2 alone); none when podman gave no cgroup path."""
    if not path.startswith("/"):
        return []
    root = pathlib.Path("/sys/fs/cgroup")
    # cgroup v2 alone: one tree at the root; v1 or hybrid: one directory per hierarchy (`unified` for v2)
    tops = [root] if (root / "cgroup.procs").exists() else sorted(p for p in root.iterdir() if p.is_dir())
    files = [str(top / path.lstrip("/") / "cgroup.procs") for top in tops]
    return [f for f in files if os.path.exists(f)]


def join_cgroups(info: dict) -> None:
    """Move the calling process into the container's cgroups (a subprocess's preexec_fn: the child, before exec)."""
    pid = str(os.getpid())
    for path in info["cgroups"]:
        with open(path, "w", encoding="ascii") as handle:
            handle.write(pid)


def target(name: str, podman: str = "podman") -> dict:
    """The container's PID 1, environment and capabilities, from the cache while its PID 1 is the same process."""
    path = CACHE / f"{name}.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if "entered" in info and info["start"] and _start_time(info["pid"]) == info["start"]:
            return info
    except (OSError, ValueError, KeyError):
        pass
    info = _inspect(name, podman)
    info["entered"] = bool(info["cgroups"]) and _works(info)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info), encoding="utf-8")
    os.replace(tmp, path)
    return info


def _entered(info: dict, command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv(info, command), preexec_fn=lambda: join_cgroups(info),  # pylint: disable=subprocess-popen-preexec-fn
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, **kwargs)


def _works(info: dict) -> bool:
    """Whether a command can enter this container here (nsenter and setpriv allowed, the cgroups joinable): `true`
    run once; where it cannot, every command of the container goes through `podman exec`."""
    try:
        return _entered(info, ["true"], stdin=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def run(name: str, command: list[str], podman: str = "podman", **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run of `command` inside container `name` as its root user (stdout and stderr captured): entered
    with nsenter where that works for the container, else `podman exec`."""
    info = target(name, podman)
    if not info["entered"]:
        return subprocess.run([podman, "exec", "-i", name] + list(command), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, check=False, **kwargs)
    try:
        return _entered(info, command, **kwargs)
    except subprocess.SubprocessError:
        # the container's cgroups could not be joined (cgroup v2 refuses a process in a cgroup with children):
        # podman exec, which knows how
        return subprocess.run([podman, "exec", "-i", name] + list(command), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, check=False, **kwargs)


def argv(info: dict, command: list[str]) -> list[str]:
    """The argv that runs `command` inside the container of `info` (target()), once in its cgroups."""
    bounding = ",".join(["-all"] + ["+" + cap for cap in info["caps"]])
    return (["nsenter", "--target", str(info["pid"]), "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup",
             "--root", "--wd", "--",
             "setpriv", "--bounding-set", bounding, "--inh-caps", "-all", "--",
             "env", "-i"] + info["env"] + list(command))

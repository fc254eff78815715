# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Can the NVIDIA kernel modules be reloaded instead of rebooting? (private, not an API)

Pure functions over what the kernel shows: ``/proc/modules`` (name, size, reference count, the modules using it),
``/sys/module/<name>/holders/`` and the processes that have a ``/dev/nvidia*`` device open. ``decide`` returns
whether the loaded NVIDIA modules can be unloaded, in dependency order, and loaded again from the new package:

- the order is ``nvidia_peermem``, ``nvidia_uvm``, ``nvidia_drm``, ``nvidia_modeset``, ``nvidia`` (users first);
- a module that another, non-NVIDIA module uses (``gdrdrv``, ``nv_peer_mem``) blocks, as does a reference count
  above the number of NVIDIA modules using it (an open device, a console or display on ``nvidia_drm``);
- any process with a ``/dev/nvidia*`` device open blocks (CUDA jobs, nvidia-persistenced, nv-hostengine,
  nvidia-fabricmanager, an X server): stop the services first;
- a container never reloads: the modules belong to its host.
"""
from __future__ import annotations

import os

# users first: each module in this list may use only modules after it
NVIDIA_MODULES = ("nvidia_peermem", "nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia")
PROC_MODULES = "/proc/modules"
SYS_MODULE = "/sys/module"


def parse_proc_modules(text: str) -> dict:
    """``/proc/modules`` -> {name: {'refcount': int, 'used_by': [names]}}.

    A line reads ``nvidia 56807424 2 nvidia_uvm,nvidia_modeset, Live 0x0000000000000000 (POE)``; the fourth field
    is ``-`` when no module uses it."""
    modules = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        try:
            refcount = int(fields[2])
        except ValueError:
            refcount = -1   # '-': the module cannot be unloaded at all (built without unload support)
        used_by = [name for name in fields[3].split(",") if name and name != "-"]
        modules[fields[0]] = {"refcount": refcount, "used_by": used_by}
    return modules


def read_holders(names, root=SYS_MODULE) -> dict:
    """{name: [holder modules]} from /sys/module/<name>/holders (missing directory: no holders)."""
    holders = {}
    for name in names:
        try:
            holders[name] = sorted(os.listdir(os.path.join(root, name, "holders")))
        except OSError:
            holders[name] = []
    return holders


def decide(modules: dict, holders: dict, processes: list, in_container: bool = False) -> dict:
    """The reload decision.

    ``modules``: parse_proc_modules' answer; ``holders``: read_holders' answer; ``processes``: [{'pid', 'name'}]
    that have an NVIDIA device open. Returns {'possible': bool, 'unload': [in order], 'load': [in order],
    'blockers': [one line each], 'reason': one line}."""
    loaded = [name for name in NVIDIA_MODULES if name in modules]
    unload = list(loaded)
    load = list(reversed(loaded)) or ["nvidia"]
    blockers = []
    if in_container:
        blockers.append("this host is a container: the NVIDIA kernel modules belong to the machine it runs on")
    for name in loaded:
        info = modules[name]
        users = sorted(set(info["used_by"]) | set(holders.get(name, [])))
        foreign = [user for user in users if user not in NVIDIA_MODULES]
        if foreign:
            blockers.append("%s is used by the module(s) %s, which this collection does not manage"
                            % (name, ", ".join(foreign)))
        if info["refcount"] < 0:
            blockers.append("%s cannot be unloaded (no reference count: built without module unloading)" % name)
        elif info["refcount"] > len(users):
            blockers.append("%s has %d reference(s) beyond the NVIDIA modules using it (an open device, a console "
                            "or display)" % (name, info["refcount"] - len(users)))
    if processes:
        listed = ", ".join("%s (%s)" % (p.get("name") or "?", p["pid"]) for p in processes[:10])
        more = " and %d more" % (len(processes) - 10) if len(processes) > 10 else ""
        blockers.append("processes have an NVIDIA device open: %s%s" % (listed, more))
    possible = not blockers
    if not loaded:
        reason = "no NVIDIA kernel module is loaded: load %s" % ", ".join(load) if possible else blockers[0]
    elif possible:
        reason = "unload %s, then load %s" % (", ".join(unload), ", ".join(load))
    else:
        reason = "; ".join(blockers)
    return {"possible": possible, "unload": unload, "load": load, "blockers": blockers, "reason": reason}


def device_users(proc_root="/proc") -> list:
    """[{'pid': int, 'name': str}] of the processes with a /dev/nvidia* file open (read from /proc/<pid>/fd)."""
    found = []
    try:
        pids = [entry for entry in os.listdir(proc_root) if entry.isdigit()]
    except OSError:
        return found
    for pid in sorted(pids, key=int):
        fd_dir = os.path.join(proc_root, pid, "fd")
        try:
            targets = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)]
        except OSError:
            continue   # the process ended, or it is not ours to read
        if any(target.startswith("/dev/nvidia") for target in targets):
            try:
                with open(os.path.join(proc_root, pid, "comm")) as handle:
                    name = handle.read().strip()
            except OSError:
                name = ""
            found.append({"pid": int(pid), "name": name})
    return found

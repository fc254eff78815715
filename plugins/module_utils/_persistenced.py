# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The persistenced role's decisions: its plan (what each section has to do, from the pre-flight's host_snapshot)
and its report (from what the sections did). Pure functions, used on the controller by the filters
``persistenced_plan`` and ``persistenced_report``.

Private module_utils: not an API.
"""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_current

NOLOGIN = "/usr/sbin/nologin"


def _changed(result):
    return bool((result or {}).get("changed"))


def vendor_unit(found):
    """The vendor's unit that ours overrides (path, ExecStart, static, its kind), {} when there is none."""
    if not found:
        return {}
    exec_start = found.get("exec_start") or ""
    static = bool(found.get("static"))
    if static:
        kind = "static, no [Install] (Ubuntu style)"
    elif "--user nvpd" in exec_start:
        kind = "Debian (--user nvpd)"
    elif "--user nvidia-persistenced" in exec_start:
        kind = "CUDA repository (--user nvidia-persistenced)"
    else:
        kind = "other"
    return {"path": found.get("path") or "", "exec_start": exec_start, "static": static, "kind": kind,
            "no_persistence_mode": "--no-persistence-mode" in exec_start}


def _modes_usable(snapshot):
    nvidia = (snapshot.get("ansible_facts") or {}).get("nvidia") or {}
    gpus = nvidia.get("gpus") or []
    return (bool(nvidia.get("available")) and not any(g.get("lost") for g in gpus)
            and all(g.get("persistence_mode") is not None for g in gpus))


def persistenced_plan(snapshot, method="daemon", user="nvidia-persistenced", start="auto", program="",
                      unit_path="", unit_sha1="", gpus=None, program_pending=False, check_mode=False,
                      nologin_shell=NOLOGIN):
    """What the role has to do on this host, from the pre-flight's host_snapshot (``snapshot``), the inputs and
    ``unit_sha1`` (the checksum of the unit the role would write; ``unit_path`` is where).

    ``gpus``: the NVIDIA devices on PCI (ansible_facts.nvidia.pci_devices); ``program_pending``: in check mode, the
    program is still to come from the nvidia_driver role."""
    snapshot = snapshot or {}
    start = str(start).lower()
    systemd = bool(snapshot.get("systemd_running"))
    daemon = systemd and method == "daemon"
    gpus = list(gpus or [])
    do_start = systemd and (start == "true" or (start == "auto" and len(gpus) > 0))
    account = (snapshot.get("users") or {}).get(user) or {"exists": False}
    unit = next(iter((snapshot.get("units") or {}).values()), {}) or {}
    files = snapshot.get("files") or {}
    unit_file = files.get(unit_path) or {}
    current = file_current(unit_file, unit_sha1)
    # missing, a login shell, an unlocked password, or the uid of a regular user (the section warns about it)
    user_todo = daemon and user != "root" and (
        not account.get("exists") or account.get("shell") != nologin_shell or not account.get("locked")
        or int(account.get("uid") or 0) >= 1000)
    todo = {
        "user": user_todo,
        "unit": daemon and (len(unit.get("masks") or []) > 0 or not current),
        # without a change to the unit (main.yml adds that): not enabled yet, or to be started and not active
        "service": daemon and (unit.get("enabled") != "enabled" or (do_start and unit.get("active") != "active")),
        "legacy": systemd and method == "legacy",
        "nosystemd": not systemd,
    }
    return {
        "systemd": systemd,
        "gpus": gpus,
        "gpu_visible": len(gpus) > 0,
        "do_start": do_start,
        "vendor_unit": vendor_unit(unit.get("vendor_unit")),
        "unit": unit,
        "unit_file": unit_file,
        "unit_file_current": current,
        "program_pending": False if (files.get(program) or {}).get("exists") else bool(program_pending),
        # where the daemon is to run on visible GPUs, verify.yml checks every GPU's persistence mode; the snapshot's
        # reading is usable when NVML answered with no GPU lost and every mode read
        "verify": method == "daemon" and do_start and len(gpus) > 0 and not check_mode,
        "snapshot_modes_usable": _modes_usable(snapshot),
        "todo": todo,
        # whether any section has work: main.yml skips them all with one task when none has
        "changes": any(todo.values()),
    }


def user_change(account_before, result, user, check_mode=False, nologin_shell=NOLOGIN):
    """What the user section did to the daemon user, one phrase ('' when it did not run or changed nothing).
    ``account_before``: [x, uid, gid, comment, home, shell] as it was, [] when missing; ``result``: the user task's
    registered result ({} when the section did not run)."""
    if not result:
        return ""
    if not account_before:
        return "%s system user %s" % ("would create" if check_mode else "created", user)
    if account_before[5] != nologin_shell:
        return "user %s: %s login shell %s to %s (security fix)" % (
            user, "would correct" if check_mode else "corrected", account_before[5], nologin_shell)
    if _changed(result):
        return "user %s: password locked" % user
    return ""


def _summary(report, plan, user, start, persistence_mode, program, nvidia, check_mode):
    if not report["systemd"]:
        if report["nosystemd_gpus_changed"]:
            what = "persistence mode %sset through NVML on %s" % (
                "would be " if check_mode else "", ", ".join(report["nosystemd_gpus_changed"]))
        elif nvidia.get("available") and start != "false":
            what = "persistence mode already %s on every GPU" % ("on" if persistence_mode else "off")
        elif start == "false":
            what = "left alone (persistenced_start: false)"
        else:
            what = "no usable NVIDIA GPU: %s" % nvidia.get("error", "none found")
        return "no systemd on this host: no unit written or enabled (nothing here starts nvidia-persistenced at " \
               "boot); " + what
    daemon = report["method"] == "daemon"
    if daemon:
        runs = "nvidia-persistenced" + (" --user " + user if user != "root" else " as root")
    else:
        runs = "nvidia-smi -pm"
    written = ("would be written" if check_mode else "written") if report["unit_changed"] else "unchanged"
    if report["started"]:
        started = "started"
    elif start == "auto":
        started = "not started: no NVIDIA GPU visible on the PCI bus (persistenced_start: auto); it starts at boot " \
                  "once a GPU is present"
    else:
        started = "not started (persistenced_start: false)"
    line = "%s (%s) %s and enabled; %s" % (report["unit"], runs, written, started)
    if report["program_pending"]:
        line += "; %s would be installed by the nvidia_driver role" % program
    vendor = report["vendor_unit"]
    if vendor and daemon:
        line += "; overrides vendor unit %s [%s: %s]" % (vendor["path"], vendor["kind"], vendor["exec_start"])
    if report["unmasked"]:
        line += "; unmasked " + ", ".join(report["unmasked"])
    if report["user_change"]:
        line += "; " + report["user_change"]
    return line


def persistenced_report(plan, results=None, method="daemon", user="nvidia-persistenced", start="auto",
                        persistence_mode=True, program="", unit_path="", nvidia=None, check_mode=False):
    """persistenced_report: what the sections did (``results``: the registers of this run's sections by name -
    unmask, unit, unit_start, legacy_unmask, legacy_unit, legacy_set, nosystemd_set, user, user_before, and snapshot
    and verify, the persistence modes read before and after), the GPUs without the mode asked for and the one-line
    summary."""
    plan, results, nvidia = plan or {}, results or {}, nvidia or {}
    start = str(start).lower()
    daemon = method == "daemon"
    systemd = bool(plan.get("systemd"))
    unmask = results.get("unmask" if daemon else "legacy_unmask") or {}
    report = {
        "method": method if systemd else "none (no systemd)",
        "systemd": systemd,
        "nosystemd_gpus_changed": [g.get("pci_bus_id") for g in (results.get("nosystemd_set") or {}).get("gpus") or []
                                   if g.get("before") != g.get("after")],
        "program_pending": bool(plan.get("program_pending")),
        "unit": unit_path,
        "unit_changed": _changed(results.get("unit" if daemon else "legacy_unit")),
        "unmasked": [path for u in unmask.get("units") or [] for path in u.get("removed") or []],
        "user": user if daemon else "",
        "user_change": user_change(results.get("user_before") or [], results.get("user"), user, check_mode),
        "vendor_unit": plan.get("vendor_unit") or {},
        "gpus_visible": len(plan.get("gpus") or []),
        "started": bool(plan.get("do_start")),
        "service_changed": _changed(results.get("unit_start" if daemon else "legacy_set"))
        or _changed(results.get("nosystemd_set")),
        "start_policy": start,
        "wrong_gpus": wrong_gpus(plan, results.get("verify"), results.get("snapshot"), persistence_mode),
    }
    report["summary"] = _summary(report, plan, user, start, persistence_mode, program, nvidia, check_mode)
    return report


def wrong_gpus(plan, verify, snapshot, persistence_mode=True):
    """The PCI bus ids of the GPUs whose persistence mode is not ``persistence_mode``, where the daemon is to run on
    visible GPUs (the plan's ``verify``): read again by nvidia_persistence (``verify``, its check-mode result) after
    this run started or restarted the daemon, else as the pre-flight's snapshot (host_snapshot's result) read them."""
    if not (plan or {}).get("verify"):
        return []
    if verify and not verify.get("skipped"):
        gpus = [(g.get("pci_bus_id"), g.get("before")) for g in verify.get("gpus") or []]
    else:
        nvidia = ((snapshot or {}).get("ansible_facts") or {}).get("nvidia") or {}
        gpus = [(g.get("pci_bus_id"), g.get("persistence_mode")) for g in nvidia.get("gpus") or []]
    return [bus for bus, mode in gpus if mode != bool(persistence_mode)]

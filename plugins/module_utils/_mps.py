# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mps role's checks of a running daemon and its summary: pure functions, used on the controller by the filters
``mps_defaults_wrong`` and ``mps_summary``.

Private module_utils: not an API.
"""
from __future__ import annotations

import re

UNIT = re.compile(r"^([0-9]+)([MG])$")


def _int(text, default=0):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _float(text, default=-1.0):
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


def limit_matches(wanted, shown):
    """Whether the daemon's answer ``shown`` (``<n>M``, or ``<n>G`` rounded down) is the limit ``wanted``
    (``<n>M`` or ``<n>G``, as mps_plan checked it)."""
    want = _int(str(wanted)[:-1]) * (1024 if str(wanted)[-1:] == "G" else 1)
    match = UNIT.match(shown or "")
    if not match:
        return False
    number = int(match.group(1))
    if match.group(2) == "M":
        return number == want
    return number * 1024 <= want < (number + 1) * 1024


def _skipped(result):
    return not result or bool(result.get("skipped"))


def mps_defaults_wrong(percentage, wanted_percentage=None, limits=None):
    """What the running daemon holds that differs from the configured defaults, one phrase each.
    ``percentage``: the result of ``get_default_active_thread_percentage``; ``limits``: the registered loop of
    ``get_default_device_pinned_mem_limit <device>``, each with ``item`` {device, limit}."""
    out = []
    if not _skipped(percentage) and wanted_percentage is not None:
        shown = str(percentage.get("stdout") or "").strip()
        if _float(shown) != _float(wanted_percentage):
            out.append("active thread percentage %s instead of %s" % (shown, wanted_percentage))
    for result in limits or []:
        if _skipped(result):
            continue
        item = result.get("item") or {}
        shown = str(result.get("stdout") or "").strip()
        if not limit_matches(item.get("limit", ""), shown):
            out.append("device %s pinned memory limit %s instead of %s" % (item.get("device"), shown or "none",
                                                                           item.get("limit")))
    return out


def mps_summary(report, systemd=True, start="auto", check_mode=False):
    """The mps role's summary line from its report."""
    gpus = report.get("gpus")
    settings = ["pipe %s" % report.get("pipe_directory"), "log %s" % report.get("log_directory"),
                "GPUs %s" % (gpus if isinstance(gpus, str) else ",".join(str(g) for g in gpus or []))]
    if report.get("default_active_thread_percentage") is not None:
        settings.append("active threads %s%%" % report["default_active_thread_percentage"])
    limits = report.get("default_device_pinned_mem_limit") or []
    if limits:
        settings.append("pinned memory " + ",".join("%s=%s" % (m.get("device"), m.get("limit")) for m in limits))
    if not systemd:
        why_not = "systemd does not run on this host"
    elif start == "auto":
        why_not = "no NVIDIA GPU visible on the PCI bus, mps_start: auto"
    else:
        why_not = "mps_start: false"
    if report.get("started"):
        running = "started" + (" and verified" if report.get("verified") else "")
    elif report.get("active"):
        running = "already running, left as it is (%s)" % why_not
        running += "; its defaults verified" if report.get("verified") else ""
        running += "; it keeps its old settings until it is restarted" if report.get("unit_changed") else ""
    else:
        running = "not started (%s)" % why_not
        running += "; it starts at boot once a GPU is present" if start == "auto" and systemd else ""
    parts = []
    if report.get("package_installed_now"):
        parts.append("%s%s %s" % ("would install " if check_mode else "installed ", report.get("package"),
                                  report.get("package_version")))
    parts.append("%s (%s) %swritten and enabled" % (report.get("unit"), ", ".join(settings),
                                                    "would be " if check_mode and report.get("unit_changed") else ""))
    parts.append(running)
    if report.get("unmasked"):
        parts.append("unmasked " + ", ".join(report["unmasked"]))
    if report.get("not_exclusive_process"):
        parts.append("compute mode is not EXCLUSIVE_PROCESS on %s (MPS is normally paired with it: role "
                     "gpuhost.provision.gpu_state)" % ", ".join(report["not_exclusive_process"]))
    return "; ".join(parts)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mps role's decisions: its plan (what each section has to do, from the pre-flight's host_snapshot and
package_offer), the checks of a running daemon, and its report with the summary line. Pure functions, used on the
controller by the filters ``mps_plan``, ``mps_defaults_wrong``, ``mps_report`` and ``mps_summary``.

Private module_utils: not an API.
"""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_selector import parse_selector
from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_current

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


class MpsRefusal(Exception):
    """An input that does not fit this host: the one-line message says which variable fixes it."""


def _start_refusal(start, systemd, gpus_on_pci):
    if start == "true" and not (systemd and gpus_on_pci):
        why = ("systemd does not run on this host" if not systemd
               else "no NVIDIA GPU is visible on the PCI bus (sysfs, vendor 0x10de)")
        raise MpsRefusal("mps_start: true, but %s; attach the GPU and load the NVIDIA driver, or set mps_start: auto "
                         "to write and enable the unit only" % why)


def _gpu_refusal(selected, limits, nvidia):
    """The selected GPUs and the pinned memory limits against the GPUs the driver reports (where it answered)."""
    if not nvidia.get("available"):
        return
    gpus = nvidia.get("gpus") or []
    if not isinstance(selected, str):
        uuids = [str(g.get("uuid")) for g in gpus]
        parsed = [parse_selector(s) or ("", None) for s in selected or []]
        missing = [value for kind, value in parsed if kind == "uuid" and value not in uuids]
        missing += [str(value) for kind, value in parsed if kind == "index" and value >= len(gpus)]
        if missing:
            raise MpsRefusal("mps_gpus: %s not on this host, which has %d GPU(s) (%s); use UUIDs from nvidia-smi -L"
                             % (", ".join(missing), len(gpus), ", ".join(uuids)))
        return
    count = int(nvidia.get("gpu_count") or 0)
    beyond = [str(int(key)) for key in (limits or {}) if int(key) >= count]
    if beyond:
        raise MpsRefusal("mps_default_device_pinned_mem_limit: device(s) %s do not exist; this host has %d GPU(s), "
                         "numbered from 0" % (", ".join(beyond), count))


def _package(install, package, known, facts):
    """The package that ships nvidia-cuda-mps-control ('' when nothing is to be installed), or a refusal."""
    if not install:
        return ""
    package = package or known.get(facts.get("distribution"), "")
    if not package:
        raise MpsRefusal("no package that ships nvidia-cuda-mps-control is known for %s %s; set mps_package to one "
                         "(Ubuntu: nvidia-compute-utils-<driver branch>), or install it yourself and set "
                         "mps_install: false" % (facts.get("distribution"), facts.get("distribution_major_version")))
    if facts.get("pkg_mgr") != "apt":
        raise MpsRefusal("mps_install: true installs with apt, and this host uses %s; install the package that ships "
                         "nvidia-cuda-mps-control yourself (NVIDIA's CUDA repository: nvidia-driver-cuda) and set "
                         "mps_install: false" % facts.get("pkg_mgr"))
    return package


def mps_host_plan(snapshot, offer=None, facts=None, install=True, package="", known_packages=None, binary="",
                  gpus="all", pinned_mem_limit=None, start="auto", unit_path="", unit_sha1="", profile=True,
                  profile_path="", profile_sha1="", check_mode=False):
    """What the mps role has to do on this host. ``snapshot``: host_snapshot's answer (the binary, the unit and
    profile files, the unit's state, the GPUs); ``offer``: package_offer's answer (None where it did not run);
    ``facts``: distribution, distribution_major_version, distribution_release, pkg_mgr. Raises MpsRefusal with one
    line, in the order the checks were always made: start policy, GPUs, package, candidate, binary."""
    snapshot, facts = snapshot or {}, facts or {}
    start = str(start).lower()
    systemd = bool(snapshot.get("systemd_running"))
    nvidia = (snapshot.get("ansible_facts") or {}).get("nvidia") or {}
    on_pci = len(nvidia.get("pci_devices") or []) > 0
    _start_refusal(start, systemd, on_pci)
    _gpu_refusal(gpus, pinned_mem_limit, nvidia)
    package = _package(install, package, known_packages or {}, facts)
    found = ((offer or {}).get("packages") or {}).get(package) or {}
    installed = bool(install) and found.get("installed") is not None
    candidate = found.get("candidate") or ""
    if install and not installed and not candidate:
        raise MpsRefusal("APT has no installation candidate for %s on %s %s (apt-cache policy %s, also after a fresh "
                         "apt-get update); add the component that carries it to the APT sources (Debian: non-free), "
                         "or set mps_package to a package that exists, or install nvidia-cuda-mps-control yourself "
                         "and set mps_install: false"
                         % (package, facts.get("distribution"), facts.get("distribution_release"), package))
    files = snapshot.get("files") or {}
    if (not install or installed) and not (files.get(binary) or {}).get("exists"):
        raise MpsRefusal("%s not found%s" % (binary, (
            ", although %s is installed; set mps_binary to where it puts nvidia-cuda-mps-control (dpkg -L %s)"
            % (package, package)) if install else "; install the package that ships nvidia-cuda-mps-control (Debian: "
                                                  "nvidia-cuda-mps) or set mps_install: true"))
    unit = next(iter((snapshot.get("units") or {}).values()), {}) or {}
    unit_file = files.get(unit_path) or {}
    unit_current = file_current(unit_file, unit_sha1)
    profile_file = files.get(profile_path) or {}
    profile_ok = file_current(profile_file, profile_sha1) if profile else not profile_file.get("exists")
    do_start = systemd and (start == "true" or (start == "auto" and on_pci))
    active = unit.get("active") == "active"
    would_change = []
    if install and not installed:
        would_change.append("install %s %s" % (package, candidate))
    if unit.get("masks"):
        would_change.append("unmask %s" % ", ".join(unit["masks"]))
    if not unit_current:
        would_change.append("write %s" % unit_path)
    if not profile_ok:
        would_change.append(("write %s" if profile else "remove %s") % profile_path)
    service = unit.get("enabled") != "enabled" or (do_start and not active)
    if service:
        would_change.append("enable%s %s" % (" and start" if do_start and not active else "", unit_path))
    return {
        "systemd": systemd,
        "gpus_visible": len(nvidia.get("pci_devices") or []),
        "do_start": do_start,
        "package": package,
        "installed": installed,
        "installed_version": found.get("installed") or "",
        "candidate": candidate,
        "unit": unit,
        "unit_file": unit_file,
        "unit_file_current": unit_current,
        "profile_current": profile_ok,
        # the daemon runs after the sections: it did before, or the service section starts it (not in check mode)
        "active_after": active or (do_start and not check_mode),
        "not_exclusive_process": [g.get("pci_bus_id") for g in nvidia.get("gpus") or []
                                  if g.get("compute_mode") != "exclusive_process"],
        "todo": {
            "install": bool(install) and not installed,
            "unit": bool(unit.get("masks")) or not unit_current or not profile_ok,
            # without a change to the unit in this run (main.yml adds that)
            "service": service,
            # the running daemon's defaults are asked for outside check mode only (its control.log logs every ask)
            "verify": not check_mode and (active or do_start),
        },
        "would_change": would_change,
    }


def _changed(result):
    return bool((result or {}).get("changed"))


def mps_report(plan, results=None, inputs=None, check_mode=False):
    """The mps role's report and summary line. ``results``: this run's registers by name (unit, unmask,
    unit_start, verified); ``inputs``: gpus, pipe_directory, log_directory, active_thread_percentage, mem_limits,
    start."""
    plan, results, inputs = plan or {}, results or {}, inputs or {}
    gpus = inputs.get("gpus", "all")
    start = str(inputs.get("start", "auto")).lower()
    installed = bool(plan.get("installed"))
    report = {
        "unit": inputs.get("unit_path", ""),
        "unit_changed": _changed(results.get("unit")),
        "unmasked": [path for unit in (results.get("unmask") or {}).get("units") or []
                     for path in unit.get("removed") or []],
        "package": plan.get("package", ""),
        "package_version": plan.get("installed_version") if installed else plan.get("candidate", ""),
        "package_installed_now": bool(plan.get("todo", {}).get("install")),
        "pipe_directory": inputs.get("pipe_directory"),
        "log_directory": inputs.get("log_directory"),
        "gpus": gpus if isinstance(gpus, str) else [str(g) for g in gpus],
        "default_active_thread_percentage": inputs.get("active_thread_percentage"),
        "default_device_pinned_mem_limit": inputs.get("mem_limits") or [],
        "gpus_visible": plan.get("gpus_visible", 0),
        "start_policy": start,
        "started": bool(plan.get("do_start")),
        "active": bool(plan.get("active_after")) and plan.get("systemd", False),
        "verified": bool(results.get("verified")),
        "not_exclusive_process": plan.get("not_exclusive_process") or [],
        "would_change": plan.get("would_change") or [],
    }
    report["summary"] = mps_summary(report, systemd=plan.get("systemd", False), start=start, check_mode=check_mode)
    return report

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container_toolkit role's decisions: why the linker cache needs a refresh, which runtimes' configuration would
change, and the role's summary. Pure functions, used on the controller by the filters ``ldconfig_reasons`` and
``container_toolkit_report``.

Private module_utils: not an API.
"""
from __future__ import annotations

import base64


def _few(names):
    return "%d (%s)" % (len(names), ", ".join(names[:3]))


def ldconfig_reasons(mode, driver_installed=None, driver_changed=False, cached=None, present=None, cache_stat=None,
                     libraries=None):
    """Why ldconfig must run, one phrase per reason ([] when it need not).

    ``mode``: container_toolkit_ldconfig (auto, always, never); ``driver_installed``: the packages the nvidia_driver
    role installed in this run; ``cached``: the NVIDIA libraries the linker cache lists; ``present``: those of them
    that still exist; ``cache_stat``: stat's answer for /etc/ld.so.cache; ``libraries``: find's files (path, ctime) of
    the NVIDIA libraries on disk."""
    if mode == "always":
        return ["container_toolkit_ldconfig is always"]
    if mode != "auto":
        return []
    reasons = []
    if driver_installed:
        reasons.append("gpuhost.provision.nvidia_driver installed " + ", ".join(driver_installed))
    if str(driver_changed).lower() in ("true", "1", "yes"):
        reasons.append("container_toolkit_driver_changed is true")
    present = set(present or [])
    gone = []
    for name in cached or []:
        if name not in present and name not in gone:
            gone.append(name)
    if gone:
        reasons.append("NVIDIA libraries in the cache that are gone: " + _few(gone))
    cache_stat = cache_stat or {}
    cache_time = cache_stat.get("mtime", 0) if cache_stat.get("exists") else 0
    newer = []
    for found in libraries or []:
        name = str(found.get("path", "")).rsplit("/", 1)[-1]
        if found.get("ctime", 0) > cache_time and name not in newer:
            newer.append(name)
    if newer:
        reasons.append("NVIDIA libraries newer than the cache: " + _few(newer))
    return reasons


def runtimes_to_configure(runtimes, dry_runs=None, current=None, ctk_present=True):
    """The runtimes whose configuration ``nvidia-ctk runtime configure --dry-run`` would change: every runtime where
    nvidia-ctk is not installed yet, else those whose dry run (``dry_runs``: the registered loop, each result with
    ``__container_toolkit_runtime`` and ``stdout``) differs from every current file (``current``: slurp's loop)."""
    if not ctk_present:
        return list(runtimes or [])
    contents = [base64.b64decode(r["content"]).decode("utf-8", "replace").strip()
                for r in current or [] if r.get("content") is not None]
    return [r.get("__container_toolkit_runtime") for r in dry_runs or []
            if str(r.get("stdout") or "").strip() not in contents]


class ToolkitRefusal(Exception):
    """The host cannot get the toolkit as asked: the one-line message says what to set; nothing was changed."""


def _unit_exists(unit):
    return (unit or {}).get("enabled") is not None or bool((unit or {}).get("vendor_unit"))


def _installed_runtimes(units, runtime_units):
    """The runtimes whose systemd unit exists (host_snapshot's units), in the order of ``runtime_units``."""
    return [name for name, unit in runtime_units.items() if _unit_exists((units or {}).get(unit))]


def _cdi_note(cdi, ctk_ready, gpu_ready, nvidia, spec_path):
    if not cdi:
        return ""
    if not ctk_ready:
        return ("nvidia-ctk is not installed yet: a real run installs it, then generates %s if a GPU is usable"
                % spec_path)
    if not gpu_ready:
        why = nvidia.get("error") or "driver not loaded"
        return ("no NVIDIA GPU is usable here (%s): %s not generated; run the role again once the driver is loaded "
                "(after the reboot that follows a driver install)" % (why, spec_path))
    return ""


def container_toolkit_plan(snapshot, offer=None, facts=None, manager="", package="", version="", repo_given=False,
                           runtimes=None, runtime_units=None, cdi=True, cdi_spec_path="", ldconfig=None,
                           check_mode=False):
    """What the container_toolkit role has to do on this host. ``snapshot``: host_snapshot's answer (nvidia-ctk, the
    runtimes' units, systemd, the GPUs); ``offer``: package_offer's answer; ``facts``: os_family, distribution;
    ``ldconfig``: ldconfig_reasons' keywords with ``mode``. Raises ToolkitRefusal with one line."""
    snapshot, facts, runtime_units = snapshot or {}, facts or {}, runtime_units or {}
    if not manager:
        raise ToolkitRefusal("%s (%s) is not supported; the role knows apt (Debian, Ubuntu) and dnf (EL) hosts"
                             % (facts.get("distribution"), facts.get("os_family")))
    found = ((offer or {}).get("packages") or {}).get(package) or {}
    installed = found.get("installed") or ""
    offered = []
    for item in found.get("versions") or []:
        if item not in offered:
            offered.append(item)
    satisfied = bool(installed) and (not version or installed == version)
    spec = package + (("=" if manager == "apt" else "-") + version if version else "")
    if not repo_given and not satisfied and not ((not version and offered) or version in offered):
        raise ToolkitRefusal(
            "%s is not installed and no %s source of this host offers it (%s): set container_toolkit_repo to NVIDIA's "
            "repository (url and key_url), or configure that repository on the host and refresh its package index; "
            "nothing was changed" % (spec.replace("=", " "), manager, "offered: " + ", ".join(offered) if offered
                                     else "it is not in the distribution's archive"))
    files = snapshot.get("files") or {}
    ctk = any((state or {}).get("exists") for path, state in files.items() if path.endswith("/nvidia-ctk"))
    nvidia = (snapshot.get("ansible_facts") or {}).get("nvidia") or {}
    gpu_ready = bool(nvidia.get("available")) and int(nvidia.get("gpu_count") or 0) > 0
    units = snapshot.get("units") or {}
    chosen = list(runtimes or []) or _installed_runtimes(units, runtime_units)
    ldconfig = dict(ldconfig or {})
    reasons = ldconfig_reasons(ldconfig.pop("mode", "auto"), **ldconfig)
    # nvidia-ctk is there for the runtime and CDI sections: now, or after this run's install (not in check mode)
    ctk_ready = ctk or (not satisfied and not check_mode)
    notes = []
    if not chosen:
        notes.append("no containerd, docker or crio unit on this host: no runtime configured; list one in "
                     "container_toolkit_runtimes to configure it before it is installed")
    cdi_note = _cdi_note(cdi, ctk_ready, gpu_ready, nvidia, cdi_spec_path)
    if cdi_note:
        notes.append(cdi_note)
    would_change = []
    if not satisfied:
        would_change.append("install " + spec)
    if reasons:
        would_change.append("run ldconfig: " + "; ".join(reasons))
    return {
        "manager": manager,
        "installed": installed,
        "offered": offered,
        "satisfied": satisfied,
        "package_spec": spec,
        "ctk_present": ctk,
        "gpu_ready": gpu_ready,
        "runtimes": chosen,
        "runtimes_active": dict((name, (units.get(runtime_units.get(name, "")) or {}).get("active") == "active")
                                for name in chosen),
        "ldconfig_reasons": reasons,
        "notes": notes,
        "todo": {
            "repo": bool(repo_given),
            "install": not satisfied,
            "ldconfig": len(reasons) > 0,
            # the dry runs (or, where nvidia-ctk is still to come in check mode, every runtime) say what changes
            "runtime": len(chosen) > 0,
            "cdi": bool(cdi) and ctk_ready and gpu_ready,
        },
        "would_change": would_change,
    }


def _changed(result):
    return bool((result or {}).get("changed"))


def container_toolkit_report(plan, install=None, reconfigured=None, cdi_written=None, check_mode=False):
    """The report: ``install``: the install task's result; ``reconfigured``: the runtimes whose configuration
    changed (or would); ``cdi_written``: the CDI spec task's result ({} where the section did not run)."""
    plan = plan or {}
    reasons = list(plan.get("ldconfig_reasons") or [])
    runtimes = list(plan.get("runtimes") or [])
    if cdi_written and not cdi_written.get("skipped"):
        cdi = "written" if _changed(cdi_written) else "unchanged"
    else:
        cdi = "skipped"
    report = {
        "installed_before": plan.get("installed", ""),
        "installed": _changed(install),
        "runtimes": runtimes,
        "runtimes_configured": list(reconfigured or []),
        "cdi": cdi,
        "ldconfig": reasons,
        "notes": list(plan.get("notes") or []),
        "would_change": list(plan.get("would_change") or []),
    }
    # the line site.yml prints for this role
    report["summary"] = "%s, runtimes %s, CDI %s, ldconfig %s" % (
        "installed" if report["installed"] else "present", ", ".join(runtimes) or "none", cdi,
        "run: " + "; ".join(reasons) if reasons else "not needed")
    return report

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

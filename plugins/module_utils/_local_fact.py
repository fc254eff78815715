# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's local fact, /etc/ansible/facts.d/gpuhost.fact (private, not an API).

The file is JSON; Ansible's fact gathering returns it as ``ansible_local.gpuhost``. Its ``driver`` section says
which driver the collection put on the host, the one before it (what a rollback puts back) and when it changed:

    {"driver": {"version": "535.309.01", "previous_version": "535.261.03",
                "packages": {"nvidia-driver": "535.309.01-0+deb12u1", ...}, "changed_at": "2026-12-06T23:41:07Z"}}

``next_fact`` is the whole decision: the section moves only when the driver version changes, so that a run that
changes nothing writes nothing (``changed_at`` stays the time of the last real change).
"""
from __future__ import annotations

import json

FACT_PATH = "/etc/ansible/facts.d/gpuhost.fact"


class LocalFactError(Exception):
    """The fact file exists but is not a JSON object (someone else's file, or a truncated write)."""


def parse_fact(text):
    """The fact file's text -> dict ({} for a missing or empty file). Raises LocalFactError."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LocalFactError("%s is not JSON (%s): move it away or fix it; it is rewritten from scratch then"
                             % (FACT_PATH, exc))
    if not isinstance(data, dict):
        raise LocalFactError("%s holds a JSON %s, not an object: move it away" % (FACT_PATH, type(data).__name__))
    return data


def render_fact(data: dict) -> str:
    """The file's text: sorted keys, so that the same fact is the same bytes."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def next_fact(current: dict, version, packages: dict, now: str) -> dict:
    """The fact after this run.

    ``version``: the driver version installed now (None when there is none: the fact is left as it is).
    ``packages``: {name: installed package version} of the driver's packages. A new driver version moves
    ``version`` to ``previous_version`` and stamps ``changed_at`` with ``now``; the same version with other
    package versions (a package added to the set) updates ``packages`` only. Other top-level sections are kept.
    """
    current = dict(current or {})
    driver = dict(current.get("driver") or {})
    if not version:
        return current
    if driver.get("version") == version:
        if driver.get("packages") == packages:
            return current
        driver["packages"] = dict(packages)
    else:
        driver = {"version": version, "previous_version": driver.get("version"), "packages": dict(packages),
                  "changed_at": now}
    current["driver"] = driver
    return current

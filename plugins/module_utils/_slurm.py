# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Slurm node around a driver change (private, not an API): its state from ``sinfo``, its jobs from ``squeue``,
and what to do to drain or resume it. Pure functions; the module runs the commands.

``sinfo -h -N -n <node> -o '%T|%E'`` prints the node's long state (``idle``, ``mixed``, ``allocated``,
``draining``: drain set, jobs still running; ``drained``: drain set, no jobs; ``down``...; a trailing ``*`` means
not responding) and its reason. ``squeue -h -w <node> -o '%i|%u|%T|%j'`` prints its jobs.
"""
from __future__ import annotations

DRAIN_STATES = ("draining", "drained", "drain")


class SlurmError(Exception):
    """One-line message that says what to do."""


def parse_sinfo(text: str, node: str) -> dict:
    """{'state': 'draining', 'flags': ['draining'], 'responding': bool, 'reason': str or ''}."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise SlurmError("Slurm does not know the node %s (sinfo lists nothing): set gpuhost_workload_node_name to "
                         "the host's NodeName in slurm.conf" % node)
    state, _sep, reason = lines[0].partition("|")
    state = state.strip().lower()
    responding = not state.endswith("*")
    state = state.rstrip("*~#!%$@^-")
    reason = reason.strip()
    return {"state": state, "flags": state.split("+"), "responding": responding,
            "reason": "" if reason in ("none", "(null)") else reason}


def parse_squeue(text: str) -> list:
    """[{'id', 'user', 'state', 'name'}] from ``squeue -h -o '%i|%u|%T|%j'``."""
    jobs = []
    for line in text.splitlines():
        fields = line.strip().split("|", 3)
        if len(fields) == 4 and fields[0]:
            jobs.append({"id": fields[0], "user": fields[1], "state": fields[2], "name": fields[3]})
    return jobs


def is_drain(node: dict) -> bool:
    return any(flag in DRAIN_STATES for flag in node["flags"])


def is_drained(node: dict, jobs: list) -> bool:
    """Drain set and nothing running on the node any more."""
    return is_drain(node) and "draining" not in node["flags"] and not jobs


def ours(node: dict, reason: str) -> bool:
    """Was the drain set by this collection (its reason), not by an operator for another cause?"""
    return node["reason"].startswith(reason)


def describe_jobs(jobs: list, limit=10) -> str:
    shown = ", ".join("%s (%s, %s)" % (job["id"], job["name"], job["user"]) for job in jobs[:limit])
    return shown + (" and %d more" % (len(jobs) - limit) if len(jobs) > limit else "")


def drain_timeout_message(node: str, jobs: list, waited: int, reason: str, option: str) -> str:
    text = ("Slurm node %s still runs %d job(s) after %d s: %s; it stays drained (reason: %s) and the driver was not "
            "changed: wait for the jobs, cancel them, or raise %s")
    return text % (node, len(jobs), waited, describe_jobs(jobs), reason, option)


def resume_plan(node: dict, reason: str) -> tuple:
    """(resume?, why). Only a drain this collection set is undone; an operator's drain stays."""
    if not is_drain(node):
        return False, "not drained"
    if not ours(node, reason):
        return False, "drained by someone else (reason: %s): left drained" % (node["reason"] or "none")
    return True, "drained for the driver change"

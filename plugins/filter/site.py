# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml's filters: its input checks (unknown variables, the refusal, plain messages, whether a collection is
installed), the rollout guard, what it says of each host (the summary line, what changed, the -v line and the row)
its fleet tables, and the plays' host pattern (targets). Documentation: one <filter>.yml each."""
from __future__ import annotations

import importlib.util
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._fleet import fleet_table
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import failure_reason, one_line, plain_types
from ansible_collections.gpuhost.provision.plugins.module_utils._site import (
    host_changes,
    input_refusal,
    report_row,
    rollout_stop,
    site_table,
    summary_detail,
    unknown_variables,
)
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses

_COLLECTION = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$", re.IGNORECASE)


class _Invalid(Exception):
    pass


@refuses("collection_available", _Invalid)
def collection_available(name):
    if not isinstance(name, str) or not _COLLECTION.match(name):
        raise _Invalid("expected a collection name namespace.name, got %r" % (name,))
    # Ansible's collection loader answers for the ansible_collections package on the controller.
    try:
        return importlib.util.find_spec("ansible_collections.%s" % name) is not None
    except ImportError:
        return False


def _words(text):
    return one_line(text or "")


def _driver_part(driver, decision):
    check = driver.get("check") or {}
    if str(driver.get("adopted", "")).lower() in ("true", "1", "yes"):
        text = _words(driver.get("plan"))
    else:
        version = check.get("installed_version") or check.get("driver_version") or "none"
        module = ("module " + str(check["kernel_module_version"])) if check.get("kernel_module_version") \
            else "no module loaded"
        cuda = (", CUDA <= " + str(check["max_cuda_version"])) if check.get("max_cuda_version") else ""
        text = "driver %s (%s%s)" % (version, module, cuda)
    if check.get("reboot_required"):
        # the decision's action (rebooted, skipped-never, ...), or "pending" where the reboot section did not run
        text += ", reboot " + (str(decision["action"]) if decision.get("action") else "pending")
    return text


def _gpu_part(nvidia):
    gpus = nvidia.get("gpus") or []
    text = "GPUs %s/%d nvml/pci" % (nvidia.get("gpu_count", len(gpus)), len(nvidia.get("pci_devices") or []))
    if gpus:
        text += ", persistence on %d" % sum(1 for g in gpus if g.get("persistence_mode"))
    return text


def _persistenced_part(report):
    if str(report.get("systemd", "")).lower() not in ("true", "1", "yes"):
        return "persistenced no systemd on this host: no unit written or enabled"
    if str(report.get("started", "")).lower() in ("true", "1", "yes"):
        return "persistenced started"
    if report.get("start_policy") == "auto":
        return "persistenced waits for a GPU"
    return "persistenced not started (persistenced_start: false)"


def host_summary(driver, nvidia=None, persistenced=None, decision=None, roles=None, check_mode=False, tags=None,
                 width=200, detail=False):
    if detail:
        return summary_detail(driver, nvidia, persistenced, roles, check_mode, tags)
    driver, nvidia, persistenced = driver or {}, nvidia or {}, persistenced or {}
    tags = list(tags or ["all"])
    head = [] if "all" in tags else ["only --tags " + ",".join(tags)]
    if driver:
        head.append(_driver_part(driver, decision or {}))
    head.append(_gpu_part(nvidia))
    if persistenced:
        head.append(_persistenced_part(persistenced))
    changes = host_changes(driver, persistenced, check_mode)
    tail = (("would change: " if check_mode else "changed: ") + ", ".join(changes)) if changes else \
        ("nothing to change" if check_mode else "nothing changed")
    # each optional role with the first clause of its summary, or only its name where the line would be too long
    roles = dict(roles or {})
    full = ["%s: %s" % (name, _words(summary).split(";", maxsplit=1)[0]) for name, summary in roles.items()]
    for optional in (full, list(roles)):
        parts = head + optional + [tail]
        if len(" | ".join(parts)) <= width:
            return " | ".join(parts)
    # still too long: cut the longest part, again and again (never below 20 characters); what changed goes last
    while len(" | ".join(parts)) > width:
        longest = max(range(len(parts) - 1), key=lambda i: len(parts[i]))
        keep = max(len(parts[longest]) - (len(" | ".join(parts)) - width) - 3, 20)
        if keep >= len(parts[longest]) - 3:
            break
        parts[longest] = parts[longest][:keep].rstrip() + "..."
    return " | ".join(parts)


def site_host(driver, nvidia=None, persistenced=None, decision=None, roles=None, check_mode=False, tags=None):
    driver, nvidia, persistenced = driver or {}, nvidia or {}, persistenced or {}
    summaries = dict((name, str((report or {}).get("summary", "")).strip())
                     for name, report in (roles or {}).items() if report)
    tags = list(tags or ["all"])
    return {
        "summary": host_summary(driver, nvidia=nvidia, persistenced=persistenced, decision=decision, roles=summaries,
                                check_mode=check_mode, tags=tags),
        "detail": summary_detail(driver, nvidia, persistenced, summaries, check_mode, tags),
        "row": report_row(driver, nvidia, decision, persistenced, check_mode),
    }


def _load_test_plugins():
    """Ansible loads every test plugin of its own (ansible.builtin) on the first use of any test in a process, ``is
    defined`` included. The controller's process templates no test before its workers fork, so each worker (one per
    task and host) loaded them again; loaded here, in the controller's process, every worker inherits them."""
    try:
        from ansible.plugins.loader import test_loader
        test_loader.get("ansible.builtin.truthy")
    except Exception:  # an Ansible without that loader or test: only a cost, never a failure
        pass


def targets(pattern, groups=None, without=None, within=None):
    """The play's host pattern: templated in the controller's own process (a play's hosts line), it loads the
    collection's filters there once, before any worker starts (targets.yml). ``without``: a group (made by an earlier
    play) whose hosts the play leaves out; ``within``: a group the play is limited to, no host when that group does
    not exist (``groups``, Ansible's magic variable, says which exist)."""
    _load_test_plugins()
    groups = groups or {}
    patterns = list(pattern) if isinstance(pattern, (list, tuple)) else [pattern]
    if within is not None:
        if not groups.get(within):
            return []
        patterns.append("&" + within)
    if without is not None and groups.get(without):
        patterns.append("!" + without)
    if len(patterns) == 1:
        return patterns[0]
    return patterns if isinstance(pattern, (list, tuple)) else ":".join(patterns)


class FilterModule(object):
    def filters(self):
        return {
            "unknown_variables": unknown_variables,
            "input_refusal": input_refusal,
            "plain_message": plain_types,
            "failure_reason": failure_reason,
            "collection_available": collection_available,
            "rollout_stop": rollout_stop,
            "host_summary": host_summary,
            "host_changes": host_changes,
            "site_host": site_host,
            "site_table": site_table,
            "fleet_table": fleet_table,
            "targets": targets,
        }

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia_driver role's filters and driver_change.yml's table: a CUDA request checked against the table, the
modprobe.d options line, the role's input checks (the first refusal), the reboot decision and target, the role's
report and summary line, and the fleet table of a driver change. Documentation: one <filter>.yml each."""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._driver_inputs import cuda_request_error
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_sections import driver_report, summary_line
from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    normalise,
    options_line,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._reboot import reboot_decision, reboot_target
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses

NOT_RUN = "not run: unreachable, or stopped by the rollout guard (gpuhost_max_fail_percentage)"
# the package whose version is the driver's in each set the nvidia_driver role installs (libcuda1: Debian's compute
# set; nvidia-headless-*: Ubuntu's)
DRIVER_PACKAGES = ("nvidia-driver", "cuda-drivers", "nvidia-driver-cuda", "libcuda1")
DNF_PIN = re.compile(r"^(?:nvidia-driver|cuda-drivers)-(?:[0-9]+:)?([0-9]+\.[0-9]+(?:\.[0-9]+)?)(?:-|$)")


def planned_version(would_install):
    """The driver version a check-mode run would install, from the role's pinned items ('nvidia-driver=535.309.01-0+deb12u1',
    'nvidia-driver-535-server=...', 'cuda-drivers-580.95.05-1'), or None."""
    for item in would_install or []:
        name, sep, version = item.partition("=")
        if sep and (name in DRIVER_PACKAGES or name.startswith(("nvidia-driver-", "nvidia-headless-"))) and version:
            return version.split(":")[-1].split("-")[0]
        match = DNF_PIN.match(item)          # dnf: name-version
        if match:
            return match.group(1)
    return None


def driver_change_table(hosts, hostvars):
    rows = ["host | result | driver | workload | reason"]
    done = failed = 0
    for host in hosts:
        record = (hostvars.get(host) or {}).get("__change_record")
        if not record:
            failed += 1
            rows.append(" | ".join([host, "FAILED", "-", "-", NOT_RUN]))
            continue
        if record.get("result") == "failed":
            failed += 1
        else:
            done += 1
        before = record.get("from") or "none"
        after = record.get("to") or planned_version(record.get("would_install")) or "none"
        driver = before if before == after else "%s -> %s" % (before, after)
        rows.append(" | ".join([host, str(record.get("result", "?")).upper() if record.get("result") == "failed"
                                else str(record.get("result")), driver, record.get("workload") or "-",
                                record.get("reason") or "-"]))
    rows.append("%d host(s): %d done, %d failed or not run" % (len(hosts), done, failed))
    return rows


def driver_change_step(plan, recorded=None):
    """What driver_change.yml has to do on a host, from the nvidia_driver role's pre-flight (``plan``) and the driver
    the host's local fact records (``recorded``, None without one): ``todo`` (packages to install), ``from`` (the
    installed driver), ``unrecorded`` (nothing to install, but the fact records another driver than the installed one:
    a run stopped between the install, which goes on on the host, and the fact), ``recorded`` and ``would_install``."""
    to_install = list(plan.get("to_install") or [])
    installed = (plan.get("driver_check") or {}).get("installed_version")
    return {
        "todo": bool(to_install),
        "from": installed,
        "unrecorded": not to_install and not plan.get("adopted") and installed is not None and installed != recorded,
        "recorded": recorded,
        "would_install": to_install,
    }


def driver_change_record(step, workload="none", left_out=False, changed=False, after=None, check_mode=False):
    """The host's row of driver_change.yml's fleet table (``__change_record``, read by driver_change_table) after a
    run that did not fail. ``step``: driver_change_step's answer; ``workload``: gpuhost_workload_manager;
    ``left_out``: the node was drained with this collection's reason before the run (gpuhost_workload's ``state``);
    ``changed``: the role installed packages; ``after``: the installed driver after the change."""
    todo = step["todo"]
    finish = not todo and (step["unrecorded"] or left_out)
    if check_mode and todo:
        result = "would change"
    elif changed:
        result = "changed"
    elif finish:
        result = "would finish" if check_mode else "finished"
    else:
        result = "ok"
    if not todo and left_out:
        manager = workload + (": would resume" if check_mode else ": resumed")
    elif workload == "none" or not todo:
        manager = "-"
    else:
        manager = workload + (": would drain, then resume" if check_mode else ": drained, then resumed")
    found = [("the local fact recorded %s" % (step["recorded"] or "no driver")) if step["unrecorded"] else None,
             "the node was left drained" if left_out else None]
    return {
        "result": result,
        "from": step["from"],
        "to": None if check_mode and todo else (after if todo else step["from"]),
        "would_install": step["would_install"] if check_mode else [],
        "workload": manager,
        "reason": "; ".join(item for item in found if item) if finish else "-",
    }


@refuses(None, ModuleParamsError)
def nvidia_module_options(params):
    return options_line(normalise(params))


class FilterModule(object):
    def filters(self):
        return {
            "cuda_request_error": cuda_request_error,
            "nvidia_module_options": nvidia_module_options,
            "reboot_decision": reboot_decision,
            "reboot_target": reboot_target,
            "driver_summary": summary_line,
            "driver_report": driver_report,
            "driver_change_step": driver_change_step,
            "driver_change_record": driver_change_record,
            "driver_change_table": driver_change_table,
        }

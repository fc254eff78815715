# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml's decisions: the input refusal, variables that no role knows, the -v summary, the fleet table's rows and
the rollout guard. Pure functions, used on the controller by the filters ``input_refusal``, ``unknown_variables``,
``site_table``, ``rollout_stop`` (and ``host_summary``).

Private module_utils: not an API.
"""
from __future__ import annotations

import json
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._fleet import fleet_table
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line, plain_types

UNKNOWN_MODES = ("warn", "fail", "ignore")
NOT_RUN = "not run: unreachable, or stopped by the rollout guard (gpuhost_max_fail_percentage)"


def unknown_variables(names, specs, known=(), ignore=()):
    """The names (sorted) that carry a role's prefix but are neither an option of that role's argument spec
    (``specs``: role -> options), nor in ``known`` (site.yml's own variables, the roles' outputs), nor matched
    (re.match) by a pattern of ``ignore``."""
    out = []
    for name in sorted(set(names or [])):
        if name in known or any(name.startswith(role + "_") and name in (options or {})
                                for role, options in (specs or {}).items()):
            continue
        if any(re.match(pattern, name) for pattern in ignore or ()):
            continue
        out.append(name)
    return out


def input_refusal(spec_results, mode="warn", unknown=()):
    """The one-line reason site.yml's input play refuses a host, '' when it does not: the first role whose argument
    spec refused the variables (``spec_results``: the registered loop of validate_argument_spec, each result with
    ``__site_role`` and ``argument_errors``), else a bad ``gpuhost_unknown_variables`` (``mode``), else the unknown
    variables when ``mode`` is fail."""
    for result in spec_results or []:
        errors = result.get("argument_errors")
        if errors:
            role = result.get("__site_role")
            return "role %s: %s (see ansible-doc -t role gpuhost.provision.%s)" % (
                role, plain_types("; ".join(str(e) for e in errors)), role)
    if mode not in UNKNOWN_MODES:
        return "gpuhost_unknown_variables %s is not one of warn, fail, ignore" % json.dumps(mode)
    if mode == "fail" and unknown:
        return ("unknown variable(s) %s: no role of gpuhost.provision knows them (a typo?); correct the name, list it "
                "in gpuhost_unknown_variables_ignore, or set gpuhost_unknown_variables: warn" % ", ".join(unknown))
    return ""


def _truthy(value):
    return str(value).lower() in ("true", "1", "yes")


def changes_detail(driver=None, persistenced=None, check_mode=False):
    """What changed on the host, spelled out (the -v line): the packages, holds, masks, unit and user."""
    driver, persistenced = driver or {}, persistenced or {}
    out = []
    installed = list(driver.get("installed") or []) or list(driver.get("would_install") or [])
    if installed:
        out.append(("install " if check_mode else "installed ") + ", ".join(installed))
    if driver.get("held"):
        out.append(("hold " if check_mode else "held ") + ", ".join(driver["held"]))
    if persistenced.get("unmasked"):
        out.append("unmasked " + ", ".join(persistenced["unmasked"]))
    if _truthy(persistenced.get("unit_changed", False)):
        out.append("%s written" % persistenced.get("unit"))
    if persistenced.get("user_change"):
        out.append(str(persistenced["user_change"]))
    return out


def summary_detail(driver=None, nvidia=None, persistenced=None, roles=None, check_mode=False, tags=None):
    """The -v summary of a host: each role's own summary line, the GPUs as read after the roles, what changed."""
    nvidia = nvidia or {}
    tags = list(tags or ["all"])
    parts = [] if "all" in tags else ["only --tags " + ",".join(tags)]
    if driver:
        parts.append(driver.get("summary"))
    modes = " ".join("%s:%s" % (g.get("index"), "on" if g.get("persistence_mode") else "off")
                     for g in nvidia.get("gpus") or [])
    parts.append("GPUs %s seen by NVML, %d on PCI, persistence %s" % (
        nvidia.get("gpu_count"), len(nvidia.get("pci_devices") or []), modes or "n/a (no GPU)"))
    if persistenced:
        parts.append("persistenced %s" % persistenced.get("summary"))
    parts += ["%s: %s" % (name, summary) for name, summary in (roles or {}).items()]
    changes = changes_detail(driver, persistenced, check_mode)
    parts.append(("would change: " if check_mode else "changed: ") + ("; ".join(changes) or "nothing"))
    return " | ".join(str(p) for p in parts)


def site_table(hosts, hostvars, check_mode=False):
    """site.yml's fleet table: per host its row (``host_row``, for a host that got as far as its summary line,
    ``__site_said``) or why it failed or was held back, and the variables that no role knows."""
    rows = []
    for host in hosts:
        hv = hostvars.get(host) or {}
        unknown = (hv.get("__site_inputs") or {}).get("unknown") or []
        warn = "; unknown variables: " + ", ".join(unknown) if unknown else ""
        if hv.get("__site_said") is not None and hv.get("__site_failure") is None:
            row = host_row(hv, check_mode)
            result = ("would change" if check_mode else "changed") if _truthy(row.get("changed")) else "ok"
            rows.append({"host": host, "result": result, "driver": row.get("driver"), "gpus": row.get("gpus"),
                         "more": [row.get("reboot"), "%s%s" % (row.get("changes"), warn)]})
        else:
            why = hv.get("__site_failure") or hv.get("__site_held") or NOT_RUN
            rows.append({"host": host, "result": "FAILED", "more": ["-", "%s%s" % (why, warn)]})
    return fleet_table(rows, columns=["reboot", "changed / reason"])


def host_row(hostvars, check_mode=False):
    """A host's row from the roles' reports and its GPU facts, as its variables hold them after site.yml's
    provisioning play."""
    return report_row(hostvars.get("nvidia_driver_report"), (hostvars.get("ansible_facts") or {}).get("nvidia"),
                      hostvars.get("nvidia_driver_reboot_decision"), hostvars.get("persistenced_report"), check_mode)


def report_row(driver=None, nvidia=None, decision=None, persistenced=None, check_mode=False):
    """The fleet table's row of a host from the driver's and persistenced's reports, its GPU facts and the reboot
    decision: what site_host (the host's line, in its worker) and host_row (the table, on the controller) both give."""
    return site_row(driver, nvidia, decision, host_changes(driver, persistenced, check_mode))


def rollout_stop(hosts, hostvars, max_fail_percentage=100):
    """Whether site.yml's rollout stops: more than ``max_fail_percentage`` percent of the hosts provisioned so far
    (``hosts``: every host of the play's batches until now) failed. A host counts as failed when its provisioning was
    rescued (``__site_provision_failed``), as done when it said what was done (``__site_said``); the hosts that the
    input play held back count as neither. 100 (the default) never stops; 0 stops at the first failed host."""
    failed = done = 0
    for host in hosts or []:
        hv = hostvars.get(host) or {}
        if hv.get("__site_provision_failed"):
            failed += 1
        elif hv.get("__site_said") is not None:
            done += 1
    return failed * 100 > _number(max_fail_percentage) * (failed + done)


def _number(value):
    """An integer as Jinja's ``int`` filter reads it (``"10"``, ``10.0``), 0 when it is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def site_row(driver=None, nvidia=None, decision=None, changes=()):
    """The host's row in site.yml's fleet table: changed, driver, GPUs (NVML/PCI), the reboot decision, the changes."""
    driver, nvidia, decision = driver or {}, nvidia or {}, decision or {}
    check = driver.get("check") or {}
    version = (check.get("installed_version") or check.get("driver_version") or nvidia.get("driver_version")
               or ("none" if check else "-"))
    if not check:
        reboot = "-"
    elif check.get("reboot_required"):
        reboot = decision.get("action", "not decided")
    else:
        reboot = "no"
    return {"changed": len(changes) > 0, "driver": version,
            "gpus": "%s/%d" % (nvidia.get("gpu_count"), len(nvidia.get("pci_devices") or [])),
            "reboot": reboot, "changes": ", ".join(changes) if changes else "nothing"}


def _count(n, one, many=None):
    return "%d %s" % (n, one if n == 1 else (many or one + "s"))


def host_changes(driver=None, persistenced=None, check_mode=False):
    """What changed on the host, counted: e.g. ['installed 8 packages', 'held 8', 'unit written']."""
    driver, persistenced = driver or {}, persistenced or {}
    out = []
    installed = list(driver.get("installed") or []) or list(driver.get("would_install") or [])
    if installed:
        out.append(("install " if check_mode else "installed ") + _count(len(installed), "package"))
    if driver.get("held"):
        out.append(("hold " if check_mode else "held ") + str(len(driver["held"])))
    if persistenced.get("unmasked"):
        out.append("unmasked " + ", ".join(str(u).rsplit("/", 1)[-1] for u in persistenced["unmasked"]))
    if str(persistenced.get("unit_changed", "")).lower() in ("true", "1", "yes"):
        out.append("unit written")
    user = one_line(persistenced.get("user_change") or "")
    if user:
        # the persistenced report's sentence, shortened (the report keeps it whole)
        out.append("user created" if "created system user" in user
                   else "user shell set to nologin (security fix)" if "login shell" in user
                   else "user password locked" if "password locked" in user else user)
    return out

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""validate.yml's health rules: pure functions over what its module calls read, used on the controller by the
filters ``host_health`` and ``validate_table``.

Private module_utils: not an API.
"""
from __future__ import annotations

import base64
import json
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._fleet import fleet_table

PERSISTENCED = "nvidia-persistenced.service"
FABRICMANAGER = "nvidia-fabricmanager.service"
NO_SYSTEMD = "n/a (no systemd)"
ABSENT = ("", "not-found")
NOT_CHECKED = "not checked (unreachable or failed before the checks)"
VERSION = re.compile(r"[0-9]+\.[0-9]+(\.[0-9]+)?")


def _local_fact_driver(slurped):
    """The local fact's ``driver`` part from slurp's answer (base64 JSON), {} when it was not read."""
    content = (slurped or {}).get("content")
    if not content:
        return {}
    try:
        return json.loads(base64.b64decode(content)).get("driver") or {}
    except (ValueError, TypeError, AttributeError):
        return {}


def _persistenced_problems(unit, has_gpu, expect_gpu, program, program_exists):
    enabled = unit.get("enabled") or ""
    active = unit.get("active") or ""
    masks = list(unit.get("masks") or [])
    masked = bool(masks) or "masked" in enabled
    problems = []
    if enabled in ABSENT and not masked:
        problems.append("nvidia-persistenced.service is not installed")
    if enabled == "enabled" and not program_exists:
        problems.append("nvidia-persistenced.service is enabled but %s is missing (its package removed?): run the "
                        "nvidia_driver role" % program)
    if masked:
        problems.append("nvidia-persistenced.service is masked (%s): run the persistenced role, or systemctl unmask "
                        "it" % (", ".join(masks) or enabled))
    if enabled not in ABSENT + ("enabled",) and not masked:
        problems.append("nvidia-persistenced.service is not enabled at boot (%s)" % enabled)
    if has_gpu and enabled not in ABSENT and active != "active":
        problems.append("nvidia-persistenced is not running (%s)" % (active or "unknown"))
    if expect_gpu and not has_gpu and active in ("failed", "activating", "deactivating"):
        problems.append("nvidia-persistenced cannot start (%s): no NVIDIA GPU is on the PCI bus for it to manage; "
                        "attach the GPUs, or disable the unit on this host" % active)
    return problems


def _fabric_manager(unit, systemd, switches, fm_version, driver_version):
    """(problems, state, version) of Fabric Manager on an NVSwitch board."""
    state = (unit.get("active") or "") if systemd else NO_SYSTEMD
    if not switches:
        return [], state, fm_version
    found = not systemd or (unit.get("enabled") or "") not in ABSENT or unit.get("vendor_unit") is not None
    problems = []
    if not found:
        problems.append("NVSwitch board without Fabric Manager: run the nvidia_driver role (nvidia-fabricmanager of "
                        "the driver version)")
    if systemd and found and state != "active":
        problems.append('nvidia-fabricmanager is not running (%s): CUDA reports "system not yet initialized" until it '
                        "runs" % state)
    if fm_version and driver_version and fm_version != driver_version:
        problems.append("Fabric Manager %s differs from the driver %s: install the Fabric Manager of the driver "
                        "version" % (fm_version, driver_version))
    return problems, state, fm_version


def host_health(snapshot, nvidia=None, driver=None, fabricmanager=None, local_fact=None, expect_gpu=True,
                expect_persistenced=True, xid_is_failure=True, daemon_program="/usr/bin/nvidia-persistenced"):
    """{problems, notes, summary} of one host.

    ``snapshot``: host_snapshot's answer (systemd_running, units, files, xid); ``nvidia``: ansible_facts.nvidia;
    ``driver``: driver_version_check's answer; ``fabricmanager``: the result of ``nv-fabricmanager --version``
    (stdout) where it ran; ``local_fact``: slurp's answer for /etc/ansible/facts.d/gpuhost.fact."""
    snapshot = snapshot or {}
    nv = nvidia or {}
    driver = driver or {}
    systemd = bool(snapshot.get("systemd_running"))
    units = snapshot.get("units") or {}
    unit = units.get(PERSISTENCED) or {}
    xid = snapshot.get("xid") or {}
    xids = list(xid.get("lines") or [])
    has_gpu = len(nv.get("pci_devices") or []) > 0
    off = [g.get("pci_bus_id") for g in nv.get("gpus") or [] if not g.get("persistence_mode")]
    no_module = list(driver.get("kernels_without_module") or [])
    switches = len(nv.get("nvswitch_devices") or [])
    match = VERSION.search(str((fabricmanager or {}).get("stdout") or ""))
    fm_version = match.group(0) if match else ""
    driver_version = nv.get("driver_version") or driver.get("driver_version") or ""
    error = nv.get("error")

    problems = []
    if nv.get("pci_not_in_nvml"):
        problems.append("GPUs on PCI but not seen by NVML (fell off the bus?): " + ", ".join(nv["pci_not_in_nvml"]))
    if not nv.get("available") and expect_gpu:
        problems.append(("NVIDIA GPUs on PCI but the driver cannot be used: %s" if has_gpu
                         else "no usable NVIDIA driver and no NVIDIA GPU on the PCI bus: %s") % error)
    if not nv.get("available") and not expect_gpu and not driver_version:
        problems.append("no NVIDIA driver installed (validate_expect_gpu: false waives only the GPU checks): run the "
                        "nvidia_driver role")
    if driver.get("mismatch"):
        problems.append("Driver/library version mismatch: kernel module %s, userspace %s; reboot (or reload the "
                        "nvidia modules)" % (driver.get("kernel_module_version"), driver.get("userspace_version")))
    if driver.get("compatible") is False:
        problems.append(driver.get("msg"))
    if off:
        problems.append("persistence mode off on " + ", ".join(off))
    if expect_persistenced and systemd:
        program_exists = ((snapshot.get("files") or {}).get(daemon_program) or {}).get("exists", False)
        problems += _persistenced_problems(unit, has_gpu, expect_gpu, daemon_program, program_exists)
    if xids and xid_is_failure:
        problems.append("%d Xid error(s) since boot, last: %s" % (len(xids), xids[-1]))
    if no_module:
        problems.append("no nvidia kernel module for installed kernel(s) %s%s: install their headers and run dkms "
                        "autoinstall -k <kernel>" % (", ".join(no_module),
                                                     " (boots next)" if driver.get("boot_kernel") in no_module else ""))
    fm_problems, fm_state, fm_version = _fabric_manager(units.get(FABRICMANAGER) or {}, systemd, switches,
                                                        fm_version, driver_version)
    problems += fm_problems

    fact = _local_fact_driver(local_fact)
    if systemd:
        daemon = "%s/%s" % (unit.get("active") or "-", unit.get("enabled") or "not-found")
    else:
        daemon = NO_SYSTEMD
    summary = {
        "gpus_pci": len(nv.get("pci_devices") or []),
        "gpus_nvml": nv.get("gpu_count") or 0,
        "driver": driver_version or "-",
        "max_cuda": driver.get("max_cuda_version") or "-",
        "driver_previous": fact.get("previous_version") or "-",
        "driver_changed_at": fact.get("changed_at") or "-",
        "persistence_off": len(off),
        "daemon": daemon,
        "xid": len(xids) if xid.get("source") else "n/a",
        "fabric_manager": ("%s %s" % (fm_state or "absent", fm_version)).strip() if switches else "-",
    }
    notes = ["%s: Xid errors not checked" % xid["error"]] if xid.get("error") else []
    return {"problems": problems, "notes": notes, "summary": summary}


def validate_table(hosts, hostvars, columns=("max CUDA", "persistence off", "daemon", "Xid")):
    """validate.yml's table of ``hosts`` (their validate_summary, validate_problems, validate_notes) and the notes
    under it, one list of lines."""
    rows, notes = [], []
    for host in hosts:
        hv = hostvars.get(host) or {}
        notes += ["%s: %s" % (host, note) for note in hv.get("validate_notes") or []]
        summary = hv.get("validate_summary")
        if summary is None:
            rows.append({"host": host, "result": NOT_CHECKED})
            continue
        if (summary.get("driver_previous") or "-") != "-":
            notes.append("%s: driver before %s, changed at %s" % (host, summary["driver_previous"],
                                                                  summary.get("driver_changed_at")))
        problems = hv.get("validate_problems") or []
        fabric = summary.get("fabric_manager") or "-"
        daemon = str(summary.get("daemon")).strip() + ("" if fabric == "-" else ", fabric manager " + fabric)
        rows.append({"host": host, "result": "%d problem(s)" % len(problems) if problems else "OK",
                     "driver": summary.get("driver"),
                     "gpus": "%s/%s" % (summary.get("gpus_nvml"), summary.get("gpus_pci")),
                     "more": [summary.get("max_cuda"), summary.get("persistence_off"), daemon, summary.get("xid")]})
    return fleet_table(rows, columns=list(columns)) + notes

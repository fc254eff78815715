# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpu_state role's checks on the GPUs as the driver names them, and its summary: pure functions, used on the
controller by the filters ``gpu_state_conflict`` and ``gpu_state_summary``.

Private module_utils: not an API.
"""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import json_text


def gpu_state_conflict(results):
    """The first pair of entries that set one setting of one GPU to different values, once the driver resolved every
    selector to a PCI bus id ('' when there is none). ``results``: the check-mode loop of nvidia_gpu_settings, each
    result with ``item`` (number, settings) and ``gpus`` (pci_bus_id)."""
    seen = {}
    for result in results or []:
        item = result.get("item") or {}
        for gpu in result.get("gpus") or []:
            for name, value in (item.get("settings") or {}).items():
                key = (gpu.get("pci_bus_id"), name)
                if key in seen and seen[key][1] != value:
                    return ("gpu_state_settings entries %d and %d both set %s of GPU %s, to %s and to %s; give each GPU "
                            "one value" % (seen[key][0], item.get("number"), name, gpu.get("pci_bus_id"),
                                           json_text(seen[key][1]), json_text(value)))
                seen[key] = (item.get("number"), value)
    return ""


def gpu_state_summary(report, applied_now=False, check_mode=False):
    """The gpu_state role's summary line from its report (``applied_now``: the settings were applied, or checked in
    check mode, in this run)."""
    would = "would be " if check_mode else ""
    files = "%s and %s" % (report.get("unit"), report.get("script"))
    touched = report.get("unit_changed") or report.get("script_changed")
    if report.get("state") == "absent":
        return "no GPU settings declared (gpu_state_settings is empty): %s %s" % (
            files, would + "removed" if touched else "absent")
    entries = report.get("entries")
    line = "%s (%s entr%s, %s nvidia-smi call(s) at boot) %s and enabled; " % (
        files, entries, "y" if entries == 1 else "ies", report.get("boot_commands"),
        would + "written" if touched else "unchanged")
    auto = report.get("apply_policy") == "auto"
    if applied_now:
        changed = report.get("changed_gpus") or []
        line += "%s %s GPU(s): %s" % ("checked against" if check_mode else "applied now to", report.get("gpus_readable"),
                                      would + "changed " + ", ".join(changed) if changed else "no change")
    else:
        line += "not applied now (%s%s); the unit applies them at the next boot%s" % (
            report.get("not_applied_reason"), "; gpu_state_apply: auto" if auto else "",
            " once a GPU is present" if auto else "")
    if report.get("reboot_required"):
        line += "; ECC mode change pending on %s: reboot to apply it (reboot_required)" % ", ".join(
            report.get("ecc_pending_gpus") or [])
    return line

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpu_state role's filters: the plan of its settings (checked, typed, with the boot script's nvidia-smi calls),
the check of the GPUs as the driver names them, and its summary line. Documentation: one <filter>.yml each."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_selector import parse_selector
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_state import gpu_state_conflict, gpu_state_summary
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import json_text as _json
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import Gpu, SmiBackend
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses

# In the order the boot script sets them (ECC mode last: it is a comment there, set by the role only).
SETTING_NAMES = ("accounting_mode", "compute_mode", "application_clocks", "locked_graphics_clocks",
                 "locked_memory_clocks", "power_limit_w", "ecc_mode")
# Locked clock ranges: setting -> the backend's clock domain.
LOCKED = {"locked_graphics_clocks": "graphics", "locked_memory_clocks": "memory"}
COMPUTE_MODES = ("default", "exclusive_process", "prohibited")
# The nvidia-smi backend's setter for each setting that the boot script runs.
_SETTERS = {
    "accounting_mode": "set_accounting_mode",
    "compute_mode": "set_compute_mode",
    "power_limit_w": "set_power_limit",
}


class _Recorder(SmiBackend):
    """The nvidia-smi backend with its one command runner replaced: its setters record their argv, run nothing."""

    def __init__(self):  # pylint: disable=super-init-not-called
        # No module and no nvidia-smi here (this runs on the controller): only the setters' arguments are wanted.
        self.argv = None

    def run(self, args, gpu=None, what=None, allow_rc=()):
        self.argv = list(args)
        return 0, "", ""


def selector_id(selector):
    """One GPU selector (module_utils/_gpu_selector.py's grammar, a MIG device excepted) -> its normalised id ('all',
    'index:0', 'uuid:gpu-...', 'pci:0000003b:00.0'), or None."""
    parsed = parse_selector(str(selector))
    if parsed is None or parsed[0] == "mig":
        return None
    kind, value = parsed
    return kind if kind == "all" else "%s:%s" % (kind, str(value).lower())


def boot_argv(selector, name, value):
    """The nvidia-smi arguments that set one setting of the GPU(s) a selector names; no -i for all GPUs."""
    recorder = _Recorder()
    if name == "application_clocks":
        recorder.set_application_clocks(Gpu(selector), value["mem_mhz"], value["graphics_mhz"])
    elif name in LOCKED:
        recorder.set_locked_clocks(Gpu(selector), LOCKED[name], value["min_mhz"], value["max_mhz"])
    else:
        getattr(recorder, _SETTERS[name])(Gpu(selector), value)
    return recorder.argv[2:] if selector == "all" else recorder.argv


def _is_number(value):
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _positive(value, convert):
    try:
        return _is_number(value) and convert(value) > 0
    except (TypeError, ValueError):
        return False


def _selectors(entry):
    raw = entry.get("gpus")
    if raw is None:
        raw = "all"
    if isinstance(raw, str):
        raw = raw.split(",")
    elif not isinstance(raw, (list, tuple)):
        raw = [raw]
    return [str(item).strip() for item in raw]


def _problems(number, gpus, settings):
    at = "gpu_state_settings entry %d: " % number
    out = []
    if not gpus:
        out.append(at + "gpus is empty; use all or list the GPUs")
    elif "all" in [g.lower() for g in gpus] and len(gpus) > 1:
        out.append(at + "gpus mixes all with single GPUs (%s); use all alone or list the GPUs" % ", ".join(gpus))
    for sel in gpus:
        if selector_id(sel) is None:
            out.append(at + "GPU selector %s is not valid; use all, an index (0), a UUID (GPU-...) or a PCI bus id "
                       "(0000:3b:00.0)" % _json(sel))
    if not settings:
        out.append(at + "sets nothing; give at least one of " + ", ".join(SETTING_NAMES))
    if "compute_mode" in settings and settings["compute_mode"] not in COMPUTE_MODES:
        out.append(at + "compute_mode %s is not one of %s" % (_json(settings["compute_mode"]), ", ".join(COMPUTE_MODES)))
    if "power_limit_w" in settings and not _positive(settings["power_limit_w"], float):
        out.append(at + "power_limit_w must be a positive number of watts, got " + _json(settings["power_limit_w"]))
    if "application_clocks" in settings:
        clocks = settings["application_clocks"]
        if (not isinstance(clocks, dict) or clocks.get("mem_mhz") is None or clocks.get("graphics_mhz") is None):
            out.append(at + "application_clocks needs both mem_mhz and graphics_mhz, a pair from nvidia-smi -q -d "
                       "SUPPORTED_CLOCKS; got " + _json(clocks))
        elif not (_positive(clocks["mem_mhz"], int) and _positive(clocks["graphics_mhz"], int)):
            out.append(at + "application_clocks mem_mhz and graphics_mhz must be positive MHz, got " + _json(clocks))
    for name in LOCKED:
        if name in settings:
            out.extend(at + problem for problem in _range_problems(name, settings[name]))
    return out


def _range_problems(name, value):
    if not isinstance(value, dict) or value.get("min_mhz") is None or value.get("max_mhz") is None:
        return ["%s needs min_mhz and max_mhz, a range inside the clocks of nvidia-smi -q -d SUPPORTED_CLOCKS; got %s"
                % (name, _json(value))]
    if not (_positive(value["min_mhz"], int) and _positive(value["max_mhz"], int)):
        return ["%s min_mhz and max_mhz must be positive MHz, got %s" % (name, _json(value))]
    if int(value["min_mhz"]) > int(value["max_mhz"]):
        return ["%s min_mhz %s is above max_mhz %s; give the lower clock as min_mhz"
                % (name, value["min_mhz"], value["max_mhz"])]
    return []


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def _typed(settings):
    typed = {}
    if "accounting_mode" in settings:
        typed["accounting_mode"] = _bool(settings["accounting_mode"])
    if "compute_mode" in settings:
        typed["compute_mode"] = str(settings["compute_mode"])
    if "application_clocks" in settings:
        clocks = settings["application_clocks"]
        typed["application_clocks"] = {"mem_mhz": int(clocks["mem_mhz"]), "graphics_mhz": int(clocks["graphics_mhz"])}
    for name in LOCKED:
        if name in settings:
            typed[name] = {"min_mhz": int(settings[name]["min_mhz"]), "max_mhz": int(settings[name]["max_mhz"])}
    if "power_limit_w" in settings:
        typed["power_limit_w"] = round(float(settings["power_limit_w"]), 2)
    if "ecc_mode" in settings:
        typed["ecc_mode"] = _bool(settings["ecc_mode"])
    return typed


def _conflict(plan):
    for a in plan:
        for b in plan:
            if b["number"] <= a["number"]:
                continue
            if not ("all" in a["ids"] or "all" in b["ids"] or set(a["ids"]) & set(b["ids"])):
                continue
            for name in SETTING_NAMES:
                if name in a["settings"] and name in b["settings"] and a["settings"][name] != b["settings"][name]:
                    return ("gpu_state_settings entries %d (gpus: %s) and %d (gpus: %s) both set %s of the same GPU, "
                            "to %s and to %s; give each GPU one value (list the GPUs of each entry instead of all)"
                            % (a["number"], ",".join(a["gpus"]), b["number"], ",".join(b["gpus"]), name,
                               _json(a["settings"][name]), _json(b["settings"][name])))
    return None


def _boot(gpus, settings):
    steps = []
    for sel in gpus:
        for name in SETTING_NAMES:
            if name not in settings:
                continue
            if name == "ecc_mode":
                steps.append({"comment": "ECC mode %s: set when the role ran, kept by the board"
                                         % ("on" if settings[name] else "off")})
            else:
                steps.append({"argv": boot_argv(sel, name, settings[name])})
    return steps


class _Invalid(Exception):
    pass


@refuses("gpu_state_plan", _Invalid)
def gpu_state_plan(entries):
    """gpu_state_settings -> [{number, gpus, ids, settings, boot}]; raises AnsibleFilterError on a bad input."""
    if entries is None or isinstance(entries, (str, dict)) or not isinstance(entries, (list, tuple)) \
            or not all(isinstance(entry, dict) for entry in entries):
        raise _Invalid("gpu_state_settings must be a list of entries such as "
                       "{gpus: [0], compute_mode: exclusive_process}, got %s" % _json(entries)[:120])
    problems = []
    plan = []
    for number, entry in enumerate(entries, start=1):
        gpus = _selectors(entry)
        settings = dict((name, entry[name]) for name in SETTING_NAMES if entry.get(name) is not None)
        found = _problems(number, gpus, settings)
        problems.extend(found)
        if found:
            continue
        ids = []
        for sel in gpus:
            ident = selector_id(sel)
            if ident not in ids:
                ids.append(ident)
        typed = _typed(settings)
        gpus = ["all"] if "all" in ids else gpus
        plan.append({"number": number, "gpus": gpus, "ids": ids, "settings": typed, "boot": _boot(gpus, typed)})
    if problems:
        more = " (and %d more problem(s))" % (len(problems) - 1) if len(problems) > 1 else ""
        raise _Invalid(problems[0] + more)
    conflict = _conflict(plan)
    if conflict:
        raise _Invalid(conflict)
    return plan


class FilterModule(object):
    def filters(self):
        return {
            "gpu_state_plan": gpu_state_plan,
            "gpu_state_conflict": gpu_state_conflict,
            "gpu_state_summary": gpu_state_summary,
        }

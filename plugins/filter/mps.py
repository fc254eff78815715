# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mps role's filters: its inputs checked and its plan, the daemon's defaults that differ from the inputs, its
report and summary line. Documentation: one <filter>.yml each."""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_selector import cuda_visible_device
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import json_text
from ansible_collections.gpuhost.provision.plugins.module_utils._mps import (
    MpsRefusal,
    mps_defaults_wrong,
    mps_host_plan,
    mps_report,
    mps_summary,
)
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses

MEM_LIMIT_RE = re.compile(r"^[1-9][0-9]*[MG]\Z")
PIPE_RE = re.compile(r"^/run(/(?!\.\.?(/|$))[A-Za-z0-9_.@-]+)+\Z")
LOG_RE = re.compile(r"^/var/log(/(?!\.\.?(/|$))[A-Za-z0-9_.@-]+)+\Z")
_ORDINAL_RE = re.compile(r"^[0-9]+\Z")


class _Invalid(Exception):
    pass


def _json(value):
    """What was given, its keys in the order given."""
    return json_text(value, sort_keys=False)


def _text(value):
    """str() as Jinja's string filter writes a scalar (True, not true)."""
    return str(value)


def _check_gpus(gpus):
    is_list = isinstance(gpus, (list, tuple))
    items = list(gpus) if is_list else []
    bad = [item for item in items if isinstance(item, bool)]
    bad += [_text(item) for item in items if not isinstance(item, bool) and not cuda_visible_device(_text(item))]
    seen, twice = [], []
    for item in map(_text, items):
        if item in seen and item not in twice:
            twice.append(item)
        seen.append(item)
    if gpus == "all" or (is_list and items and not bad and not twice):
        return
    if bad:
        why = "selector(s) %s not understood by CUDA_VISIBLE_DEVICES" % ", ".join(_json(b) for b in bad)
    elif twice:
        why = "listed twice: " + ", ".join(twice)
    else:
        why = "neither all nor a non-empty list"
    raise _Invalid("mps_gpus %s: %s; use all or a list of full GPU UUIDs as nvidia-smi -L prints them "
                   "(GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), MIG device UUIDs (MIG-...) or CUDA device indexes "
                   "(0, 1, ...)" % (_json(gpus), why))


def _check_percentage(value):
    if value is None:
        return
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 100:
        raise _Invalid("mps_default_active_thread_percentage %s is outside 1-100; give the share of each GPU's "
                       "threads that a new MPS server may use, from 1 to 100, or null for the default (100)"
                       % _json(value))


def _mem_limits(limits, gpus):
    limits = limits or {}
    if not isinstance(limits, dict):
        raise _Invalid("mps_default_device_pinned_mem_limit %s: not a mapping; write it as a mapping of device "
                       "ordinal to limit, e.g. {0: 8G, 1: 512M}" % _json(limits))
    keys = [_text(key) for key in limits]
    bad_keys = [key for key in keys if not _ORDINAL_RE.match(key)]
    bad_values = [_text(value) for value in limits.values() if not MEM_LIMIT_RE.match(_text(value))]
    twice = not bad_keys and len(set(int(key) for key in keys)) != len(keys)
    out_of_range = []
    if not isinstance(gpus, str) and not bad_keys:
        out_of_range = [str(int(key)) for key in keys if int(key) >= len(gpus)]
    why = None
    if bad_keys:
        why = "device key(s) %s are not device ordinals (0, 1, ...)" % ", ".join(_json(k) for k in bad_keys)
    elif twice:
        why = "a device is given twice"
    elif bad_values:
        why = ("value(s) %s are not an integer followed by M or G (e.g. 512M, 8G)"
               % ", ".join(_json(v) for v in bad_values))
    elif out_of_range:
        why = ("device(s) %s do not exist: mps_gpus selects %d GPU(s), numbered from 0 by the daemon"
               % (", ".join(out_of_range), len(gpus)))
    if why:
        raise _Invalid("mps_default_device_pinned_mem_limit %s: %s; write it as a mapping of device ordinal to "
                       "limit, e.g. {0: 8G, 1: 512M}" % (_json(limits), why))
    return sorted(({"device": int(key), "limit": _text(value)} for key, value in limits.items()),
                  key=lambda item: item["device"])


def _check_directories(pipe, log):
    if not PIPE_RE.match(_text(pipe)):
        raise _Invalid("mps_pipe_directory %s is not a directory under /run; systemd creates it at every start "
                       "(RuntimeDirectory=, /run is a tmpfs): use e.g. /run/nvidia-mps" % _json(pipe))
    if not LOG_RE.match(_text(log)):
        raise _Invalid("mps_log_directory %s is not a directory under /var/log; systemd creates it "
                       "(LogsDirectory=): use e.g. /var/log/nvidia-mps" % _json(log))


@refuses("mps_plan", _Invalid, MpsRefusal)
def mps_plan(inputs, snapshot=None, **host):
    """The mps role's inputs -> {mem_limits}, and with ``snapshot`` the host's plan (mps_host_plan's keywords in
    ``host``); raises AnsibleFilterError with one line on a bad input or a refusal."""
    if not isinstance(inputs, dict):
        raise _Invalid("expected a dict of the role's inputs, got %s" % _json(inputs))
    gpus = inputs.get("gpus", "all")
    _check_gpus(gpus)
    _check_percentage(inputs.get("active_thread_percentage"))
    limits = _mem_limits(inputs.get("pinned_mem_limit"), gpus)
    _check_directories(inputs.get("pipe_directory"), inputs.get("log_directory"))
    plan = {"mem_limits": limits}
    if snapshot is not None:
        plan.update(mps_host_plan(snapshot, gpus=gpus, pinned_mem_limit=inputs.get("pinned_mem_limit"), **host))
    return plan


class FilterModule(object):
    def filters(self):
        return {
            "mps_plan": mps_plan,
            "mps_defaults_wrong": mps_defaults_wrong,
            "mps_report": mps_report,
            "mps_summary": mps_summary,
        }

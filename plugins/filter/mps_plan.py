# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: mps_plan
short_description: The mps role's plan - its inputs checked, and with a host snapshot what each section has to do
version_added: 0.1.0
description:
  - Checks the inputs of the C(mps) role that its argument spec cannot express, before anything changes, and
    returns the per-device pinned memory limits in device order, as the unit's C(ExecStartPost=) lines set them.
  - "C(gpus): V(all) or a list of C(CUDA_VISIBLE_DEVICES) selectors: a CUDA index, a full GPU UUID, a MIG device
    UUID (R470+ form, or the older C(MIG-GPU-<uuid>/<gpu instance>/<compute instance>)); each at most once."
  - "C(pinned_mem_limit): device ordinal to an integer followed by C(M) or C(G)
    (C(set_default_device_pinned_mem_limit), nvidia-cuda-mps-control(1)); the daemon takes anything else silently."
  - C(pipe_directory) under C(/run) and C(log_directory) under C(/var/log), plain path segments (systemd creates
    them, C(RuntimeDirectory=) and C(LogsDirectory=)).
  - A bad input raises an error with one line that names the variable and what to write instead.
  - With O(snapshot) (the pre-flight's M(gpuhost.provision.host_snapshot)) the plan for the host too - the start
    decision, the package and its candidate (O(offer)), whether the unit and the client profile are current, the
    sections with work in C(todo) (C(install), C(unit), C(service), C(verify)) and C(would_change); a refusal (mps_start
    true without GPU or systemd, selected GPUs or pinned limits the host does not have, no package, no candidate, no
    binary) raises an error with one line.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: The role's inputs.
    type: dict
    required: true
    suboptions:
      gpus:
        description: C(mps_gpus).
        type: raw
      active_thread_percentage:
        description: C(mps_default_active_thread_percentage), or null.
        type: int
      pinned_mem_limit:
        description: C(mps_default_device_pinned_mem_limit).
        type: dict
      pipe_directory:
        description: C(mps_pipe_directory).
        type: str
      log_directory:
        description: C(mps_log_directory).
        type: str
  snapshot:
    description: M(gpuhost.provision.host_snapshot)'s answer (the binary, unit and profile files, the unit, the GPUs).
    type: dict
  offer:
    description: M(gpuhost.provision.package_offer)'s answer, null where it did not run.
    type: dict
  facts:
    description: distribution, distribution_major_version, distribution_release and pkg_mgr.
    type: dict
  install:
    description: C(mps_install).
    type: bool
    default: true
  package:
    description: C(mps_package).
    type: str
    default: ""
  known_packages:
    description: The package by distribution.
    type: dict
  binary:
    description: C(mps_binary).
    type: str
    default: ""
  start:
    description: C(mps_start) (auto, true or false).
    type: raw
    default: auto
  unit_path:
    description: The unit the role writes.
    type: str
    default: ""
  unit_sha1:
    description: The SHA-1 of the unit the role would write (rendered on the controller).
    type: str
    default: ""
  profile:
    description: C(mps_client_profile).
    type: bool
    default: true
  profile_path:
    description: The client profile the role writes or removes.
    type: str
    default: ""
  profile_sha1:
    description: The SHA-1 of the profile the role would write.
    type: str
    default: ""
seealso:
  - name: CUDA environment variables
    description: The forms CUDA_VISIBLE_DEVICES takes (CUDA Programming Guide).
    link: https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#cuda-environment-variables
"""

EXAMPLES = r"""
- name: Check the inputs and order the limits
  ansible.builtin.set_fact:
    plan: "{{ {'gpus': [0, 1], 'pinned_mem_limit': {1: '512M', 0: '8G'}, 'pipe_directory': '/run/nvidia-mps',
              'log_directory': '/var/log/nvidia-mps'} | gpuhost.provision.mps_plan }}"
"""

RETURN = r"""
_value:
  description: The plan (with O(snapshot) also C(systemd), C(do_start), C(package), C(installed), C(candidate),
    C(unit), C(unit_file_current), C(profile_current), C(active_after), C(todo) and C(would_change)).
  type: dict
  contains:
    mem_limits:
      description: One item per device, in device order.
      type: list
      elements: dict
      contains:
        device:
          description: Device ordinal, as the daemon numbers the selected GPUs.
          type: int
        limit:
          description: The limit, e.g. C(8G).
          type: str
"""

import json
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_selector import cuda_visible_device
from ansible_collections.gpuhost.provision.plugins.module_utils._mps import MpsRefusal, mps_host_plan

MEM_LIMIT_RE = re.compile(r"^[1-9][0-9]*[MG]\Z")
PIPE_RE = re.compile(r"^/run(/(?!\.\.?(/|$))[A-Za-z0-9_.@-]+)+\Z")
LOG_RE = re.compile(r"^/var/log(/(?!\.\.?(/|$))[A-Za-z0-9_.@-]+)+\Z")
_ORDINAL_RE = re.compile(r"^[0-9]+\Z")


class _Invalid(Exception):
    pass


def _json(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return json.dumps(str(value))


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


def mps_plan(inputs, snapshot=None, **host):
    """The mps role's inputs -> {mem_limits}, and with ``snapshot`` the host's plan (mps_host_plan's keywords in
    ``host``); raises AnsibleFilterError with one line on a bad input or a refusal."""
    try:
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
    except (_Invalid, MpsRefusal) as exc:
        raise AnsibleFilterError("mps_plan: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"mps_plan": mps_plan}

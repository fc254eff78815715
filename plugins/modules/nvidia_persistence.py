#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_persistence
short_description: Enable or disable NVIDIA GPU persistence mode per GPU
version_added: 0.1.0
description:
  - Reads the persistence mode of the selected GPUs and sets it only where it differs from O(state).
  - GPUs are selected by index, UUID (C(GPU-...)) or PCI bus id (C(0000:3b:00.0), C(00000000:3B:00.0) and
    C(3b:00.0) are all accepted, case-insensitive), or V(all).
  - Uses NVML through the Python module C(pynvml) (nvidia-ml-py) when available, else C(nvidia-smi -pm).
  - Everything is checked before anything changes; an unknown selector, a lost GPU or a non-root user fail
    with the host untouched.
  - Persistence mode set this way (legacy persistence) does not survive a reboot or a driver unload. The
    supported way to keep GPUs initialised is the C(nvidia-persistenced) daemon (role
    gpuhost.provision.persistenced); the module warns when it sets persistence while the daemon is not running.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  state:
    description:
      - Desired persistence mode.
    type: str
    required: true
    choices: [enabled, disabled]
extends_documentation_fragment:
  - gpuhost.provision.gpu_selection
attributes:
  check_mode:
    support: full
    description: Computes C(after) and C(changed) without calling any setter.
  diff_mode:
    support: full
    description: Returns the persistence mode per GPU before and after.
  platform:
    support: full
    platforms: posix
    description: Linux hosts with NVIDIA GPUs and driver.
requirements:
  - nvidia-ml-py (Python module C(pynvml)) on the target for the NVML backend, or C(nvidia-smi).
  - Root to change the mode.
seealso:
  - module: gpuhost.provision.nvidia_gpu_facts
"""

EXAMPLES = r"""
- name: Enable persistence mode on every GPU
  gpuhost.provision.nvidia_persistence:
    state: enabled
  become: true

- name: Enable it on two GPUs, one by index and one by PCI bus id
  gpuhost.provision.nvidia_persistence:
    state: enabled
    gpus:
      - 0
      - "0000:3b:00.0"
  become: true

- name: Would disabling it change anything? (check mode, nothing is set)
  gpuhost.provision.nvidia_persistence:
    state: disabled
    gpus: [GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e]
  check_mode: true
  register: __persistence
"""

RETURN = r"""
gpus:
  description: The selected GPUs with their persistence mode before and after.
  returned: always
  type: list
  elements: dict
  sample:
    - index: 0
      uuid: GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e
      pci_bus_id: "00000000:3B:00.0"
      before: false
      after: true
daemon_running:
  description: Whether nvidia-persistenced runs (nvidia-smi and NVML route persistence through it when it does).
  returned: always
  type: bool
  sample: true
backend:
  description: The backend used, V(nvml) or V(nvidia_smi).
  returned: always
  type: str
  sample: nvml
diff:
  description: Persistence mode per GPU (keyed by PCI bus id) before and after.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"00000000:3B:00.0": false}
    after: {"00000000:3B:00.0": true}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    BACKENDS,
    NoPermission,
    NvidiaError,
    open_backend,
    persistenced_running,
    select_gpus,
)

LEGACY_WARNING = (
    "Persistence mode is set without nvidia-persistenced running: this legacy persistence mode does not "
    "survive a reboot or a driver unload. The supported way is the nvidia-persistenced daemon "
    "(role gpuhost.provision.persistenced)."
)


def is_root():
    return os.geteuid() == 0


class PersistenceManager(object):
    """Work out current vs desired for the selected GPUs, then change only what differs."""

    def __init__(self, module, backend):
        self.module = module
        self.backend = backend

    def plan(self, selectors, enabled):
        plan = []
        for gpu in select_gpus(self.backend.gpus(), selectors):
            entry = gpu.ident()
            entry["before"] = self.backend.persistence(gpu)
            entry["after"] = enabled
            plan.append((gpu, entry))
        return plan

    def run(self, state, selectors):
        enabled = state == "enabled"
        plan = self.plan(selectors, enabled)
        todo = [(gpu, entry) for gpu, entry in plan if entry["before"] != enabled]
        if todo and not self.module.check_mode and not is_root():
            raise NoPermission(
                "Setting persistence mode needs root (GPU(s) %s would change): run the task with become: true"
                % ", ".join(gpu.label() for gpu, _entry in todo))
        if not self.module.check_mode:
            for gpu, _entry in todo:
                self.backend.set_persistence(gpu, enabled)
        return [entry for _gpu, entry in plan], bool(todo)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["enabled", "disabled"]),
            gpus=dict(type="list", elements="raw", default=["all"]),
            backend=dict(type="str", default="auto", choices=list(BACKENDS)),
        ),
        supports_check_mode=True,
    )
    daemon = persistenced_running()
    try:
        with open_backend(module, module.params["backend"]) as backend:
            name = backend.name
            gpus, changed = PersistenceManager(module, backend).run(module.params["state"], module.params["gpus"])
    except NvidiaError as exc:
        module.fail_json(msg=exc.msg, daemon_running=daemon, **({"exception": exc.traceback} if exc.traceback else {}))
    if changed and module.params["state"] == "enabled" and not daemon:
        module.warn(("Check mode: " if module.check_mode else "") + LEGACY_WARNING)
    result = dict(changed=changed, gpus=gpus, daemon_running=daemon, backend=name)
    if module._diff:
        result["diff"] = {
            "before": dict((g["pci_bus_id"] or str(g["index"]), g["before"]) for g in gpus),
            "after": dict((g["pci_bus_id"] or str(g["index"]), g["after"]) for g in gpus),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()

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
  diff_mode:
    description: Returns the persistence mode per GPU before and after.
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import (
    fail_from,
    gpu_selection_spec,
    is_root,
    per_gpu_diff,
    root_message,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    GpuBackend,
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


class PersistenceManager:
    """Work out current vs desired for the selected GPUs, then change only what differs."""

    def __init__(self, module: AnsibleModule, backend: GpuBackend) -> None:
        self.module = module
        self.backend = backend
        self.enabled = module.params["state"] == "enabled"
        self.selected = []       # [(Gpu, result entry)]

    def plan(self) -> None:
        for gpu in select_gpus(self.backend.gpus(), self.module.params["gpus"]):
            entry = gpu.ident()
            entry.update(before=self.backend.persistence(gpu), after=self.enabled)
            self.selected.append((gpu, entry))

    @property
    def todo(self) -> list:
        return [gpu for gpu, entry in self.selected if entry["before"] != self.enabled]

    def check(self) -> None:
        """Refuse before changing anything when the change needs root."""
        if self.todo and not self.module.check_mode and not is_root():
            raise NoPermission(root_message("Setting persistence mode", [gpu.label() for gpu in self.todo]))

    def apply(self) -> None:
        if not self.module.check_mode:
            for gpu in self.todo:
                self.backend.set_persistence(gpu, self.enabled)

    @property
    def gpus(self) -> list:
        return [entry for _gpu, entry in self.selected]


def run_module() -> None:
    argument_spec = dict(state=dict(type="str", required=True, choices=["enabled", "disabled"]))
    argument_spec.update(gpu_selection_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    daemon = persistenced_running()
    try:
        with open_backend(module, module.params["backend"]) as backend:
            manager = PersistenceManager(module, backend)
            manager.plan()
            manager.check()
            manager.apply()
    except NvidiaError as exc:
        fail_from(module, exc, daemon_running=daemon)
    changed = bool(manager.todo)
    if changed and manager.enabled and not daemon:
        module.warn(("Check mode: " if module.check_mode else "") + LEGACY_WARNING)
    result = dict(changed=changed, gpus=manager.gpus, daemon_running=daemon, backend=backend.name)
    if module._diff:
        result["diff"] = per_gpu_diff(manager.gpus)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_gpu_facts
short_description: Gather NVIDIA driver, NVML and per-GPU facts, and the PCI view of NVIDIA GPUs
version_added: 0.1.0
description:
  - Sets C(ansible_facts.nvidia) with the driver, CUDA driver and NVML versions and, per GPU, name, UUID,
    PCI bus id, persistence mode, compute mode, MIG and ECC modes (current and pending), power limit and
    its constraints, memory, compute capability, VBIOS version and architecture.
  - Reads NVML through the Python module C(pynvml) (package nvidia-ml-py) when it imports and
    C(libnvidia-ml.so.1) loads, otherwise C(nvidia-smi --query-gpu ... --format=csv,noheader,nounits).
  - Also lists the NVIDIA display and 3D controllers that the PCI bus shows (sysfs, vendor C(0x10de)) and
    those that NVML does not see, so that a GPU that fell off the bus is a fact, not a guess.
  - Lists the NVSwitch bridges (vendor C(0x10de), PCI class C(0x0680)) as C(nvswitch_devices); a board with
    NVSwitches (HGX/DGX 8-GPU) needs C(nvidia-fabricmanager) of the driver's exact version, or CUDA reports
    "system not yet initialized" while C(nvidia-smi) lists the GPUs.
  - Never fails because there is no driver, no NVML library or no GPU; then C(available) is false,
    C(error) says why and the PCI view is still filled. Fields a GPU does not support are null.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  backend:
    description:
      - How to read the GPUs. V(auto) uses NVML when available, else C(nvidia-smi).
    type: str
    choices: [auto, nvml, nvidia_smi]
    default: auto
extends_documentation_fragment:
  - gpuhost.provision.read_only
attributes:
  facts:
    support: full
    description: Sets C(ansible_facts.nvidia).
  platform:
    description: Linux hosts with or without NVIDIA GPUs.
requirements:
  - nvidia-ml-py (Python module C(pynvml)) on the target for the NVML backend, or C(nvidia-smi).
notes:
  - The per-GPU list holds only the GPUs NVML enumerates; a GPU reported lost by NVML has C(lost=true).
seealso:
  - module: gpuhost.provision.driver_version_check
  - module: gpuhost.provision.nvidia_persistence
"""

EXAMPLES = r"""
- name: Gather NVIDIA facts
  gpuhost.provision.nvidia_gpu_facts:

- name: Fail when a GPU fell off the bus
  ansible.builtin.assert:
    that:
      - ansible_facts.nvidia.available
      - ansible_facts.nvidia.pci_not_in_nvml | length == 0
    fail_msg: "{{ ansible_facts.nvidia.error or ('not seen by NVML: ' ~ ansible_facts.nvidia.pci_not_in_nvml | join(', ')) }}"

- name: Read through nvidia-smi even where pynvml is installed
  gpuhost.provision.nvidia_gpu_facts:
    backend: nvidia_smi
"""

RETURN = r"""
ansible_facts:
  description: Facts set by this module.
  returned: always
  type: complex
  contains:
    nvidia:
      description:
        - NVIDIA facts.
        - The C(compute_mode) of a GPU is V(default), V(exclusive_process), V(prohibited) or V(exclusive_thread),
          the spelling that the O(gpuhost.provision.nvidia_gpu_settings#module:compute_mode) option takes.
      returned: always
      type: dict
      sample:
        available: true
        error: null
        backend: nvml
        driver_version: "580.95.05"
        cuda_driver_version: "13.0"
        nvml_version: "13.580.95.05"
        gpu_count: 1
        gpus:
          - index: 0
            name: NVIDIA H100 80GB HBM3
            uuid: GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e
            pci_bus_id: "00000000:3B:00.0"
            lost: false
            persistence_mode: true
            compute_mode: default
            mig_mode_current: false
            mig_mode_pending: false
            ecc_mode_current: true
            ecc_mode_pending: true
            power_limit_w: 700.0
            power_limit_min_w: 200.0
            power_limit_max_w: 700.0
            power_default_limit_w: 700.0
            memory_total_mib: 81559
            compute_capability: "9.0"
            vbios_version: 96.00.99.00.01
            architecture: Hopper
        pci_devices:
          - pci_bus_id: "00000000:3B:00.0"
            device_id: "0x2330"
            class: "0x030200"
            driver: nvidia
        pci_not_in_nvml: []
        nvswitch_devices: []
      contains:
        available:
          description: Whether the GPUs could be read (driver loaded, NVML or nvidia-smi usable).
          type: bool
        error:
          description: One line saying why the GPUs could not be read, or which GPU is lost; null otherwise.
          type: str
        backend:
          description: The backend used, V(nvml) or V(nvidia_smi); null when none could be used.
          type: str
        driver_version:
          description: Driver version as NVML reports it.
          type: str
        cuda_driver_version:
          description: Highest CUDA version the driver supports, as C(major.minor).
          type: str
        nvml_version:
          description: NVML library version (null where C(nvidia-smi --version) does not report it).
          type: str
        gpu_count:
          description: Number of GPUs NVML enumerates.
          type: int
        gpus:
          description:
            - One entry per GPU. Booleans for persistence, MIG and ECC modes; powers in watts, memory in MiB.
            - Fields that the GPU does not support are null.
          type: list
          elements: dict
        pci_devices:
          description: NVIDIA display/3D controllers seen on the PCI bus (sysfs) with the bound kernel driver.
          type: list
          elements: dict
        pci_not_in_nvml:
          description: PCI bus ids of NVIDIA GPUs on the PCI bus that NVML does not report (or reports lost).
          type: list
          elements: str
        nvswitch_devices:
          description: NVSwitch bridges on the PCI bus (sysfs, class C(0x0680)), with the same fields as C(pci_devices).
          type: list
          elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_facts import collect_gpu_facts
from ansible_collections.gpuhost.provision.plugins.module_utils._common import backend_spec


def run_module() -> None:
    module = AnsibleModule(argument_spec=dict(backend=backend_spec()), supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts={"nvidia": collect_gpu_facts(module, module.params["backend"])})


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

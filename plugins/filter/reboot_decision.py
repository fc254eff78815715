# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: reboot_decision
short_description: The nvidia_driver role's reboot decision, an action and its reason
version_added: 0.1.0
description:
  - From the driver check (M(gpuhost.provision.driver_version_check)'s answer), the kernel module's parameters
    (O(module_params)) and the reboot policy, in this order -
    V(none) (nothing required), V(skipped-never) (policy never), V(refused-no-module) (the kernel that would boot
    next has no nvidia module), V(refused-local) (the controller or a local connection), V(refused-container),
    V(refused-processes) (GPU compute processes run and the reboot is not forced), else V(reboot).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The driver check (C(reboot_required), C(reboot_reasons), C(boot_kernel), C(kernels_without_module)).
    type: dict
    required: true
  policy:
    description: V(auto) or V(never) (C(nvidia_driver_reboot)).
    type: str
    default: auto
  force:
    description: Reboot even while GPU compute processes run (C(nvidia_driver_reboot_force)).
    type: bool
    default: false
  local_reason:
    description: What P(gpuhost.provision.reboot_target#filter) says of the host; empty when it may be rebooted.
    type: str
    default: ""
  in_container:
    description: Whether the host is a container.
    type: bool
    default: false
  virtualization_type:
    description: The container type, for the reason.
    type: str
    default: ""
  processes:
    description: The registered result of C(nvidia-smi --query-compute-apps=pid --format=csv,noheader) (rc, stdout).
    type: dict
  module_params:
    description:
      - What M(gpuhost.provision.nvidia_module_params) returns as C(reload) (C(needed), C(reasons)); when C(needed), the
        loaded module must be loaded again for its parameters, which makes the reboot required as a driver change does
        (the role reloads the modules first where nothing holds them).
    type: dict
"""

EXAMPLES = r"""
- name: Decide about the reboot
  ansible.builtin.set_fact:
    decision: "{{ check | gpuhost.provision.reboot_decision(policy='auto', processes=smi) }}"
"""

RETURN = r"""
_value:
  description: C(required), C(policy), C(reasons), C(action) and C(reason) (one line).
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._reboot import reboot_decision


class FilterModule(object):
    def filters(self):
        return {"reboot_decision": reboot_decision}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: persistenced_plan
short_description: The persistenced role's plan, what each of its sections has to do on a host
version_added: 0.3.0
description:
  - From the pre-flight's M(gpuhost.provision.host_snapshot) and the role's inputs - whether systemd runs, whether to
    start the daemon (C(persistenced_start) and the GPUs on PCI), the vendor unit ours overrides, whether our unit file
    is current, and C(todo), the sections with work - C(user) (missing, a login shell, an unlocked password or a
    regular uid), C(unit) (a mask, or a unit file that is not ours), C(service) (not enabled, or to start and not
    active), C(legacy) and C(nosystemd).
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
  - gpuhost.provision.plan_filters.persistenced
options:
  _input:
    description: M(gpuhost.provision.host_snapshot)'s answer (systemd_running, units, files, users, ansible_facts).
    type: dict
    required: true
  unit_sha1:
    description: The SHA-1 of the unit the role would write (rendered on the controller).
    type: str
    default: ""
  gpus:
    description: The NVIDIA devices on PCI (C(ansible_facts.nvidia.pci_devices)).
    type: list
    elements: dict
    default: []
  program_pending:
    description: In check mode, the program is still to come from the nvidia_driver role.
    type: bool
    default: false
  nologin_shell:
    description: The daemon user's shell.
    type: str
    default: /usr/sbin/nologin
"""

EXAMPLES = r"""
- name: Decide what each section has to do
  ansible.builtin.set_fact:
    plan: "{{ snapshot | gpuhost.provision.persistenced_plan(user='nvpd', gpus=ansible_facts.nvidia.pci_devices) }}"
"""

RETURN = r"""
_value:
  description: C(systemd), C(gpus), C(gpu_visible), C(do_start), C(vendor_unit), C(unit), C(unit_file),
    C(unit_file_current), C(program_pending), C(verify), C(snapshot_modes_usable) and C(todo) (section -> bool).
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._persistenced import persistenced_plan


class FilterModule(object):
    def filters(self):
        return {"persistenced_plan": persistenced_plan}

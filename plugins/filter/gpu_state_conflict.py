# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: gpu_state_conflict
short_description: Two entries that set one setting of one GPU to different values
version_added: 0.3.0
description:
  - After the driver resolved every GPU selector (an index, a UUID and a PCI bus id can name one GPU) to its PCI bus
    id, the first two entries of C(gpu_state_settings) that set one setting of the same GPU to different values.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The check-mode loop of M(gpuhost.provision.nvidia_gpu_settings), each result with C(item) (C(number), C(settings)) and C(gpus) (C(pci_bus_id)).
    type: list
    required: true
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.set_fact:
    conflict: "{{ settings_check.results | gpuhost.provision.gpu_state_conflict }}"
"""

RETURN = r"""
_value:
  description: The one-line error, or an empty string.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_state import gpu_state_conflict


class FilterModule(object):
    def filters(self):
        return {"gpu_state_conflict": gpu_state_conflict}

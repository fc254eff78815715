# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: gpu_state_summary
short_description: The gpu_state role's one-line summary
version_added: 0.3.0
description:
  - The unit and boot script written, unchanged or removed, the settings applied now (or why not), and an ECC mode
    change that waits for a reboot.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: C(gpu_state_report) without its summary.
    type: dict
    required: true
  applied_now:
    description: Whether the settings were applied (or checked, in check mode) in this run.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.set_fact:
    gpu_state_report: "{{ gpu_state_report | combine({'summary': gpu_state_report | gpuhost.provision.gpu_state_summary}) }}"
"""

RETURN = r"""
_value:
  description: The summary line - the unit and script, what was applied now or why not, a pending ECC change.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_state import gpu_state_summary


class FilterModule(object):
    def filters(self):
        return {"gpu_state_summary": gpu_state_summary}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: driver_summary
short_description: The nvidia_driver role's summary line - driver (or its change), kernel module, CUDA, reboot
version_added: 0.1.0
description:
  - The line site.yml prints for the nvidia_driver role, from M(gpuhost.provision.nvidia_driver_plan)'s result, the
    driver check after the run and the reboot decision. A change of version reads C(driver 535.261.03 → 535.309.01);
    in check mode the plan's C(would_change) lines follow.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The plan (C(msg), C(adopted), C(driver_change), C(would_change)).
    type: dict
    required: true
  check:
    description: M(gpuhost.provision.driver_version_check)'s answer after the run.
    type: dict
    required: true
  decision:
    description: The reboot decision (P(gpuhost.provision.reboot_decision#filter)), if one was made.
    type: dict
  check_mode:
    description: Whether the run is in check mode.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The role's summary line
  ansible.builtin.debug:
    msg: "{{ plan | gpuhost.provision.driver_summary(check, decision, ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description: One line.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._driver_sections import summary_line


class FilterModule(object):
    def filters(self):
        return {"driver_summary": summary_line}

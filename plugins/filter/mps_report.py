# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: mps_report
short_description: The mps role's report, with its one-line summary
version_added: 0.3.0
description:
  - From the role's plan (M(gpuhost.provision.mps_plan) with a snapshot), what this run's sections did and the
    inputs - the package, the unit and whether it changed, masks removed, the daemon's state and whether its defaults
    were verified, GPUs not in EXCLUSIVE_PROCESS compute mode, C(would_change) and C(summary).
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: The plan.
    type: dict
    required: true
  results:
    description: This run's registers by name - C(unit), C(unmask) - and C(verified), whether the daemon's defaults
      were checked.
    type: dict
  inputs:
    description: C(unit_path), C(gpus), C(pipe_directory), C(log_directory), C(active_thread_percentage),
      C(mem_limits) and C(start).
    type: dict
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.set_fact:
    mps_report: "{{ plan | gpuhost.provision.mps_report({'unit': unit_result}, inputs={'start': 'auto'}) }}"
"""

RETURN = r"""
_value:
  description: The report (C(mps_report)), its C(summary) the line site.yml prints.
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._mps import mps_report


class FilterModule(object):
    def filters(self):
        return {"mps_report": mps_report}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: persistenced_report
short_description: The persistenced role's report and its one-line summary
version_added: 0.3.0
description:
  - From the role's plan (P(gpuhost.provision.persistenced_plan#filter)) and the registered results of this run's
    sections, what was done - the unit written, masks removed, the daemon user created or corrected, the daemon
    started, persistence set through NVML where systemd does not run - and one line that says so.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
  - gpuhost.provision.plan_filters.persistenced
options:
  _input:
    description: The role's plan.
    type: dict
    required: true
  results:
    description: This run's registered results by name - C(unmask), C(unit), C(unit_start), C(legacy_unmask),
      C(legacy_unit), C(legacy_set), C(nosystemd_set), C(user), C(user_before); a section that did not run has {}.
    type: dict
    default: {}
  persistence_mode:
    description: C(persistenced_persistence_mode).
    type: bool
    default: true
  nvidia:
    description: C(ansible_facts.nvidia).
    type: dict
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.set_fact:
    persistenced_report: "{{ plan | gpuhost.provision.persistenced_report({'unit': unit_result}, user='nvpd') }}"
"""

RETURN = r"""
_value:
  description: method, systemd, nosystemd_gpus_changed, program_pending, unit, unit_changed, unmasked, user,
    user_change, vendor_unit, gpus_visible, started, service_changed, start_policy and summary.
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._persistenced import persistenced_report


class FilterModule(object):
    def filters(self):
        return {"persistenced_report": persistenced_report}

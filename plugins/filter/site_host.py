# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: site_host
short_description: What site.yml says of one host, its summary line, the full line and its row in the fleet table
version_added: 0.3.0
description:
  - From the roles' reports, the GPUs as read after the roles and the reboot decision - the one-line summary
    (P(gpuhost.provision.host_summary#filter)), the same spelled out for C(-v), and the host's row in the fleet table
    (changed, driver, GPUs NVML/PCI, the reboot decision, what changed counted).
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: C(nvidia_driver_report); empty where the role did not run (C(--tags)).
    type: dict
    required: true
  nvidia:
    description: C(ansible_facts.nvidia).
    type: dict
    required: true
  persistenced:
    description: C(persistenced_report); empty where the role did not run.
    type: dict
  decision:
    description: C(nvidia_driver_reboot_decision); empty where no reboot was decided.
    type: dict
  roles:
    description: The optional roles' reports by the name the line gives them (C(gpu_state), C(mps), C(container toolkit)).
    type: dict
  tags:
    description: C(ansible_run_tags).
    type: list
    elements: str
    default: [all]
"""

EXAMPLES = r"""
- name: Summary
  ansible.builtin.set_fact:
    summary: "{{ nvidia_driver_report | gpuhost.provision.site_host(nvidia=ansible_facts['nvidia']) }}"
"""

RETURN = r"""
_value:
  description: C(summary) (one line), C(detail) (the -v line) and C(row) (C(changed), C(driver), C(gpus), C(reboot),
    C(changes)).
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.filter.host_summary import host_changes, host_summary
from ansible_collections.gpuhost.provision.plugins.module_utils._site import site_row, summary_detail


def site_host(driver, nvidia=None, persistenced=None, decision=None, roles=None, check_mode=False, tags=None):
    driver, nvidia, persistenced = driver or {}, nvidia or {}, persistenced or {}
    summaries = dict((name, str((report or {}).get("summary", "")).strip())
                     for name, report in (roles or {}).items() if report)
    tags = list(tags or ["all"])
    return {
        "summary": host_summary(driver, nvidia=nvidia, persistenced=persistenced, decision=decision, roles=summaries,
                                check_mode=check_mode, tags=tags),
        "detail": summary_detail(driver, nvidia, persistenced, summaries, check_mode, tags),
        "row": site_row(driver, nvidia, decision, host_changes(driver, persistenced, check_mode)),
    }


class FilterModule(object):
    def filters(self):
        return {"site_host": site_host}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: site_table
short_description: The fleet table of site.yml, every targeted host with its result or the reason it failed
version_added: 0.3.0
description:
  - One row per host from what site.yml recorded for it (C(__site_row), or C(__site_failure) / C(__site_held)),
    with the variables no role knows (C(__site_unknown)), in the columns P(gpuhost.provision.fleet_table#filter)
    shares with validate.yml. A host with no record was not run (unreachable, or stopped by the rollout guard).
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
  - gpuhost.provision.plan_filters.host_table
"""

EXAMPLES = r"""
- name: Show every targeted host with its result
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts_all | gpuhost.provision.site_table(hostvars, check_mode=ansible_check_mode) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The table's lines.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._site import site_table


class FilterModule(object):
    def filters(self):
        return {"site_table": site_table}

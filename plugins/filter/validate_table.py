# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: validate_table
short_description: validate.yml's table of hosts and the notes under it
version_added: 0.3.0
description:
  - One row per host from what P(gpuhost.provision.host_health#filter) found (C(validate_summary),
    C(validate_problems)), in the columns P(gpuhost.provision.fleet_table#filter) shares with site.yml, then each
    host's notes (C(validate_notes), and the driver before the current one where the local fact records it).
  - A host without C(validate_summary) is shown as not checked.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters.host_table
"""

EXAMPLES = r"""
- name: Show all hosts
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts_all | gpuhost.provision.validate_table(hostvars) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The table's lines, then the notes.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._health import validate_table


class FilterModule(object):
    def filters(self):
        return {"validate_table": validate_table}

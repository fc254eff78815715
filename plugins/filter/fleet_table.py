# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: fleet_table
short_description: The table of hosts that site.yml and validate.yml print, with the same first columns
version_added: 0.3.0
description:
  - Turns one row per host into the lines of a table, C(host | result | driver | GPUs nvml/pci) first, then the
    playbook's own columns, and a last line that counts the hosts.
  - Both playbooks print their table with it, so the columns they share have the same names and order.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description:
      - One mapping per host with C(host), C(result), C(driver), C(gpus) (NVML/PCI, such as V(4/4)) and C(more), the
        values of the playbook's own columns in the order of O(columns).
      - A missing value is shown as V(-).
    type: list
    elements: dict
    required: true
  columns:
    description: The names of the playbook's own columns, after the shared ones.
    type: list
    elements: str
    default: []
  ok:
    description: The values of C(result) that count as done in the last line; every other value counts as failed.
    type: list
    elements: str
    default: [ok, changed, would change, OK]
"""

EXAMPLES = r"""
- name: Show every host
  ansible.builtin.debug:
    msg: "{{ rows | gpuhost.provision.fleet_table(columns=['reboot', 'changed / reason']) }}"
  vars:
    rows:
      - {host: gpu01, result: ok, driver: 535.261.03, gpus: 8/8, more: ["no", nothing]}
"""

RETURN = r"""
_value:
  description: The header, one line per host, and C(N host(s) - N done, N failed or not run).
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._fleet import fleet_table


class FilterModule(object):
    def filters(self):
        return {"fleet_table": fleet_table}

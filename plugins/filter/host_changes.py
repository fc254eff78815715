# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: host_changes
short_description: What site.yml changed on a host, counted
version_added: 0.3.0
description:
  - From the driver and persistenced roles' reports, what changed, with lists counted
    (C(installed 8 packages), C(held 8), C(unit written), C(user created)); the fleet table and
    M(gpuhost.provision.host_summary#filter) show it.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: C(nvidia_driver_report), or an empty mapping.
    type: dict
    required: true
  persistenced:
    description: C(persistenced_report), or an empty mapping.
    type: dict
    default: {}
  check_mode:
    description: Whether the run was in check mode (C(install) instead of C(installed)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: What changed
  ansible.builtin.debug:
    msg: "{{ nvidia_driver_report | gpuhost.provision.host_changes(persistenced_report, ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description: One short phrase per change; empty when nothing changed.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.filter.host_summary import host_changes


class FilterModule(object):
    def filters(self):
        return {"host_changes": host_changes}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: mps_defaults_wrong
short_description: The defaults a running MPS control daemon holds that differ from the configured ones
version_added: 0.3.0
description:
  - Compares the daemon's answers to C(get_default_active_thread_percentage) and
    C(get_default_device_pinned_mem_limit <device>) with C(mps_default_active_thread_percentage) and
    C(mps_default_device_pinned_mem_limit). The daemon shows a limit in C(M), or in C(G) rounded down
    (C(2G) for 2560M), so a limit in C(G) matches every configured value within that GiB.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The registered result of C(get_default_active_thread_percentage) (skipped when not asked).
    type: dict
    required: true
  wanted_percentage:
    description: C(mps_default_active_thread_percentage).
    type: raw
  limits:
    description: The registered loop of C(get_default_device_pinned_mem_limit), each with C(item) (C(device), C(limit)).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Check that the daemon holds the defaults
  ansible.builtin.assert:
    that: wrong | length == 0
  vars:
    wrong: "{{ percentage | gpuhost.provision.mps_defaults_wrong(50, limits=limits.results) }}"
"""

RETURN = r"""
_value:
  description: One phrase per difference; empty when the daemon holds the configured defaults.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._mps import mps_defaults_wrong


class FilterModule(object):
    def filters(self):
        return {"mps_defaults_wrong": mps_defaults_wrong}

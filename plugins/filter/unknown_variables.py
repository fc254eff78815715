# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: unknown_variables
short_description: Variables with a role's prefix that no role of the collection knows (typos)
version_added: 0.3.0
description:
  - Of the given names, those that are not an option of the argument spec of the role whose prefix they carry, not
    listed as known and not matched (from the start, as Python's re.match) by a pattern to ignore; sorted.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The variable names to judge (C(query('ansible.builtin.varnames', ...))).
    type: list
    elements: str
    required: true
  specs:
    description: Per role, the options of its argument spec (C(argument_specs.main.options)).
    type: dict
    required: true
  known:
    description: Names that are known although no argument spec has them (the playbook's own, the roles' outputs).
    type: list
    elements: str
    default: []
  ignore:
    description: Regular expressions of names to leave alone (C(gpuhost_unknown_variables_ignore)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Look for typos
  ansible.builtin.set_fact:
    unknown: "{{ query('ansible.builtin.varnames', '^mps_') | gpuhost.provision.unknown_variables({'mps': mps_options}) }}"
"""

RETURN = r"""
_value:
  description: The unknown names, sorted.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._site import unknown_variables


class FilterModule(object):
    def filters(self):
        return {"unknown_variables": unknown_variables}

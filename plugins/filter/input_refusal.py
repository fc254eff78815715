# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: input_refusal
short_description: Why site.yml's input play refuses a host, in one line
version_added: 0.3.0
description:
  - The first role whose argument spec refused the host's variables, with the errors in plain type names and where
    the role is documented; else a value of C(gpuhost_unknown_variables) other than V(warn), V(fail) or V(ignore);
    else, under V(fail), the unknown variables. Empty when nothing is refused.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The registered loop of M(ansible.builtin.validate_argument_spec), each result with C(__site_role)
      (the role) and, where it refused, C(argument_errors).
    type: list
    elements: dict
    required: true
  mode:
    description: C(gpuhost_unknown_variables).
    type: raw
    default: warn
  unknown:
    description: The unknown variables (P(gpuhost.provision.unknown_variables#filter)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Refuse the variables
  ansible.builtin.fail:
    msg: "{{ reason }}"
  when: reason | length > 0
  vars:
    reason: "{{ spec_check.results | gpuhost.provision.input_refusal(mode='fail', unknown=unknown) }}"
"""

RETURN = r"""
_value:
  description: The reason, or an empty string.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._site import input_refusal


class FilterModule(object):
    def filters(self):
        return {"input_refusal": input_refusal}

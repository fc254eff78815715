#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: site_inputs
short_description: Check one host's variables against the roles' argument specs and find names no role knows
version_added: 0.3.0
description:
  - The input checks of C(playbooks/site.yml) for one host, on the controller without contacting the host, in one task
    - each role of O(roles) has its variables (the host's variables named like the options of its argument spec, read
    from the collection's C(roles/<role>/meta/argument_specs.yml)) checked against that spec, as
    M(ansible.builtin.validate_argument_spec) checks them; then the host's variables that start with a role of
    O(all_roles) or one of O(prefixes) and are neither an option of a role's spec nor in O(known) are the unknown
    ones (a typo such as C(nvidia_driver_cuda_verison)).
  - The first role whose spec refuses its variables fails the task with one line that names the role and the variable;
    unknown variables give a warning (O(unknown=warn)), fail the task (O(unknown=fail)) or are not looked for
    (O(unknown=ignore)).
  - The logic is in C(module_utils/_site.py) (C(unknown_variables), C(input_refusal)), unit-tested.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  roles:
    description:
      - The roles whose argument specs are checked (the roles that this run applies).
    type: list
    elements: str
    required: true
  all_roles:
    description:
      - Every role of the collection whose variables are known - an option of its argument spec is no unknown
        variable, and its name followed by C(_) is a prefix that is looked at.
    type: list
    elements: str
    required: true
  prefixes:
    description:
      - More name prefixes (without the C(_)) of variables that are looked at for unknown names (V(gpuhost) in
        C(site.yml), for its own variables).
    type: list
    elements: str
    default: []
  known:
    description:
      - Names that are no role option but are known (the roles' outputs, the playbook's own variables).
    type: list
    elements: str
    default: []
  ignore:
    description:
      - Regular expressions (matched from the start) of names that are never reported.
    type: list
    elements: str
    default: []
  unknown:
    description:
      - What unknown variables do - V(warn), V(fail) or V(ignore). Any other value fails the task, naming it.
    type: raw
    default: warn
extends_documentation_fragment:
  - gpuhost.provision.controller_only
seealso:
  - module: ansible.builtin.validate_argument_spec
"""

EXAMPLES = r"""
- name: Check nvidia_driver's and persistenced's variables, and warn about names no role of the collection knows
  gpuhost.provision.site_inputs:
    roles: [nvidia_driver, persistenced]
    all_roles: [nvidia_driver, persistenced, gpu_state, mps, container_toolkit, k8s_gpu_sharing]
    known: [nvidia_driver_report, persistenced_report]
  register: __inputs
"""

RETURN = r"""
msg:
  description: The refusal (on failure), the warning about unknown variables, or that the inputs pass.
  returned: always
  type: str
  sample: "role nvidia_driver: argument 'nvidia_driver_reboot' is of type str and we were unable to convert to bool"
unknown:
  description: The unknown variables, sorted; empty with O(unknown=ignore).
  returned: always
  type: list
  elements: str
  sample: [nvidia_driver_cuda_verison]
argument_errors:
  description: Per role whose spec refused its variables, the validator's messages.
  returned: always
  type: dict
  sample: {}
roles:
  description: O(roles), the roles whose inputs were checked (site.yml's later tasks read which roles it applies here).
  returned: always
  type: list
  elements: str
  sample: [nvidia_driver, persistenced]
"""

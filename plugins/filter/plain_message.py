# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: plain_message
short_description: A message with Python's class names replaced by plain type names
version_added: 0.3.0
description:
  - Ansible's argument-spec errors name Python classes, such as
    C(<class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'> cannot be converted to a float); this filter
    turns each class into its plain type name (C(str cannot be converted to a float)).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The message.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse with a readable message
  ansible.builtin.fail:
    msg: "{{ __errors | join('; ') | gpuhost.provision.plain_message }}"
"""

RETURN = r"""
_value:
  description: The message with plain type names.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import plain_types


class FilterModule(object):
    def filters(self):
        return {"plain_message": plain_types}

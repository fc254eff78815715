# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: failure_reason
short_description: The one-line reason of a failed task's result
version_added: 0.3.0
description:
  - The result's argument errors, or a failed loop item's reason, or its C(msg), or the last line of its standard
    error; whitespace runs become one space and Python's class names plain type names.
  - A module that returned nothing at all (C(Module result deserialization failed) with no output) reads as
    C(unreachable - no result came back from the host during this task), since the host went away during the
    task.
  - The same text as the one-line failures of the C(gpuhost.provision.fleet) callback.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The failed result, such as C(ansible_failed_result) in a C(rescue).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Remember why this host failed
  ansible.builtin.set_fact:
    why: "{{ ansible_failed_result | gpuhost.provision.failure_reason }}"
"""

RETURN = r"""
_value:
  description: The reason, on one line.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import failure_reason


class FilterModule(object):
    def filters(self):
        return {"failure_reason": failure_reason}

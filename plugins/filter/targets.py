# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: targets
short_description: The host pattern of a play of the collection's playbooks, unchanged (loads the filters once)
version_added: 0.3.0
description:
  - Returns its input, the host pattern (C(gpuhost_targets), default C(gpu_nodes)), unchanged; a list of patterns is
    returned as it is too.
  - The playbooks use it in the C(hosts) line of their plays, which the controller templates in its own process before
    it starts any worker. Ansible loads every filter file of a collection on the first use of any of its filters in a
    process; used there, this happens once in the controller's process, and every worker (one per task and host)
    inherits the loaded filters instead of loading all of them again, which costs about 85 ms of controller CPU per
    task and host that uses one (docs/performance.md, P6).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The host pattern.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check NVIDIA GPU hosts
  hosts: "{{ gpuhost_targets | default('gpu_nodes') | gpuhost.provision.targets }}"
  tasks: []
"""

RETURN = r"""
_value:
  description: The host pattern, unchanged.
  type: raw
"""


def targets(pattern):
    """The play's host pattern, unchanged: the filter exists to be templated in the controller's own process."""
    return pattern


class FilterModule(object):
    def filters(self):
        return {"targets": targets}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: rollout_stop
short_description: Whether site.yml's rollout guard stops the run (gpuhost_max_fail_percentage)
version_added: 0.3.0
description:
  - True when more than O(max_fail_percentage) percent of the hosts provisioned so far failed. A host counts as failed
    when site.yml rescued its provisioning (C(__site_provision_failed)) and as done when it has a fleet table row
    (C(__site_row)); a host that the input play held back counts as neither.
  - Ansible's own C(max_fail_percentage) does not see hosts whose failure a C(rescue) handled; this counts them over
    every batch so far.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters.host_table
options:
  _input:
    description: The hosts of the play so far (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  max_fail_percentage:
    description: The percentage of failed hosts that is still tolerated; 100 never stops, 0 stops at the first failure.
    type: int
    default: 100
"""

EXAMPLES = r"""
- name: Stop the rollout when too many hosts failed
  ansible.builtin.meta: end_play
  run_once: true
  when: ansible_play_hosts_all | gpuhost.provision.rollout_stop(hostvars, gpuhost_max_fail_percentage | default(100))
"""

RETURN = r"""
_value:
  description: Whether to stop.
  type: bool
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._site import rollout_stop


class FilterModule(object):
    def filters(self):
        return {"rollout_stop": rollout_stop}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: container_toolkit_plan
short_description: The container_toolkit role's plan, what each of its sections has to do on a host
version_added: 0.3.0
description:
  - From the pre-flight's M(gpuhost.provision.host_snapshot) (nvidia-ctk, the runtimes' units, the GPUs),
    M(gpuhost.provision.package_offer) and the linker cache as read - the toolkit installed and offered, the runtimes
    to configure, why ldconfig must run, notes on what is not done and why, C(todo) (C(repo), C(install),
    C(ldconfig), C(runtime), C(cdi)) and C(would_change).
  - An unsupported distribution family, or a toolkit that is neither installed nor offered (without
    C(container_toolkit_repo)), raises an error with one line.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: M(gpuhost.provision.host_snapshot)'s answer.
    type: dict
    required: true
  offer:
    description: M(gpuhost.provision.package_offer)'s answer.
    type: dict
  facts:
    description: C(os_family) and C(distribution).
    type: dict
  manager:
    description: The package manager of the family (apt, dnf), empty where the family is not supported.
    type: str
    default: ""
  package:
    description: The toolkit's package name.
    type: str
    default: ""
  version:
    description: C(container_toolkit_version).
    type: str
    default: ""
  repo_given:
    description: Whether C(container_toolkit_repo) is given.
    type: bool
    default: false
  runtimes:
    description: C(container_toolkit_runtimes).
    type: list
    elements: str
  runtime_units:
    description: Runtime -> systemd unit.
    type: dict
  cdi:
    description: C(container_toolkit_cdi).
    type: bool
    default: true
  cdi_spec_path:
    description: C(container_toolkit_cdi_spec_path).
    type: str
    default: ""
  ldconfig:
    description: C(mode) (C(container_toolkit_ldconfig)) and the keywords of
      M(gpuhost.provision.ldconfig_reasons#filter).
    type: dict
"""

EXAMPLES = r"""
- name: Decide what each section has to do
  ansible.builtin.set_fact:
    plan: "{{ snapshot | gpuhost.provision.container_toolkit_plan(offer=offer, manager='apt',
              package='nvidia-container-toolkit') }}"
"""

RETURN = r"""
_value:
  description: C(installed), C(offered), C(satisfied), C(package_spec), C(ctk_present), C(gpu_ready), C(runtimes),
    C(runtimes_active), C(ldconfig_reasons), C(notes), C(todo) (section -> bool) and C(would_change).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import (
    ToolkitRefusal,
    container_toolkit_plan,
)


def _plan(snapshot, **kwargs):
    try:
        return container_toolkit_plan(snapshot, **kwargs)
    except ToolkitRefusal as exc:
        raise AnsibleFilterError("container_toolkit_plan: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"container_toolkit_plan": _plan}

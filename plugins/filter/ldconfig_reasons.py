# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: ldconfig_reasons
short_description: Why the container_toolkit role refreshes the linker cache
version_added: 0.3.0
description:
  - With V(auto), one phrase per reason to run C(ldconfig) - the nvidia_driver role installed packages in this run,
    C(container_toolkit_driver_changed), NVIDIA libraries that the cache lists but that are gone, NVIDIA libraries
    on disk newer than the cache; with V(always) that; with V(never) none.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: C(container_toolkit_ldconfig) (auto, always, never).
    type: str
    required: true
  driver_installed:
    description: The packages the nvidia_driver role installed in this run (C(container_toolkit_driver_installed)).
    type: list
    elements: str
    default: []
  driver_changed:
    description: C(container_toolkit_driver_changed).
    type: bool
    default: false
  cached:
    description: The NVIDIA libraries that C(ldconfig -p) lists.
    type: list
    elements: str
    default: []
  present:
    description: Those of them that still exist.
    type: list
    elements: str
    default: []
  cache_stat:
    description: M(ansible.builtin.stat)'s C(stat) of C(/etc/ld.so.cache).
    type: dict
  libraries:
    description: M(ansible.builtin.find)'s C(files) of the NVIDIA libraries on disk (C(path), C(ctime)).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Decide whether the linker cache needs a refresh
  ansible.builtin.set_fact:
    reasons: "{{ 'auto' | gpuhost.provision.ldconfig_reasons(driver_changed=true) }}"
"""

RETURN = r"""
_value:
  description: One phrase per reason; empty when ldconfig need not run.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import ldconfig_reasons


class FilterModule(object):
    def filters(self):
        return {"ldconfig_reasons": ldconfig_reasons}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: runtimes_to_configure
short_description: The container runtimes whose configuration nvidia-ctk would change
version_added: 0.3.0
description:
  - Every runtime where nvidia-ctk is not installed yet; else those whose C(nvidia-ctk runtime configure --dry-run)
    output differs from every current configuration file.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The runtimes to configure.
    type: list
    elements: str
    required: true
  dry_runs:
    description: The registered loop of the dry runs, each result with C(__container_toolkit_runtime) and C(stdout).
    type: list
    elements: dict
    default: []
  current:
    description: The registered loop of M(ansible.builtin.slurp) over the current files (C(content)).
    type: list
    elements: dict
    default: []
  ctk_present:
    description: Whether nvidia-ctk is installed.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Work out which runtimes' configuration would change
  ansible.builtin.set_fact:
    reconfigure: "{{ ['containerd'] | gpuhost.provision.runtimes_to_configure(dry.results, current.results) }}"
"""

RETURN = r"""
_value:
  description: The runtimes to configure.
  type: list
  elements: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import runtimes_to_configure


class FilterModule(object):
    def filters(self):
        return {"runtimes_to_configure": runtimes_to_configure}

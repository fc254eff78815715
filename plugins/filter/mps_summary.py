# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: mps_summary
short_description: The mps role's one-line summary
version_added: 0.3.0
description:
  - From the role's report, the package installed, the unit and its settings, whether the daemon was started (and its
    defaults verified) or why not, masks removed, and GPUs whose compute mode is not EXCLUSIVE_PROCESS.
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: C(mps_report) without its summary.
    type: dict
    required: true
  systemd:
    description: Whether systemd runs on the host.
    type: bool
    default: true
  start:
    description: C(mps_start) (auto, true, false).
    type: str
    default: auto
"""

EXAMPLES = r"""
- name: Put the summary into the report
  ansible.builtin.set_fact:
    mps_report: "{{ mps_report | combine({'summary': mps_report | gpuhost.provision.mps_summary(start='auto')}) }}"
"""

RETURN = r"""
_value:
  description: The summary line - the package, the unit with its settings, the daemon's state, masks removed.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._mps import mps_summary


class FilterModule(object):
    def filters(self):
        return {"mps_summary": mps_summary}

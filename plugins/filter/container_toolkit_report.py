# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: container_toolkit_report
short_description: The container_toolkit role's report, with the line site.yml prints
version_added: 0.3.0
description:
  - From the plan and this run's results - the version installed before, whether the toolkit was installed, the
    runtimes and those configured, the CDI spec, why ldconfig ran, the notes, C(would_change) and C(summary).
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: The plan (M(gpuhost.provision.container_toolkit_plan#filter)).
    type: dict
    required: true
  install:
    description: The install task's result, {} where the section did not run.
    type: dict
  reconfigured:
    description: The runtimes whose configuration changed (or would).
    type: list
    elements: str
  cdi_written:
    description: The CDI spec task's result, {} where the section did not run.
    type: dict
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.set_fact:
    container_toolkit_report: "{{ plan | gpuhost.provision.container_toolkit_report(install=install_result) }}"
"""

RETURN = r"""
_value:
  description: The report (C(container_toolkit_report)), its C(summary) the line site.yml prints.
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import container_toolkit_report


class FilterModule(object):
    def filters(self):
        return {"container_toolkit_report": container_toolkit_report}

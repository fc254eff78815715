# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: k8s_gpu_sharing_report
short_description: The k8s_gpu_sharing role's report, with its one-line summary
version_added: 0.3.0
description:
  - From the plan and this run's registers, the configs, the ConfigMap, whether the manifest was written, the
    ConfigMap applied and which node labels changed, C(would_change) and C(summary).
author:
  - gpuhost.provision developers (@gpuhost)
extends_documentation_fragment:
  - gpuhost.provision.plan_filters
options:
  _input:
    description: The plan (M(gpuhost.provision.k8s_gpu_sharing_plan#filter)).
    type: dict
    required: true
  manifest:
    description: The manifest task's result, {} where the section did not run.
    type: dict
  applied:
    description: The ConfigMap task's result, {} where it did not run.
    type: dict
  labelled:
    description: The label loop's result, {} where it did not run.
    type: dict
  inputs:
    description: C(namespace), C(configmap_name), C(manifest_path) and C(apply).
    type: dict
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.set_fact:
    k8s_gpu_sharing_report: "{{ plan | gpuhost.provision.k8s_gpu_sharing_report(manifest=manifest_result) }}"
"""

RETURN = r"""
_value:
  description: The report (C(k8s_gpu_sharing_report)), its C(summary) one line.
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._k8s_gpu_sharing import k8s_gpu_sharing_report


class FilterModule(object):
    def filters(self):
        return {"k8s_gpu_sharing_report": k8s_gpu_sharing_report}

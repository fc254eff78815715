# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: k8s_gpu_sharing_plan
short_description: The k8s_gpu_sharing role's plan - its inputs checked, and what each section has to do
version_added: 0.3.0
description:
  - Checks what the argument spec cannot - at least one config, the ConfigMap and namespace names, that every node
    label names a config and every node name is a Kubernetes name, and that kubernetes.core is installed when the
    cluster is to be changed - and raises an error with one line that names the variable to fix.
  - Returns the config names, whether the cluster is touched, whether the manifest on the host is the one the role
    would write, C(todo) (C(manifest), C(cluster)) and C(would_change).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The role's inputs - C(configs), C(configmap_name), C(namespace), C(node_configs), C(apply),
      C(manifest_path).
    type: dict
    required: true
  rendered:
    description: The device plugin configs by name (M(gpuhost.provision.device_plugin_config#filter)'s answer).
    type: dict
  kubernetes_core:
    description: Whether the kubernetes.core collection is installed on the controller.
    type: bool
    default: false
  manifest:
    description: M(gpuhost.provision.host_snapshot)'s state of the manifest file.
    type: dict
  manifest_sha1:
    description: The SHA-1 of the manifest the role would write (rendered on the controller).
    type: str
    default: ""
  host:
    description: The inventory name of the host, for the message.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Decide what each section has to do
  ansible.builtin.set_fact:
    plan: "{{ {'configs': configs, 'configmap_name': 'nvidia-device-plugin-configs', 'namespace': 'gpu-operator',
              'node_configs': {}, 'apply': false} | gpuhost.provision.k8s_gpu_sharing_plan(rendered=rendered) }}"
"""

RETURN = r"""
_value:
  description: C(configs), C(cluster), C(manifest_current), C(todo) (section -> bool) and C(would_change).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gpuhost.provision.plugins.module_utils._k8s_gpu_sharing import (
    SharingRefusal,
    k8s_gpu_sharing_plan,
)


def _plan(inputs, **kwargs):
    try:
        return k8s_gpu_sharing_plan(inputs, **kwargs)
    except SharingRefusal as exc:
        raise AnsibleFilterError("k8s_gpu_sharing_plan: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"k8s_gpu_sharing_plan": _plan}

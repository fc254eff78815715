# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: cuda_request_error
short_description: Why a CUDA version (and a table extension) cannot be resolved, or an empty string
version_added: 0.1.0
description:
  - Resolves a CUDA version against NVIDIA's table, extended by a C(cuda_table) mapping, exactly as
    M(gpuhost.provision.driver_version_check) and M(gpuhost.provision.nvidia_driver_plan) do, on the controller.
  - Returns the one-line message those modules would fail with, or an empty string when the request resolves.
    site.yml checks every host's request with it before any host changes.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The CUDA version (V(12.4), V(12.4.1), V(13.4.2)); empty checks only the table.
    type: str
    required: true
  cuda_table:
    description: Rows merged over the built-in table, as the modules' C(cuda_table) option.
    type: dict
    default: {}
  compatibility:
    description: V(toolkit) or V(minor).
    type: str
    default: toolkit
"""

EXAMPLES = r"""
- name: Refuse a CUDA version the table cannot resolve, before any change
  ansible.builtin.assert:
    that: __why | length == 0
    fail_msg: "{{ __why }}"
  vars:
    __why: "{{ nvidia_driver_cuda_version | gpuhost.provision.cuda_request_error(nvidia_driver_cuda_table) }}"
"""

RETURN = r"""
_value:
  description: The one-line reason, or an empty string.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    CudaCompatError,
    resolve_min_driver,
    table_from,
)


def cuda_request_error(cuda_version, cuda_table=None, compatibility="toolkit"):
    try:
        table = table_from(cuda_table or {})
        if cuda_version not in (None, ""):
            resolve_min_driver(cuda_version, compatibility, table)
    except CudaCompatError as exc:
        return " ".join(str(exc).split())
    return ""


class FilterModule(object):
    def filters(self):
        return {"cuda_request_error": cuda_request_error}

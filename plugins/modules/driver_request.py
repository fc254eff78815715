#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: driver_request
short_description: Check a driver request's inputs on the controller and resolve its CUDA version once
version_added: 0.2.0
description:
  - The input checks of the role C(gpuhost.provision.nvidia_driver), run on the controller without contacting the
    host, in the order a person fixes them - a CUDA version or a branch is asked for; the CUDA version and the
    keys of O(cuda_table) are quoted strings (YAML reads an unquoted V(12.10) as the number 12.1); NVIDIA's table
    answers the CUDA version; the signing key and certificate are both set or neither; a mirror has its URL and key;
    the kernel module parameters are valid. The first refusal fails the task with one line that names the
    variable to fix.
  - On success it returns RV(request), the CUDA version resolved against the table, which
    M(gpuhost.provision.nvidia_driver_plan) takes (its O(gpuhost.provision.nvidia_driver_plan#module:cuda_request)
    option) instead of resolving the CUDA version again on the host.
  - Messages name the role's variables (C(nvidia_driver_cuda_version), ...).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  cuda_version:
    description:
      - The CUDA version the workloads need, as a quoted string (V("12.4")); empty when O(branch) decides.
    type: raw
  branch:
    description:
      - The driver branch (V(550)), or empty.
    type: raw
  compatibility:
    description:
      - V(toolkit) - the toolkit's own minimum driver; V(minor) - CUDA minor-version compatibility.
    type: str
    choices: [toolkit, minor]
    default: toolkit
  source:
    description:
      - The role's C(nvidia_driver_source); V(mirror) needs O(apt_repo) with C(url) and C(key_url).
    type: str
    choices: [distro, cuda_repo, mirror]
    default: distro
  apt_repo:
    description:
      - The role's C(nvidia_driver_apt_repo).
    type: raw
  mok_key:
    description:
      - The role's C(nvidia_driver_mok_key), an absolute path on the host, or empty.
    type: str
    default: ""
  mok_cert:
    description:
      - The role's C(nvidia_driver_mok_cert), an absolute path on the host, or empty.
    type: str
    default: ""
  module_params:
    description:
      - The role's C(nvidia_driver_module_params), C({name - value}).
    type: raw
extends_documentation_fragment:
  - gpuhost.provision.cuda_table
  - gpuhost.provision.controller_only
seealso:
  - module: gpuhost.provision.nvidia_driver_plan
"""

EXAMPLES = r"""
- name: Check the driver inputs and resolve CUDA 12.2 (no connection to the host)
  gpuhost.provision.driver_request:
    cuda_version: "12.2"
  register: __request

- name: Plan the driver with that answer
  gpuhost.provision.nvidia_driver_plan:
    cuda_version: "12.2"
    cuda_request: "{{ __request.request }}"
"""

RETURN = r"""
msg:
  description: The first refusal (on failure), else what the CUDA version needs.
  returned: always
  type: str
  sample: CUDA 12.2 needs a driver >= 535.54.03 (toolkit compatibility)
request:
  description:
    - The CUDA version resolved against the table; null without O(cuda_version) or when the inputs are refused.
  returned: always
  type: dict
  contains:
    asked:
      description: O(cuda_version) as given.
      type: str
      sample: "12.2"
    cuda_version:
      description: The CUDA version, normalised.
      type: str
      sample: "12.2"
    table_entry:
      description: The table's row that answered it.
      type: str
      sample: "12.2"
    entry:
      description: That row as numbers (major, minor, third; the third null for a row of a whole minor).
      type: list
      elements: raw
      sample: [12, 2, 0]
    required_min_driver:
      description: The minimum driver (V(535.54.03)) or branch (V(615)).
      type: str
      sample: 535.54.03
    compatibility:
      description: O(compatibility).
      type: str
      sample: toolkit
    warnings:
      description: What the table could answer only approximately (a release without a row of its own).
      type: list
      elements: str
      sample: []
"""

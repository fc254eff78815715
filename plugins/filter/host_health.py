# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: host_health
short_description: validate.yml's health rules, the problems, notes and table values of one host
version_added: 0.3.0
description:
  - From what validate.yml read of a host, the list of its problems (GPUs off the bus, no usable driver, a
    driver/library mismatch, a driver too old for the CUDA version, persistence off, the daemon's unit missing,
    masked, disabled or not running, Xid errors, installed kernels without an nvidia module, Fabric Manager on
    NVSwitch boards), the notes under the table and the values of the host's row.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: M(gpuhost.provision.host_snapshot)'s answer (C(systemd_running), C(units), C(files), C(xid)).
    type: dict
    required: true
  nvidia:
    description: C(ansible_facts.nvidia) (M(gpuhost.provision.nvidia_gpu_facts)).
    type: dict
  driver:
    description: M(gpuhost.provision.driver_version_check)'s answer.
    type: dict
  fabricmanager:
    description: The registered result of C(nv-fabricmanager --version) (its C(stdout)), where it ran.
    type: dict
  local_fact:
    description: The registered result of M(ansible.builtin.slurp) of C(/etc/ansible/facts.d/gpuhost.fact).
    type: dict
  expect_gpu:
    description: C(validate_expect_gpu).
    type: bool
    default: true
  expect_persistenced:
    description: C(validate_expect_persistenced).
    type: bool
    default: true
  xid_is_failure:
    description: C(validate_xid_is_failure).
    type: bool
    default: true
  daemon_program:
    description: The path of nvidia-persistenced (C(persistenced_binary)).
    type: str
    default: /usr/bin/nvidia-persistenced
"""

EXAMPLES = r"""
- name: Work out what is wrong on this host
  ansible.builtin.set_fact:
    validate_problems: "{{ (snapshot | gpuhost.provision.host_health(nvidia=ansible_facts['nvidia'], driver=check)).problems }}"
"""

RETURN = r"""
_value:
  description: C(problems) (one line each), C(notes) and C(summary) (the values of the host's row in the table).
  type: dict
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._health import host_health


class FilterModule(object):
    def filters(self):
        return {"host_health": host_health}

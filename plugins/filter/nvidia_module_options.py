# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: nvidia_module_options
short_description: The modprobe.d options line for the nvidia module's parameters
version_added: 0.1.0
description:
  - Checks C(nvidia_driver_module_params) (parameter name -> number, boolean or string) and returns the line the
    nvidia_driver role writes into C(/etc/modprobe.d), C(options nvidia NAME=VALUE ...), names sorted, a value with
    characters other than letters, digits and C(_.,:+/=-) in double quotes; booleans as 1 and 0. An empty mapping
    gives an empty string.
  - A bad name or value raises an error with one line naming the parameter.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The parameters.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The options line
  ansible.builtin.debug:
    msg: "{{ {'NVreg_PreserveVideoMemoryAllocations': 1} | gpuhost.provision.nvidia_module_options }}"
"""

RETURN = r"""
_value:
  description: The modprobe.d line, or an empty string.
  type: str
  sample: options nvidia NVreg_PreserveVideoMemoryAllocations=1 NVreg_RegistryDwords="RMUseSwI2c=0x01;RMI2cSpeed=100"
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    normalise,
    options_line,
)


def nvidia_module_options(params):
    try:
        return options_line(normalise(params))
    except ModuleParamsError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"nvidia_module_options": nvidia_module_options}

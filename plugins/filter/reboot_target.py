# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: reboot_target
short_description: Why a host must not be rebooted by the nvidia_driver role (it is the controller), or an empty string
version_added: 0.1.0
description:
  - A local connection, or the controller itself by identity, never by address (a node reached through a port
    forwarded on 127.0.0.1 is another machine) - the same machine id, or the same kernel boot id (a container or
    chroot on the controller's kernel). Unknown (empty) ids decide nothing.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The host's C(ansible_connection) (empty means ssh).
    type: str
    required: true
  controller_machine_id:
    description: The controller's C(/etc/machine-id).
    type: str
    default: ""
  target_machine_id:
    description: The host's machine id (C(ansible_facts.machine_id)).
    type: str
    default: ""
  controller_boot_id:
    description: The controller's C(/proc/sys/kernel/random/boot_id).
    type: str
    default: ""
  target_boot_id:
    description: The host's kernel boot id.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Why not to reboot this host
  ansible.builtin.debug:
    msg: "{{ ansible_connection | default('ssh') | gpuhost.provision.reboot_target(target_machine_id=ansible_facts['machine_id']) }}"
"""

RETURN = r"""
_value:
  description: The reason (e.g. V(over a local connection)), or an empty string when the host may be rebooted.
  type: str
"""

from ansible_collections.gpuhost.provision.plugins.module_utils._reboot import reboot_target


class FilterModule(object):
    def filters(self):
        return {"reboot_target": reboot_target}

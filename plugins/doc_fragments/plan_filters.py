# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by the filters that hold the roles' and playbooks' decisions."""
from __future__ import annotations


class ModuleDocFragment:
    # The run's check mode
    DOCUMENTATION = r"""
options:
  check_mode:
    description: Whether the run is a check (C(ansible_check_mode)); the words say what would be done.
    type: bool
    default: false
"""

    # A table of the play's hosts from what the play recorded per host
    HOST_TABLE = r"""
options:
  _input:
    description: The hosts, in the order of the table.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
"""

    # The persistenced role's inputs that its plan and its report both read
    PERSISTENCED = r"""
options:
  method:
    description: C(persistenced_method).
    type: str
    default: daemon
  user:
    description: C(persistenced_user).
    type: str
    default: nvidia-persistenced
  start:
    description: C(persistenced_start) (auto, true or false).
    type: raw
    default: auto
  program:
    description: The program that keeps persistence (nvidia-persistenced, or nvidia-smi for the legacy method).
    type: str
    default: ""
  unit_path:
    description: The unit the role writes.
    type: str
    default: ""
"""

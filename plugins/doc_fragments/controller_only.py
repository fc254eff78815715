# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attributes shared by the actions that check their arguments and variables on the controller, without the host."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    description: Runs on the controller only.
  async:
    support: none
    description: It returns at once.
  check_mode:
    support: full
    description: It only reads its arguments and variables; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  idempotent:
    support: full
    description: Reads its arguments and variables only.
  platform:
    platforms: all
    support: full
    description: The controller; the host is not contacted.
"""

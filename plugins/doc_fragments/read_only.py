# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attributes shared by the modules that only read the host: a POSIX host, nothing changed in any mode."""
from __future__ import annotations


class ModuleDocFragment:
    # gpuhost.provision.posix's platform (ansible-test's yamllint reads a fragment as one literal, so it is written
    # again here), and the attributes of a module that changes nothing
    DOCUMENTATION = r"""
attributes:
  platform:
    support: full
    platforms: posix
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  idempotent:
    support: full
    description: Read only.
"""

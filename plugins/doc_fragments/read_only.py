# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attributes shared by the modules that only read the host: a POSIX host, nothing changed in any mode."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.doc_fragments.posix import ModuleDocFragment as _Posix


class ModuleDocFragment:
    # gpuhost.provision.posix's attributes, and those of a module that changes nothing
    DOCUMENTATION = _Posix.DOCUMENTATION + r"""
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

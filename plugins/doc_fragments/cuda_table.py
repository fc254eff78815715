# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cuda_table option, shared by the modules that resolve a CUDA version to a minimum driver."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  cuda_table:
    description:
      - Rows merged over the built-in CUDA table (NVIDIA's release notes, Linux x86_64; its read date is in
        C(docs/cuda-table.md)), for CUDA releases newer than the collection or to correct a row.
      - Keys are CUDA releases, quoted; values the minimum driver (V(630.10.01)) or a driver branch (V(630),
        met by every driver of that branch or newer).
      - A key V(X.Y) is that minor's GA row (from 13.4 on, one row for every release of the minor, as NVIDIA's
        branch table has it); V(X.Y.Z) is one release. An entry for a release the table knows replaces it.
      - A bad entry (key not a CUDA release, value not a driver version or branch) fails the module with a
        message that names the entry; nothing else is read or checked.
    type: dict
notes:
  - The third number of a CUDA version is the update up to 13.3 (V(12.4.1) is 12.4 Update 1) and a build
    number from 13.4 (V(13.4.1) is 13.4 GA, V(13.4.2) 13.4 Update 1). A release without a row of its own
    uses the newest row of the same minor at or below it, with a warning.
"""

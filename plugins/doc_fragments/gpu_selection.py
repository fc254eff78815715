# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by the modules that change GPUs: which GPUs, and through which interface."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  gpus:
    description:
      - V(all), or a list of GPU indexes, UUIDs or PCI bus ids.
    type: list
    elements: raw
    default: [all]
  backend:
    description:
      - How to talk to the GPUs. V(auto) uses NVML when available, else C(nvidia-smi).
    type: str
    choices: [auto, nvml, nvidia_smi]
    default: auto
"""

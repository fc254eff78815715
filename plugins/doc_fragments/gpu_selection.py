# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the modules that change GPU settings share: which GPUs, through which interface, what check mode does, the
platform and what they need on the host."""
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
attributes:
  check_mode:
    support: full
    description: Computes C(after) and C(changed) without calling any setter.
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
    description: Linux hosts with NVIDIA GPUs and driver.
requirements:
  - nvidia-ml-py (Python module C(pynvml)) on the target for the NVML backend, or C(nvidia-smi).
  - Root to change a setting.
"""

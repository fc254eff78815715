# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one grammar of GPU selectors, shared by the modules that change GPUs (select_gpus), the gpu_state role's plan
and the mps role's inputs: V(all), an index (C(0)), a GPU UUID (C(GPU-) and 32 hex digits as nvidia-smi -L prints
them), a MIG device UUID (C(MIG-<uuid>), or the pre-R470 C(MIG-GPU-<uuid>/<gi>/<ci>)) or a PCI bus id
(C(0000:3b:00.0), the domain may be left out or written with 8 digits).

Private module_utils: not an API.
"""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import normalize_pci_bus_id

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_INDEX = re.compile(r"^[0-9]+\Z")
_GPU_UUID = re.compile(r"^GPU-%s\Z" % _UUID, re.I)
_MIG_UUID = re.compile(r"^MIG-(%s|GPU-%s/[0-9]+/[0-9]+)\Z" % (_UUID, _UUID))
# What CUDA_VISIBLE_DEVICES takes (CUDA Programming Guide, CUDA environment variables): no PCI bus id, no "all".
CUDA_KINDS = ("index", "uuid", "mig")


def parse_selector(selector):
    """One selector -> (kind, value): ("all", "all"), ("index", int), ("uuid", the text), ("mig", the text) or ("pci",
    the normalised bus id); None when it is none of them (a bool, a list, a malformed UUID...)."""
    if isinstance(selector, bool) or not isinstance(selector, (int, str)):
        return None
    text = str(selector).strip()
    if text.lower() == "all":
        return ("all", "all")
    if _INDEX.match(text):
        return ("index", int(text))
    if _GPU_UUID.match(text):
        return ("uuid", text)
    if _MIG_UUID.match(text):
        return ("mig", text)
    bus_id = normalize_pci_bus_id(text)
    return ("pci", bus_id) if bus_id else None


def cuda_visible_device(selector):
    """Whether ``selector`` is a form CUDA_VISIBLE_DEVICES takes as written (it goes into the unit as it is): an index,
    a GPU UUID with its C(GPU-) prefix as nvidia-smi -L prints it, or a MIG device UUID; no blank around it."""
    parsed = parse_selector(selector)
    text = str(selector)
    return (parsed is not None and parsed[0] in CUDA_KINDS and text == text.strip()
            and (parsed[0] != "uuid" or text.startswith("GPU-")))

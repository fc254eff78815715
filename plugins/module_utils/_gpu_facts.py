# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible_facts.nvidia, shared by nvidia_gpu_facts and host_snapshot (nvidia_facts=true)."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    NvidiaError,
    open_backend,
    pci_gpus,
    pci_nvswitches,
)


def collect_gpu_facts(module, backend="auto"):
    """Driver, NVML and per-GPU facts and the PCI view; every failure becomes available=false plus a one-line error."""
    facts = {
        "available": False,
        "error": None,
        "backend": None,
        "driver_version": None,
        "cuda_driver_version": None,
        "nvml_version": None,
        "gpu_count": 0,
        "gpus": [],
        "pci_devices": pci_gpus(),
        "pci_not_in_nvml": [],
        "nvswitch_devices": pci_nvswitches(),
    }
    try:
        with open_backend(module, backend) as opened:
            facts["backend"] = opened.name
            facts["driver_version"] = opened.driver_version()
            facts["cuda_driver_version"] = opened.cuda_driver_version()
            facts["nvml_version"] = opened.nvml_version()
            gpus = opened.gpus()
            facts["gpus"] = [opened.details(gpu) for gpu in gpus]
            facts["gpu_count"] = len(gpus)
            facts["available"] = True
            lost = [gpu.label() for gpu in gpus if gpu.lost]
            if lost:
                facts["error"] = ("GPU(s) %s fell off the bus (GPU is lost): look for Xid 79 in 'dmesg', drain "
                                  "the host, then reset the GPU(s) or reboot" % ", ".join(lost))
    except NvidiaError as exc:
        facts["error"] = exc.msg
    seen = set(g["pci_bus_id"] for g in facts["gpus"] if g["pci_bus_id"] and not g["lost"])
    facts["pci_not_in_nvml"] = [d["pci_bus_id"] for d in facts["pci_devices"] if d["pci_bus_id"] not in seen]
    return facts

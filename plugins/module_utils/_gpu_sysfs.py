# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the kernel shows without NVML (private module_utils, not an API): NVIDIA devices on the PCI bus (sysfs),
whether nvidia-persistenced runs (procfs), and the PCI bus id spelling NVML uses.

These work on a host with no driver at all, so that "lspci sees 4, NVML sees 3" is a fact, not a guess.
"""
from __future__ import annotations

import os
import re

# Overridable by tests (module-internal, not user options).
SYSFS_PCI_DEVICES = "/sys/bus/pci/devices"
PROC_ROOT = "/proc"
PERSISTENCED_PID_FILE = "/var/run/nvidia-persistenced/nvidia-persistenced.pid"

NVIDIA_PCI_VENDOR = 0x10DE
# PCI class codes (class << 8 | subclass) of NVIDIA compute devices: VGA controller, 3D controller.
GPU_PCI_CLASSES = (0x0300, 0x0302)
# NVSwitch chips (HGX/DGX 8-GPU boards) show up as NVIDIA devices of class "bridge, other" (0x0680).
NVSWITCH_PCI_CLASSES = (0x0680,)

_PCI_RE = re.compile(r"^(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$")


def normalize_pci_bus_id(value):
    """'3b:00.0', '0000:3B:00.0', '00000000:3b:00.0' -> '00000000:3B:00.0' (NVML's form); None if invalid."""
    if not isinstance(value, str):
        return None
    match = _PCI_RE.match(value.strip())
    if not match:
        return None
    domain, bus, device, function = match.groups()
    return "%08X:%02X:%02X.%X" % (int(domain or "0", 16), int(bus, 16), int(device, 16), int(function, 16))


def read_text(path):
    """A small file's stripped text, or None when it cannot be read (sysfs, procfs)."""
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def pci_gpus(root=None) -> list:
    """NVIDIA display/3D controllers that the PCI bus shows, whether or not a driver or NVML sees them."""
    return _pci_nvidia(root, GPU_PCI_CLASSES)


def pci_nvswitches(root=None) -> list:
    """NVSwitch bridges on the PCI bus (same fields as pci_gpus): such a board needs Fabric Manager."""
    return _pci_nvidia(root, NVSWITCH_PCI_CLASSES)


def _pci_nvidia(root, classes):
    root = root or SYSFS_PCI_DEVICES
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return []
    devices = []
    for entry in entries:
        path = os.path.join(root, entry)
        try:
            vendor = int(read_text(os.path.join(path, "vendor")) or "0", 16)
            pci_class = int(read_text(os.path.join(path, "class")) or "0", 16)
        except ValueError:
            continue
        if vendor != NVIDIA_PCI_VENDOR or (pci_class >> 8) not in classes:
            continue
        driver_link = os.path.join(path, "driver")
        driver = os.path.basename(os.readlink(driver_link)) if os.path.islink(driver_link) else None
        devices.append({
            "pci_bus_id": normalize_pci_bus_id(entry) or entry,
            "device_id": read_text(os.path.join(path, "device")),
            "class": "0x%06x" % pci_class,
            "driver": driver,
        })
    return devices


def persistenced_running() -> bool:
    """True when nvidia-persistenced runs (pid file + /proc, else a scan of /proc/*/comm)."""
    pid = read_text(PERSISTENCED_PID_FILE)
    if pid and pid.isdigit() and _is_persistenced(pid):
        return True
    try:
        entries = os.listdir(PROC_ROOT)
    except OSError:
        return False
    return any(entry.isdigit() and _is_persistenced(entry) for entry in entries)


def _is_persistenced(pid):
    comm = read_text(os.path.join(PROC_ROOT, pid, "comm"))
    return bool(comm and comm.startswith("nvidia-persist"))

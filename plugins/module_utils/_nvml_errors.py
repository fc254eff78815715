# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The domain errors that the GPU backends raise (private module_utils, not an API).

``str(exc)`` is one line that says what to do; only modules turn these into ``fail_json``.
Import them through ``_nvml``, the entry point for GPU access.
"""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line


class NvidiaError(Exception):
    """Base class. ``str(exc)`` is one line that says what to do."""

    default = "NVIDIA GPU query failed"

    def __init__(self, msg=None, traceback=None):
        super().__init__(one_line(msg or self.default))
        self.traceback = traceback

    @property
    def msg(self) -> str:
        return str(self)


class DriverNotLoaded(NvidiaError):
    default = ("The NVIDIA kernel driver is not loaded (no GPU, or no module built for the running kernel): "
               "check 'lsmod | grep nvidia' and 'dmesg', install the driver (role gpuhost.provision.nvidia_driver) "
               "or reboot into the kernel it was built for")


class LibraryNotFound(NvidiaError):
    default = ("NVML (libnvidia-ml.so.1) was not found: install the NVIDIA driver's userspace libraries "
               "(Debian: libnvidia-ml1, Ubuntu: libnvidia-compute-<branch>, RHEL: nvidia-driver-NVML)")


class NoPermission(NvidiaError):
    default = "Insufficient permissions for this NVIDIA GPU operation: run the task as root (become: true)"


class GpuLost(NvidiaError):
    def __init__(self, pci_bus_id=None, msg=None):
        self.pci_bus_id = pci_bus_id
        where = pci_bus_id or "(unknown PCI bus id)"
        super().__init__(msg or (
            "GPU %s has fallen off the bus (GPU is lost): look for Xid 79 in 'dmesg', drain the host, "
            "then reset the GPU or reboot the host" % where))


class UnknownGpuSelector(NvidiaError):
    default = "Unknown GPU selector"


class NotSupported(NvidiaError):
    default = "This operation is not supported on this GPU"


class DriverLibraryMismatch(NvidiaError):
    default = ("Failed to initialize NVML: Driver/library version mismatch: the loaded nvidia kernel module "
               "is from another driver version than the userspace libraries (usually after a driver upgrade): "
               "reboot the host, or unload and reload the nvidia kernel modules")


class CommandFailed(NvidiaError):
    default = "nvidia-smi failed"


# NVML return codes (nvml.h) that have a domain error; nvidia-smi exits with the same numbers (nvidia-smi(1)).
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18


def error_for_code(code, what, gpu=None, bus_id=None, not_supported=(NVML_ERROR_NOT_SUPPORTED,), lacks=""):
    """The domain error for an NVML return code or an nvidia-smi exit code, or None for a code without one.

    ``what`` names the operation in the permission and support messages, ``gpu`` (or else ``bus_id``) the GPU;
    ``not_supported`` are the codes that mean the driver or GPU lacks the operation, ``lacks`` says so after it."""
    where = " on GPU %s" % gpu.label() if gpu is not None else ""
    if code == NVML_ERROR_LIB_RM_VERSION_MISMATCH:
        return DriverLibraryMismatch()
    if code == NVML_ERROR_DRIVER_NOT_LOADED:
        return DriverNotLoaded()
    if code == NVML_ERROR_LIBRARY_NOT_FOUND:
        return LibraryNotFound()
    if code == NVML_ERROR_GPU_IS_LOST:
        return GpuLost(gpu.pci_bus_id if gpu is not None else bus_id)
    if code == NVML_ERROR_NO_PERMISSION:
        return NoPermission("Insufficient permissions for %s%s: run the task as root (become: true)" % (what, where))
    if code in not_supported:
        return NotSupported("%s is not supported%s%s" % (what, where, lacks))
    return None


# Errors that stop a whole run: an optional per-GPU query that hits one of these re-raises it instead of
# reporting the value as unsupported.
FATAL_ERRORS = (GpuLost, DriverNotLoaded, DriverLibraryMismatch, NoPermission)

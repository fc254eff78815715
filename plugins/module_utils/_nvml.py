# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The entry point for GPU access (private module_utils, not an API): pick a backend, and every name modules use.

``open_backend(module, 'auto'|'nvml'|'nvidia_smi')`` returns a ``GpuBackend``: auto is NVML when ``pynvml``
imports and libnvidia-ml loads, else nvidia-smi. Use it as a context manager, so NVML is shut down once.

Where things live::

    _gpu_backend.py   GpuBackend (the abstract interface), Gpu, select_gpus, compute-mode spelling
    _nvml_errors.py   the domain errors (``str(exc)`` is one line that says what to do)
    _nvml_pynvml.py   NvmlBackend: NVML through nvidia-ml-py, MIG included
    _nvml_smi.py      SmiBackend: nvidia-smi CSV queries and flags
    _gpu_sysfs.py     NVIDIA devices on the PCI bus (sysfs), nvidia-persistenced (procfs), PCI bus id spelling

Helpers raise the domain errors; only modules turn them into ``fail_json``.
"""
from __future__ import annotations

import traceback

from ansible_collections.gpuhost.provision.plugins.module_utils._common import BACKENDS
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_backend import (
    COMPUTE_MODES,
    DETAIL_KEYS,
    SETTABLE_COMPUTE_MODES,
    Gpu,
    GpuBackend,
    compute_mode_name,
    select_gpus,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import (
    normalize_pci_bus_id,
    pci_gpus,
    pci_nvswitches,
    persistenced_running,
    read_text,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_errors import (
    CommandFailed,
    DriverLibraryMismatch,
    DriverNotLoaded,
    GpuLost,
    LibraryNotFound,
    NoPermission,
    NotSupported,
    NvidiaError,
    UnknownGpuSelector,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_pynvml import NvmlBackend, mig_profile_name
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_smi import (
    SMI_QUERY,
    SMI_SETTINGS_QUERY,
    SmiBackend,
    parse_smi_csv,
    parse_smi_settings,
    parse_smi_supported_clocks,
    parse_smi_version,
    smi_error,
)

try:
    import pynvml
except ImportError:  # pragma: no cover - depends on the target host
    pynvml = None
    PYNVML_IMPORT_ERROR = traceback.format_exc()
else:
    PYNVML_IMPORT_ERROR = None

__all__ = [
    "BACKENDS", "COMPUTE_MODES", "DETAIL_KEYS", "SETTABLE_COMPUTE_MODES", "SMI_QUERY", "SMI_SETTINGS_QUERY",
    "CommandFailed", "DriverLibraryMismatch", "DriverNotLoaded", "Gpu", "GpuBackend", "GpuLost", "LibraryNotFound",
    "NoPermission", "NotSupported", "NvidiaError", "NvmlBackend", "SmiBackend", "UnknownGpuSelector",
    "compute_mode_name", "mig_profile_name", "normalize_pci_bus_id", "one_line", "open_backend", "parse_smi_csv",
    "parse_smi_settings", "parse_smi_supported_clocks", "parse_smi_version", "pci_gpus", "pci_nvswitches",
    "persistenced_running", "read_text", "select_gpus", "smi_error",
]


def open_backend(module, backend: str = "auto") -> GpuBackend:
    """Return an initialised backend (use it as a context manager so NVML is shut down once)."""
    if backend not in BACKENDS:
        raise NvidiaError("backend must be one of %s, not %r" % (", ".join(BACKENDS), backend))
    if backend in ("auto", "nvml"):
        if pynvml is None:
            if backend == "nvml":
                raise LibraryNotFound(
                    "backend=nvml needs the Python module pynvml on the target: install nvidia-ml-py "
                    "(Debian: python3-pynvml) or use backend: nvidia_smi", traceback=PYNVML_IMPORT_ERROR)
        else:
            try:
                return NvmlBackend(pynvml)
            except LibraryNotFound:
                if backend == "nvml":
                    raise
    return SmiBackend(module)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The GPU backend interface (``GpuBackend``), the GPU record and GPU selection (private, not an API).

``GpuBackend`` is an abstract class: a backend that lacks one of the abstract methods cannot be instantiated.
The NVML backend (``_nvml_pynvml``) and the nvidia-smi backend (``_nvml_smi``) implement it; modules get one
from ``_nvml.open_backend``.
"""
from __future__ import annotations

import abc

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_selector import parse_selector
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import normalize_pci_bus_id
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_errors import (
    GpuLost,
    NotSupported,
    UnknownGpuSelector,
)

# Compute modes, one spelling everywhere (facts, nvidia_gpu_settings input and output): NVML's
# NVML_COMPUTEMODE_* values (nvml.h) in lower case. EXCLUSIVE_THREAD (1) is reported but cannot be set: NVIDIA
# deprecated it and current drivers refuse it.
COMPUTE_MODES = {0: "default", 1: "exclusive_thread", 2: "prohibited", 3: "exclusive_process"}
COMPUTE_MODE_CODES = dict((name, code) for code, name in COMPUTE_MODES.items())
SETTABLE_COMPUTE_MODES = ("default", "exclusive_process", "prohibited")
# Clock domains whose range can be locked (nvidia-smi -lgc / -lmc; NVML nvmlDeviceSet{Gpu,Memory}LockedClocks).
LOCKED_CLOCK_DOMAINS = ("graphics", "memory")


def compute_mode_name(value):
    """An NVML code (3) or any spelling of a mode ('Exclusive_Process', 'EXCLUSIVE_PROCESS') -> 'exclusive_process'.

    None stays None; an unknown value is returned as text so that nothing is silently lost."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return COMPUTE_MODES.get(value, str(value))
    text = str(value).strip()
    lowered = text.lower().replace(" ", "_").replace("-", "_")
    return lowered if lowered in COMPUTE_MODE_CODES else text


# Per-GPU facts every backend returns from details(); a value the GPU or driver does not report is None.
DETAIL_KEYS = (
    "persistence_mode", "compute_mode", "mig_mode_current", "mig_mode_pending", "ecc_mode_current",
    "ecc_mode_pending", "power_limit_w", "power_limit_min_w", "power_limit_max_w", "power_default_limit_w",
    "memory_total_mib", "compute_capability", "vbios_version", "architecture",
)
# What settings() returns (application_clocks is {'mem_mhz', 'graphics_mhz'} or None).
SETTING_KEYS = ("compute_mode", "power_limit_w", "power_limit_min_w", "power_limit_max_w", "application_clocks",
                "accounting_mode", "ecc_mode_current", "ecc_mode_pending")


class Gpu:
    """One GPU as enumerated by a backend."""

    def __init__(self, index, uuid=None, pci_bus_id=None, name=None, handle=None, lost=False):
        self.index = index
        self.uuid = uuid
        self.pci_bus_id = normalize_pci_bus_id(pci_bus_id) or pci_bus_id
        self.name = name
        self.handle = handle
        self.lost = lost

    def label(self) -> str:
        return self.pci_bus_id or ("index %s" % self.index)

    def ident(self) -> dict:
        return {"index": self.index, "uuid": self.uuid, "pci_bus_id": self.pci_bus_id}

    def empty_details(self) -> dict:
        """details() of a GPU that reports nothing (lost, or before the backend fills it in)."""
        facts = {"index": self.index, "name": self.name, "uuid": self.uuid, "pci_bus_id": self.pci_bus_id,
                 "lost": self.lost}
        facts.update((key, None) for key in DETAIL_KEYS)
        return facts


class GpuBackend(abc.ABC):
    """How modules read and change GPUs. Use it as a context manager so that it is closed once.

    Every method that takes a ``gpu`` takes a ``Gpu`` from ``gpus()``. Failures raise the domain errors of
    ``_nvml_errors``. MIG management is optional: a backend without it inherits methods that raise NotSupported.
    """

    name = None   # 'nvml' or 'nvidia_smi': what the modules report as ``backend``

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Release the library (NVML: nvmlShutdown). Called once by __exit__."""

    # --- system ----------------------------------------------------------------------------------------
    @abc.abstractmethod
    def driver_version(self) -> str:
        """The loaded driver's version, e.g. '580.95.05'."""

    @abc.abstractmethod
    def nvml_version(self):
        """NVML's version, e.g. '13.580.95.05', or None."""

    @abc.abstractmethod
    def cuda_driver_version(self):
        """The CUDA version the driver supports, e.g. '13.0', or None."""

    # --- GPUs and facts --------------------------------------------------------------------------------
    @abc.abstractmethod
    def gpus(self) -> list:
        """[Gpu], enumerated once per backend; a GPU that fell off the bus has lost=True."""

    @abc.abstractmethod
    def details(self, gpu) -> dict:
        """Per-GPU facts: index, name, uuid, pci_bus_id, lost and DETAIL_KEYS (unsupported -> None)."""

    # --- persistence -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def persistence(self, gpu) -> bool:
        """The GPU's persistence mode."""

    @abc.abstractmethod
    def set_persistence(self, gpu, enabled: bool) -> None:
        """Turn persistence mode on or off."""

    # --- settings --------------------------------------------------------------------------------------
    @abc.abstractmethod
    def settings(self, gpu) -> dict:
        """SETTING_KEYS -> current value (unsupported -> None); compute_mode spelled as COMPUTE_MODES."""

    @abc.abstractmethod
    def supported_clocks(self, gpu):
        """{mem_mhz: [graphics_mhz, ...]} or None when the GPU has no application clocks."""

    @abc.abstractmethod
    def set_compute_mode(self, gpu, name: str) -> None:
        """name is one of SETTABLE_COMPUTE_MODES."""

    @abc.abstractmethod
    def set_power_limit(self, gpu, watts: float) -> None:
        """Set the power limit in watts."""

    @abc.abstractmethod
    def set_application_clocks(self, gpu, mem_mhz: int, graphics_mhz: int) -> None:
        """Set the application clocks (a supported pair)."""

    @abc.abstractmethod
    def set_accounting_mode(self, gpu, enabled: bool) -> None:
        """Turn per-process accounting on or off."""

    @abc.abstractmethod
    def set_ecc_mode(self, gpu, enabled: bool) -> None:
        """Set the pending ECC mode (takes effect at the next reboot)."""

    @abc.abstractmethod
    def set_locked_clocks(self, gpu, domain: str, min_mhz: int, max_mhz: int) -> None:
        """Lock the clocks of a domain of LOCKED_CLOCK_DOMAINS to a range in MHz (lost at driver unload)."""

    @abc.abstractmethod
    def reset_locked_clocks(self, gpu, domain: str) -> None:
        """Unlock the clocks of a domain of LOCKED_CLOCK_DOMAINS."""

    # --- MIG (optional) --------------------------------------------------------------------------------
    def _no_mig(self):
        return NotSupported("MIG management needs the NVML backend (backend: nvml), not %s" % self.name)

    def mig_mode(self, gpu):
        """(current, pending) or None when the GPU has no MIG."""
        raise self._no_mig()

    def mig_profiles(self, gpu) -> dict:
        """{name: {'const', 'id', 'slices', 'instances', 'memory_mib'}} of the GPU-instance profiles."""
        raise self._no_mig()

    def mig_instances(self, gpu, profiles) -> list:
        """The GPU instances: [{'profile', 'profile_id', 'handle'}]."""
        raise self._no_mig()

    def compute_processes(self, gpu) -> list:
        """Pids of the compute processes running on the GPU."""
        raise self._no_mig()

    def set_mig_mode(self, gpu, enabled: bool) -> None:
        raise self._no_mig()

    def destroy_gpu_instance(self, gpu, instance) -> None:
        """Destroy a GPU instance, its compute instances first."""
        raise self._no_mig()

    def create_gpu_instance(self, gpu, profile):
        """Create one GPU instance and one compute instance spanning it."""
        raise self._no_mig()


def select_gpus(gpus, selectors) -> list:
    """Resolve ``all`` or a list of index / UUID / PCI bus id to GPUs. Raises UnknownGpuSelector or GpuLost."""
    if selectors is None:
        selectors = ["all"]
    if not isinstance(selectors, (list, tuple)):
        selectors = [selectors]
    if any(isinstance(s, str) and s.strip().lower() == "all" for s in selectors):
        chosen = list(gpus)
    else:
        chosen = []
        for selector in selectors:
            gpu = _match_selector(gpus, selector)
            if gpu not in chosen:
                chosen.append(gpu)
    for gpu in chosen:
        if gpu.lost:
            raise GpuLost(gpu.pci_bus_id)
    return chosen


def _invalid_selector(selector):
    return UnknownGpuSelector(
        "GPU selector %r is not valid: use 'all', an index, a UUID (GPU-...) or a PCI bus id (0000:3b:00.0)"
        % (selector,))


def _match_selector(gpus, selector):
    parsed = parse_selector(selector)
    text = str(selector).strip()
    if parsed is None and text.lower().startswith("gpu-"):
        raise UnknownGpuSelector("No GPU has UUID %s: list them with 'nvidia-smi -L'" % text)
    if parsed is None or parsed[0] not in ("index", "uuid", "pci"):
        raise _invalid_selector(selector if parsed is None and not isinstance(selector, str) else text)
    kind, value = parsed
    if kind == "index":
        index = value
        for gpu in gpus:
            if gpu.index == index:
                return gpu
        if not gpus:
            raise UnknownGpuSelector("GPU index %d does not exist: no NVIDIA GPU is visible on this host" % index)
        raise UnknownGpuSelector(
            "GPU index %d does not exist: this host has %d GPU(s), indexes 0-%d" % (index, len(gpus), len(gpus) - 1))
    if kind == "uuid":
        for gpu in gpus:
            if gpu.uuid and gpu.uuid.lower() == text.lower():
                return gpu
        raise UnknownGpuSelector("No GPU has UUID %s: list them with 'nvidia-smi -L'" % text)
    for gpu in gpus:
        if gpu.pci_bus_id == value:
            return gpu
    raise UnknownGpuSelector(
        "No GPU at PCI bus id %s: list them with 'nvidia-smi --query-gpu=index,pci.bus_id --format=csv'" % value)

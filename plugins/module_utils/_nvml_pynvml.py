# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The NVML backend: ``GpuBackend`` over the Python module ``pynvml`` (nvidia-ml-py). Private, not an API.

The pynvml module object is passed in (``NvmlBackend(pynvml)``), so that tests can hand it a fake; NVML is
initialised once per backend object and shut down by ``close()``.
"""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_backend import (
    COMPUTE_MODE_CODES,
    Gpu,
    GpuBackend,
    compute_mode_name,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import normalize_pci_bus_id
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_errors import (
    FATAL_ERRORS,
    NVML_ERROR_FUNCTION_NOT_FOUND,
    NVML_ERROR_NOT_SUPPORTED,
    GpuLost,
    NotSupported,
    NvidiaError,
    error_for_code,
)

# NVML constants (nvml.h); kept here (the return codes in _nvml_errors) so that the module does not depend on pynvml
# to map errors.
NVML_CLOCK_GRAPHICS = 0
NVML_CLOCK_MEM = 2

ARCHITECTURES = {
    2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing", 7: "Ampere", 8: "Ada",
    9: "Hopper", 10: "Blackwell", 13: "Rubin",
}

# GPU-instance profile constants (nvml.h NVML_GPU_INSTANCE_PROFILE_*): name suffix per constant.
MIG_PROFILE_CONSTANTS = {0: "", 1: "", 2: "", 3: "", 4: "", 5: "", 6: "", 7: "+me", 8: "+me", 9: "",
                         10: "+gfx", 11: "+gfx", 12: "+gfx", 13: "", 14: ""}
# Compute-instance profile constant for a GI of this many slices (NVML_COMPUTE_INSTANCE_PROFILE_*).
MIG_CI_PROFILE_FOR_SLICES = {1: 0, 2: 1, 3: 2, 4: 3, 7: 4, 8: 5, 6: 6}
NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED = 0
# (set, reset) per locked clock domain (nvml.h; graphics from Volta, memory from Ampere).
_LOCKED_CLOCK_CALLS = {
    "graphics": ("nvmlDeviceSetGpuLockedClocks", "nvmlDeviceResetGpuLockedClocks"),
    "memory": ("nvmlDeviceSetMemoryLockedClocks", "nvmlDeviceResetMemoryLockedClocks"),
}


def text(value):
    """pynvml returns bytes from older releases, str from newer ones."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def as_bool(value):
    return None if value is None else bool(value)


def as_watts(milliwatts):
    return None if milliwatts is None else round(milliwatts / 1000.0, 2)


def mig_profile_name(slices, memory_mib, total_bytes, suffix=""):
    """mig-parted's naming: the profile's memory as a fraction of the GPU, rounded up to eighths, in GB."""
    one_gib = 1024 * 1024 * 1024
    fraction = _ceil_eighth(float(memory_mib) * 1024 * 1024 / float(total_bytes))
    total_gb = (int(total_bytes) + one_gib - 1) // one_gib
    return "%dg.%dgb%s" % (slices, int(fraction * total_gb + 0.5), suffix)     # Go math.Round: half away from 0


def _ceil_eighth(fraction):
    eighths = int(fraction * 8)
    if eighths < fraction * 8 - 1e-9:
        eighths += 1
    return eighths / 8.0


class NvmlBackend(GpuBackend):
    name = "nvml"

    def __init__(self, nvml):
        self._nvml = nvml
        self._initialised = False
        self._gpus = None
        self._call("nvmlInit")
        self._initialised = True

    def close(self) -> None:
        if self._initialised:
            self._initialised = False
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError:
                pass

    # --- calling NVML ----------------------------------------------------------------------------------
    def _call(self, fname, *args, **kwargs):
        gpu = kwargs.get("gpu")
        what = kwargs.get("what", fname)
        try:
            return getattr(self._nvml, fname)(*args)
        except self._nvml.NVMLError as exc:
            raise self._map_error(exc, gpu, what)

    @staticmethod
    def _map_error(exc, gpu, what):
        found = error_for_code(getattr(exc, "value", None), what, gpu,
                               not_supported=(NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_FUNCTION_NOT_FOUND),
                               lacks=" (driver or GPU lacks it)")
        if found is not None:
            return found
        where = " on GPU %s" % gpu.label() if gpu is not None else ""
        return NvidiaError("NVML %s failed%s: %s" % (what, where, exc))

    def _optional(self, fname, gpu, *args):
        """A per-GPU query whose lack of support is a None, not an error."""
        try:
            return self._call(fname, gpu.handle, *args, gpu=gpu)
        except FATAL_ERRORS:
            raise
        except NvidiaError:
            return None

    def _set(self, fname, gpu, what, *values):
        self._call(fname, gpu.handle, *values, gpu=gpu, what=what)

    # --- system ----------------------------------------------------------------------------------------
    def driver_version(self) -> str:
        return text(self._call("nvmlSystemGetDriverVersion"))

    def nvml_version(self):
        try:
            return text(self._call("nvmlSystemGetNVMLVersion"))
        except NotSupported:
            return None

    def cuda_driver_version(self):
        try:
            value = self._call("nvmlSystemGetCudaDriverVersion")
        except NotSupported:
            return None
        return "%d.%d" % (value // 1000, (value % 1000) // 10)

    # --- GPUs and facts --------------------------------------------------------------------------------
    def gpus(self) -> list:
        if self._gpus is None:
            self._gpus = [self._enumerate(index) for index in range(self._call("nvmlDeviceGetCount"))]
        return self._gpus

    def _enumerate(self, index):
        gpu = Gpu(index)
        try:
            gpu.handle = self._call("nvmlDeviceGetHandleByIndex", index, gpu=gpu)
            gpu.pci_bus_id = normalize_pci_bus_id(text(self._call("nvmlDeviceGetPciInfo", gpu.handle, gpu=gpu).busId))
            gpu.uuid = text(self._call("nvmlDeviceGetUUID", gpu.handle, gpu=gpu))
            gpu.name = text(self._call("nvmlDeviceGetName", gpu.handle, gpu=gpu))
        except GpuLost:
            gpu.lost = True
        return gpu

    def details(self, gpu) -> dict:
        facts = gpu.empty_details()
        if gpu.lost:
            return facts
        opt = self._optional
        facts["persistence_mode"] = as_bool(opt("nvmlDeviceGetPersistenceMode", gpu))
        facts["compute_mode"] = compute_mode_name(opt("nvmlDeviceGetComputeMode", gpu))
        mig = opt("nvmlDeviceGetMigMode", gpu)
        if mig:
            facts["mig_mode_current"], facts["mig_mode_pending"] = as_bool(mig[0]), as_bool(mig[1])
        ecc = opt("nvmlDeviceGetEccMode", gpu)
        if ecc:
            facts["ecc_mode_current"], facts["ecc_mode_pending"] = as_bool(ecc[0]), as_bool(ecc[1])
        facts["power_limit_w"] = as_watts(opt("nvmlDeviceGetPowerManagementLimit", gpu))
        limits = opt("nvmlDeviceGetPowerManagementLimitConstraints", gpu)
        if limits:
            facts["power_limit_min_w"], facts["power_limit_max_w"] = as_watts(limits[0]), as_watts(limits[1])
        facts["power_default_limit_w"] = as_watts(opt("nvmlDeviceGetPowerManagementDefaultLimit", gpu))
        memory = opt("nvmlDeviceGetMemoryInfo", gpu)
        if memory is not None:
            facts["memory_total_mib"] = int(memory.total) // (1024 * 1024)
        capability = opt("nvmlDeviceGetCudaComputeCapability", gpu)
        if capability:
            facts["compute_capability"] = "%d.%d" % tuple(capability)
        facts["vbios_version"] = text(opt("nvmlDeviceGetVbiosVersion", gpu))
        arch = opt("nvmlDeviceGetArchitecture", gpu)
        facts["architecture"] = ARCHITECTURES.get(arch) if arch is not None else None
        return facts

    # --- persistence -----------------------------------------------------------------------------------
    def persistence(self, gpu) -> bool:
        return self._call("nvmlDeviceGetPersistenceMode", gpu.handle, gpu=gpu, what="reading persistence mode") == 1

    def set_persistence(self, gpu, enabled: bool) -> None:
        self._set("nvmlDeviceSetPersistenceMode", gpu, "setting persistence mode", 1 if enabled else 0)

    # --- settings --------------------------------------------------------------------------------------
    def settings(self, gpu) -> dict:
        opt = self._optional
        limits = opt("nvmlDeviceGetPowerManagementLimitConstraints", gpu)
        ecc = opt("nvmlDeviceGetEccMode", gpu)
        mem = opt("nvmlDeviceGetApplicationsClock", gpu, NVML_CLOCK_MEM)
        graphics = opt("nvmlDeviceGetApplicationsClock", gpu, NVML_CLOCK_GRAPHICS)
        return {
            "compute_mode": compute_mode_name(opt("nvmlDeviceGetComputeMode", gpu)),
            "power_limit_w": as_watts(opt("nvmlDeviceGetPowerManagementLimit", gpu)),
            "power_limit_min_w": as_watts(limits[0]) if limits else None,
            "power_limit_max_w": as_watts(limits[1]) if limits else None,
            "application_clocks": ({"mem_mhz": int(mem), "graphics_mhz": int(graphics)}
                                   if mem is not None and graphics is not None else None),
            "accounting_mode": as_bool(opt("nvmlDeviceGetAccountingMode", gpu)),
            "ecc_mode_current": as_bool(ecc[0]) if ecc else None,
            "ecc_mode_pending": as_bool(ecc[1]) if ecc else None,
        }

    def supported_clocks(self, gpu):
        mems = self._optional("nvmlDeviceGetSupportedMemoryClocks", gpu)
        if not mems:
            return None
        return dict((int(mem), [int(g) for g in (self._optional("nvmlDeviceGetSupportedGraphicsClocks", gpu, mem) or [])])
                    for mem in mems)

    def set_compute_mode(self, gpu, name: str) -> None:
        self._set("nvmlDeviceSetComputeMode", gpu, "setting compute mode", COMPUTE_MODE_CODES[name])

    def set_power_limit(self, gpu, watts: float) -> None:
        self._set("nvmlDeviceSetPowerManagementLimit", gpu, "setting the power limit", int(round(watts * 1000)))

    def set_application_clocks(self, gpu, mem_mhz: int, graphics_mhz: int) -> None:
        self._set("nvmlDeviceSetApplicationsClocks", gpu, "setting application clocks", int(mem_mhz), int(graphics_mhz))

    def set_accounting_mode(self, gpu, enabled: bool) -> None:
        self._set("nvmlDeviceSetAccountingMode", gpu, "setting accounting mode", 1 if enabled else 0)

    def set_ecc_mode(self, gpu, enabled: bool) -> None:
        self._set("nvmlDeviceSetEccMode", gpu, "setting ECC mode", 1 if enabled else 0)

    def set_locked_clocks(self, gpu, domain: str, min_mhz: int, max_mhz: int) -> None:
        fname = _LOCKED_CLOCK_CALLS[domain][0]
        self._set(fname, gpu, "locking %s clocks" % domain, int(min_mhz), int(max_mhz))

    def reset_locked_clocks(self, gpu, domain: str) -> None:
        self._set(_LOCKED_CLOCK_CALLS[domain][1], gpu, "unlocking %s clocks" % domain)

    # --- MIG -------------------------------------------------------------------------------------------
    def mig_mode(self, gpu):
        mode = self._optional("nvmlDeviceGetMigMode", gpu)
        return (bool(mode[0]), bool(mode[1])) if mode else None

    def mig_profiles(self, gpu) -> dict:
        memory = self._call("nvmlDeviceGetMemoryInfo", gpu.handle, gpu=gpu, what="reading memory size")
        profiles = {}
        for const, suffix in sorted(MIG_PROFILE_CONSTANTS.items()):
            info = self._optional("nvmlDeviceGetGpuInstanceProfileInfo", gpu, const)
            if info is None or not getattr(info, "instanceCount", 0):
                continue
            name = mig_profile_name(info.sliceCount, info.memorySizeMB, memory.total, suffix)
            if name not in profiles:
                profiles[name] = {"const": const, "id": info.id, "slices": info.sliceCount,
                                  "instances": info.instanceCount, "memory_mib": info.memorySizeMB}
        return profiles

    def mig_instances(self, gpu, profiles) -> list:
        found = []
        for name, profile in sorted(profiles.items()):
            for handle in self._call("nvmlDeviceGetGpuInstances", gpu.handle, profile["id"], gpu=gpu,
                                     what="listing MIG GPU instances") or []:
                found.append({"profile": name, "profile_id": profile["id"], "handle": handle})
        return found

    def compute_processes(self, gpu) -> list:
        procs = self._optional("nvmlDeviceGetComputeRunningProcesses", gpu) or []
        return [int(getattr(p, "pid", 0)) for p in procs]

    def set_mig_mode(self, gpu, enabled: bool) -> None:
        self._set("nvmlDeviceSetMigMode", gpu, "setting MIG mode", 1 if enabled else 0)

    def destroy_gpu_instance(self, gpu, instance) -> None:
        handle = instance["handle"]
        for ci_const in sorted(set(MIG_CI_PROFILE_FOR_SLICES.values())):
            try:
                info = self._call("nvmlGpuInstanceGetComputeInstanceProfileInfo", handle, ci_const,
                                  NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, gpu=gpu)
            except NotSupported:
                continue
            for ci in self._call("nvmlGpuInstanceGetComputeInstances", handle, info.id, gpu=gpu,
                                 what="listing MIG compute instances") or []:
                self._call("nvmlComputeInstanceDestroy", ci, gpu=gpu, what="destroying a MIG compute instance")
        self._call("nvmlGpuInstanceDestroy", handle, gpu=gpu, what="destroying a MIG GPU instance")

    def create_gpu_instance(self, gpu, profile):
        handle = self._call("nvmlDeviceCreateGpuInstance", gpu.handle, profile["id"], gpu=gpu,
                            what="creating a MIG GPU instance")
        ci_const = MIG_CI_PROFILE_FOR_SLICES.get(profile["slices"], 0)
        info = self._call("nvmlGpuInstanceGetComputeInstanceProfileInfo", handle, ci_const,
                          NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, gpu=gpu)
        self._call("nvmlGpuInstanceCreateComputeInstance", handle, info.id, gpu=gpu,
                   what="creating a MIG compute instance")
        return handle

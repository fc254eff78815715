#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_gpu_settings
short_description: Set NVIDIA GPU compute mode, power limit, application and locked clocks, accounting and ECC mode
version_added: 0.1.0
description:
  - Reads the current settings of the selected GPUs, works out what differs from the requested values and
    sets only that. Options left out are neither read into the result nor changed.
  - GPUs are selected as in M(gpuhost.provision.nvidia_persistence) by index, UUID or PCI bus id, or V(all).
  - Everything is validated for every selected GPU before any setter is called for any GPU. A power limit
    outside the GPU's constraints, an application clocks pair the GPU does not support, a setting the GPU
    does not support or a non-root user fail with a one-line message and the host untouched.
  - Compute mode, accounting mode, application clocks and the power limit are lost when the GPU is
    de-initialised (driver unload, reset, reboot, or the last client leaving without persistence); keep the GPUs
    initialised with C(nvidia-persistenced) and apply the settings again at boot.
  - An ECC mode change stays pending until the next reboot; the module reports C(ecc_pending_reboot) and
    C(reboot_required) and never reboots.
  - Locked clocks (O(locked_graphics_clocks), O(locked_memory_clocks)) are lost the same way. Neither NVML nor
    C(nvidia-smi) can read a locked range back, so the module keeps what it locked in O(locked_clocks_record), a
    record valid for the current boot and loaded driver; a range it has no record of is reported as V(unknown) and
    set again.
  - Uses NVML through the Python module C(pynvml) (nvidia-ml-py) when available, else C(nvidia-smi -i <index>)
    with C(-c), C(-pl), C(-ac), C(-am), C(-e), C(-lgc)/C(-rgc) and C(-lmc)/C(-rmc).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  compute_mode:
    description:
      - Compute mode, one of V(default), V(exclusive_process) or V(prohibited). V(exclusive_process) allows one
        process (context) per GPU; V(prohibited) allows none.
      - The same spelling as C(compute_mode) in the facts of M(gpuhost.provision.nvidia_gpu_facts) and in this
        module's C(before) and C(after). Case and C(-) for C(_) do not matter, so C(nvidia-smi)'s
        C(EXCLUSIVE_PROCESS) and the C(Exclusive_Process) that earlier versions of the facts reported are
        accepted and reported as V(exclusive_process).
      - C(exclusive_thread) cannot be set (NVIDIA deprecated it; current drivers refuse it).
    type: str
  power_limit_w:
    description:
      - Software power cap in watts; must lie inside the GPU's minimum and maximum power limit.
    type: float
  application_clocks:
    description:
      - Application clocks as a pair that the GPU supports (C(nvidia-smi -q -d SUPPORTED_CLOCKS)).
    type: dict
    suboptions:
      mem_mhz:
        description: Memory clock in MHz.
        type: int
        required: true
      graphics_mhz:
        description: Graphics clock in MHz.
        type: int
        required: true
  locked_graphics_clocks:
    description:
      - Lock the graphics clock to a range, as C(nvidia-smi -lgc <min>,<max>) does (NVML
        C(nvmlDeviceSetGpuLockedClocks); Volta or newer), or unlock it with O(locked_graphics_clocks.reset).
      - The range must lie inside the graphics clocks the GPU supports (C(nvidia-smi -q -d SUPPORTED_CLOCKS)).
    type: dict
    suboptions:
      min_mhz:
        description: Lowest graphics clock in MHz.
        type: int
      max_mhz:
        description: Highest graphics clock in MHz; equal to O(locked_graphics_clocks.min_mhz) for a fixed clock.
        type: int
      reset:
        description: Unlock the graphics clock (C(nvidia-smi -rgc)) instead of locking a range.
        type: bool
        default: false
  locked_memory_clocks:
    description:
      - Lock the memory clock to a range, as C(nvidia-smi -lmc <min>,<max>) does (NVML
        C(nvmlDeviceSetMemoryLockedClocks); Ampere or newer), or unlock it with O(locked_memory_clocks.reset).
      - The range must lie inside the memory clocks the GPU supports.
    type: dict
    suboptions:
      min_mhz:
        description: Lowest memory clock in MHz.
        type: int
      max_mhz:
        description: Highest memory clock in MHz.
        type: int
      reset:
        description: Unlock the memory clock (C(nvidia-smi -rmc)) instead of locking a range.
        type: bool
        default: false
  locked_clocks_record:
    description:
      - Where the module keeps the locked ranges it set (JSON, written only when a locked range changes). Under
        C(/run), it is emptied at boot, as the driver forgets locked clocks.
    type: path
    default: /run/gpuhost-provision/locked-clocks.json
  accounting_mode:
    description:
      - Per-process accounting.
    type: bool
  ecc_mode:
    description:
      - ECC mode. The change is pending until the host reboots.
    type: bool
extends_documentation_fragment:
  - gpuhost.provision.gpu_selection
attributes:
  diff_mode:
    description: Returns the requested settings per GPU before and after.
seealso:
  - module: gpuhost.provision.nvidia_persistence
  - module: gpuhost.provision.nvidia_gpu_facts
"""

EXAMPLES = r"""
- name: One process per GPU, a 500 W cap and accounting on every GPU
  gpuhost.provision.nvidia_gpu_settings:
    compute_mode: exclusive_process
    power_limit_w: 500
    accounting_mode: true
  become: true

- name: Application clocks on GPU 0 (a pair from nvidia-smi -q -d SUPPORTED_CLOCKS)
  gpuhost.provision.nvidia_gpu_settings:
    gpus: [0]
    application_clocks:
      mem_mhz: 2619
      graphics_mhz: 1755
  become: true

- name: Lock the graphics clock of every GPU to 1410-1980 MHz and the memory clock to 2619 MHz
  gpuhost.provision.nvidia_gpu_settings:
    locked_graphics_clocks: {min_mhz: 1410, max_mhz: 1980}
    locked_memory_clocks: {min_mhz: 2619, max_mhz: 2619}
  become: true

- name: Unlock the graphics clock of GPU 0
  gpuhost.provision.nvidia_gpu_settings:
    gpus: [0]
    locked_graphics_clocks: {reset: true}
  become: true

- name: Turn ECC on (takes effect at the next reboot)
  gpuhost.provision.nvidia_gpu_settings:
    ecc_mode: true
  become: true
  register: __ecc

- name: Would anything change? (check mode, nothing is set)
  gpuhost.provision.nvidia_gpu_settings:
    gpus: ["0000:3b:00.0"]
    compute_mode: default
  check_mode: true
"""

RETURN = r"""
gpus:
  description: The selected GPUs with the requested settings before and after.
  returned: always
  type: list
  elements: dict
  sample:
    - index: 0
      uuid: GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e
      pci_bus_id: "00000000:3B:00.0"
      before: {compute_mode: default, power_limit_w: 700.0, locked_graphics_clocks: unknown}
      after: {compute_mode: exclusive_process, power_limit_w: 500.0,
              locked_graphics_clocks: {min_mhz: 1410, max_mhz: 1980}}
      changed: true
      ecc_pending_reboot: false
ecc_pending_reboot:
  description: Whether any selected GPU has an ECC mode change pending until reboot (after this run).
  returned: always
  type: bool
  sample: false
reboot_required:
  description: Same as RV(ecc_pending_reboot); the module never reboots.
  returned: always
  type: bool
  sample: false
backend:
  description: The backend used, V(nvml) or V(nvidia_smi).
  returned: always
  type: str
  sample: nvml
diff:
  description: The requested settings per GPU (keyed by PCI bus id) before and after.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"00000000:3B:00.0": {compute_mode: default}}
    after: {"00000000:3B:00.0": {compute_mode: exclusive_process}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import (
    fail_from,
    gpu_key,
    gpu_selection_spec,
    is_root,
    per_gpu_diff,
    root_message,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._locked_clocks import (
    DEFAULT_RECORD,
    LockedClockRecord,
    clock_range,
    range_problem,
    read_boot_id,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    SETTABLE_COMPUTE_MODES,
    GpuBackend,
    NoPermission,
    NotSupported,
    NvidiaError,
    compute_mode_name,
    open_backend,
    select_gpus,
)

SETTINGS = ("compute_mode", "power_limit_w", "application_clocks", "locked_graphics_clocks", "locked_memory_clocks",
            "accounting_mode", "ecc_mode")
# Locked clocks: option -> clock domain, and the first architecture that supports locking it (NVML docs).
LOCKED = {"locked_graphics_clocks": "graphics", "locked_memory_clocks": "memory"}
LOCKED_SINCE = {"locked_graphics_clocks": "Volta", "locked_memory_clocks": "Ampere"}
ARCH_ORDER = ("Kepler", "Maxwell", "Pascal", "Volta", "Turing", "Ampere", "Ada", "Hopper", "Blackwell", "Rubin")
UNKNOWN = "unknown"
LABELS = {
    "compute_mode": "compute mode",
    "power_limit_w": "the power limit",
    "application_clocks": "application clocks",
    "locked_graphics_clocks": "locked graphics clocks",
    "locked_memory_clocks": "locked memory clocks",
    "accounting_mode": "accounting mode",
    "ecc_mode": "ECC mode",
}


def _clocks_text(table):
    parts = []
    for mem, graphics in sorted(table.items(), reverse=True):
        shown = ",".join(str(g) for g in sorted(graphics, reverse=True)[:6])
        parts.append("mem %d: graphics %s%s" % (mem, shown, "..." if len(graphics) > 6 else ""))
    return "; ".join(parts)


def _num(value):
    return ("%d" % value) if float(value).is_integer() else ("%.2f" % value)


def desired_settings(params: dict) -> dict:
    """The requested settings, normalised (compute mode in the facts' spelling). Raises NvidiaError on a bad value."""
    wanted = dict((key, params[key]) for key in SETTINGS if params[key] is not None)
    if "compute_mode" in wanted:
        mode = compute_mode_name(wanted["compute_mode"])
        if mode not in SETTABLE_COMPUTE_MODES:
            raise NvidiaError("value of compute_mode must be one of: %s, got: %s"
                              % (", ".join(SETTABLE_COMPUTE_MODES), wanted["compute_mode"]))
        wanted["compute_mode"] = mode
    if "power_limit_w" in wanted:
        wanted["power_limit_w"] = round(float(wanted["power_limit_w"]), 2)
    if "application_clocks" in wanted:
        clocks = wanted["application_clocks"]
        wanted["application_clocks"] = {"mem_mhz": clocks["mem_mhz"], "graphics_mhz": clocks["graphics_mhz"]}
    for key in LOCKED:
        if key in wanted:
            if not wanted[key]["reset"] and wanted[key]["min_mhz"] is None:
                raise NvidiaError("%s needs min_mhz and max_mhz (a range in MHz), or reset: true" % key)
            wanted[key] = clock_range(wanted[key])
            problem = range_problem(key, wanted[key], None)
            if problem:
                raise NvidiaError(problem)
    return wanted


def _too_old(key, architecture):
    """True when the GPU's architecture is known and older than the one that can lock this domain."""
    if architecture not in ARCH_ORDER:
        return False
    return ARCH_ORDER.index(architecture) < ARCH_ORDER.index(LOCKED_SINCE[key])


class SettingsManager:
    """Work out current vs desired for every selected GPU first, then change only what differs."""

    def __init__(self, module: AnsibleModule, backend: GpuBackend, wanted: dict, record=None) -> None:
        self.module = module
        self.backend = backend
        self.wanted = wanted
        self.record = record   # LockedClockRecord when a locked clock range is wanted
        self.selected = []     # [(Gpu, result entry, [setting keys to change])]

    def _unsupported(self, gpu, key):
        return NotSupported("Setting %s is not supported on GPU %s (%s): leave %s out for this GPU"
                            % (LABELS[key], gpu.label(), gpu.name or "unknown model", key))

    def current(self, gpu) -> tuple:
        """The current value of each wanted setting; validates the wanted values against this GPU."""
        now = self.backend.settings(gpu)
        before = {}
        for key, value in self.wanted.items():
            if key in LOCKED:
                before[key] = self.locked(gpu, key, value)
                continue
            current = now.get("ecc_mode_pending" if key == "ecc_mode" else key)
            if current is None:
                raise self._unsupported(gpu, key)
            if key == "power_limit_w":
                low, high = now.get("power_limit_min_w"), now.get("power_limit_max_w")
                if low is None or high is None:
                    raise self._unsupported(gpu, key)
                if not low <= value <= high:
                    raise NvidiaError("power_limit_w %s W is outside the range of GPU %s: %s-%s W"
                                      % (_num(value), gpu.label(), _num(low), _num(high)))
            if key == "application_clocks":
                table = self.backend.supported_clocks(gpu)
                if not table:
                    raise self._unsupported(gpu, key)
                if value["graphics_mhz"] not in table.get(value["mem_mhz"], []):
                    raise NvidiaError("application_clocks mem_mhz=%d graphics_mhz=%d is not a supported pair on GPU %s: "
                                      "supported %s" % (value["mem_mhz"], value["graphics_mhz"], gpu.label(),
                                                        _clocks_text(table)))
            before[key] = current
        return before, now.get("ecc_mode_current")

    def locked(self, gpu, key, value):
        """The recorded locked range (or 'unknown'); validates the wanted range against this GPU's clocks."""
        if _too_old(key, self.backend.details(gpu).get("architecture")):
            raise self._unsupported(gpu, key)
        problem = range_problem(key, value, self.backend.supported_clocks(gpu))
        if problem:
            raise NvidiaError("%s on GPU %s" % (problem, gpu.label()))
        recorded = self.record.get(gpu.uuid, LOCKED[key])
        return UNKNOWN if recorded is None else recorded

    def plan(self) -> None:
        for gpu in select_gpus(self.backend.gpus(), self.module.params["gpus"]):
            before, ecc_current = self.current(gpu)
            after = dict(before)
            after.update(self.wanted)
            todo = [key for key in SETTINGS if key in self.wanted and before[key] != self.wanted[key]]
            entry = gpu.ident()
            entry.update(before=before, after=after, changed=bool(todo),
                         ecc_pending_reboot=bool("ecc_mode" in after and ecc_current is not None
                                                 and after["ecc_mode"] != ecc_current))
            self.selected.append((gpu, entry, todo))

    def check(self) -> None:
        """Refuse before changing anything when the change needs root."""
        changing = [gpu.label() for gpu, _entry, todo in self.selected if todo]
        if changing and not self.module.check_mode and not is_root():
            raise NoPermission(root_message("Changing GPU settings", changing))

    def apply(self) -> None:
        if self.module.check_mode:
            return
        for gpu, _entry, todo in self.selected:
            for key in todo:
                self.set(gpu, key, self.wanted[key])
                if key in LOCKED:
                    self.record.put(gpu.uuid, LOCKED[key], self.wanted[key])
        if self.record is not None:
            try:
                self.record.save()
            except OSError as exc:
                self.module.warn("Could not write %s (%s): the next run sets the locked clocks again"
                                 % (self.record.path, exc))

    def set(self, gpu, key: str, value) -> None:
        if key == "compute_mode":
            self.backend.set_compute_mode(gpu, value)
        elif key == "power_limit_w":
            self.backend.set_power_limit(gpu, value)
        elif key == "application_clocks":
            self.backend.set_application_clocks(gpu, value["mem_mhz"], value["graphics_mhz"])
        elif key in LOCKED and isinstance(value, dict):
            self.backend.set_locked_clocks(gpu, LOCKED[key], value["min_mhz"], value["max_mhz"])
        elif key in LOCKED:
            self.backend.reset_locked_clocks(gpu, LOCKED[key])
        elif key == "accounting_mode":
            self.backend.set_accounting_mode(gpu, value)
        elif key == "ecc_mode":
            self.backend.set_ecc_mode(gpu, value)

    @property
    def gpus(self) -> list:
        return [entry for _gpu, entry, _todo in self.selected]


def run_module() -> None:
    argument_spec = dict(
        compute_mode=dict(type="str"),
        power_limit_w=dict(type="float"),
        application_clocks=dict(type="dict", options=dict(
            mem_mhz=dict(type="int", required=True),
            graphics_mhz=dict(type="int", required=True),
        )),
        accounting_mode=dict(type="bool"),
        ecc_mode=dict(type="bool"),
        locked_clocks_record=dict(type="path", default=DEFAULT_RECORD),
    )
    for key in LOCKED:
        argument_spec[key] = dict(
            type="dict",
            options=dict(min_mhz=dict(type="int"), max_mhz=dict(type="int"), reset=dict(type="bool", default=False)),
            required_together=[("min_mhz", "max_mhz")],
            mutually_exclusive=[("min_mhz", "reset"), ("max_mhz", "reset")],
        )
    argument_spec.update(gpu_selection_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        wanted = desired_settings(module.params)
        with open_backend(module, module.params["backend"]) as backend:
            record = None
            if any(key in wanted for key in LOCKED):
                record = LockedClockRecord(module.params["locked_clocks_record"], read_boot_id(),
                                           backend.driver_version()).load()
            manager = SettingsManager(module, backend, wanted, record)
            manager.plan()
            manager.check()
            manager.apply()
    except NvidiaError as exc:
        fail_from(module, exc)
    gpus = manager.gpus
    pending = [gpu_key(g) for g in gpus if g["ecc_pending_reboot"]]
    result = dict(changed=any(g["changed"] for g in gpus), gpus=gpus, ecc_pending_reboot=bool(pending),
                  reboot_required=bool(pending), backend=backend.name)
    if pending:
        module.warn("ECC mode change pending on GPU(s) %s: it takes effect at the next reboot" % ", ".join(pending))
    if module._diff:
        result["diff"] = per_gpu_diff(gpus)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

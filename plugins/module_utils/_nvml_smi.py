# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia-smi backend: ``GpuBackend`` over ``nvidia-smi --query-gpu ... --format=csv``. Private, not an API.

Every nvidia-smi call goes through ``SmiBackend.run`` (argv list, C locale), so tests can replace
``AnsibleModule.run_command``. MIG is not managed through nvidia-smi (the base class raises NotSupported).
"""
from __future__ import annotations

import csv
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_backend import (
    DETAIL_KEYS,
    Gpu,
    GpuBackend,
    compute_mode_name,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import normalize_pci_bus_id
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_errors import (
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_NOT_SUPPORTED,
    CommandFailed,
    DriverLibraryMismatch,
    GpuLost,
    LibraryNotFound,
    NotSupported,
    error_for_code,
)

# nvidia-smi exits with NVML's return codes (nvidia-smi(1)); "query unsuccessful" is its own.
SMI_RC_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED
SMI_RC_QUERY_FAILED = 6
SMI_RC_GPU_LOST = NVML_ERROR_GPU_IS_LOST
MISMATCH_TEXT = "Driver/library version mismatch"

# (nvidia-smi --query-gpu field, fact key, converter); the rows both queries read are written once.
_COMPUTE_MODE_FIELD = ("compute_mode", "compute_mode", compute_mode_name)
_ECC_FIELDS = (("ecc.mode.current", "ecc_mode_current", "bool"), ("ecc.mode.pending", "ecc_mode_pending", "bool"))
_POWER_FIELDS = (
    ("power.limit", "power_limit_w", float),
    ("power.min_limit", "power_limit_min_w", float),
    ("power.max_limit", "power_limit_max_w", float),
)
SMI_FIELDS = (
    ("index", "index", int),
    ("uuid", "uuid", str),
    ("pci.bus_id", "pci_bus_id", str),
    ("name", "name", str),
    ("persistence_mode", "persistence_mode", "bool"),
    _COMPUTE_MODE_FIELD,
    ("mig.mode.current", "mig_mode_current", "bool"),
    ("mig.mode.pending", "mig_mode_pending", "bool"),
) + _ECC_FIELDS + _POWER_FIELDS + (
    ("power.default_limit", "power_default_limit_w", float),
    ("memory.total", "memory_total_mib", int),
    ("compute_cap", "compute_capability", str),
    ("vbios_version", "vbios_version", str),
    ("driver_version", "driver_version", str),
)
SMI_QUERY = ",".join(field for field, _key, _conv in SMI_FIELDS)
SMI_SETTINGS_FIELDS = (("index", "index", int), _COMPUTE_MODE_FIELD) + _POWER_FIELDS + (
    ("clocks.applications.memory", "mem_mhz", int),
    ("clocks.applications.graphics", "graphics_mhz", int),
    ("accounting.mode", "accounting_mode", "bool"),
) + _ECC_FIELDS
SMI_SETTINGS_QUERY = ",".join(field for field, _key, _conv in SMI_SETTINGS_FIELDS)
# nvidia-smi -c takes the mode names in upper case (nvidia-smi(1)).
SMI_COMPUTE_MODES = {"default": "DEFAULT", "exclusive_process": "EXCLUSIVE_PROCESS", "prohibited": "PROHIBITED"}
# (lock, reset) flags per locked clock domain (nvidia-smi(1): -lgc/-rgc, -lmc/-rmc).
SMI_LOCKED_CLOCK_FLAGS = {"graphics": ("-lgc", "-rgc"), "memory": ("-lmc", "-rmc")}
SMI_NONE = ("[N/A]", "N/A", "[Not Supported]", "Not Supported", "[Unknown Error]", "")
_SMI_LOST_RE = re.compile(r"(?:GPU is lost|fallen off the bus|Unable to determine the device handle)", re.I)
_SMI_BUS_RE = re.compile(r"([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])")


def _convert(value, conv):
    value = value.strip()
    if value in SMI_NONE or value.startswith("[") and value.endswith("]"):
        return None
    if conv == "bool":
        lowered = value.lower()
        if lowered in ("enabled", "on", "1"):
            return True
        if lowered in ("disabled", "off", "0"):
            return False
        return None
    try:
        if conv is float:
            return round(float(value), 2)
        return conv(value)
    except ValueError:
        return None


def _csv_rows(text, fields):
    """(row dict or None, raw fields) per non-empty CSV line; None when the line has the wrong field count."""
    for values in csv.reader([line for line in text.splitlines() if line.strip()], skipinitialspace=True):
        if len(values) != len(fields):
            yield None, values
        else:
            yield dict((key, _convert(value, conv)) for (_f, key, conv), value in zip(fields, values)), values


def parse_smi_csv(text):
    """Parse ``--query-gpu=SMI_QUERY --format=csv,noheader,nounits`` output into (rows, lost bus ids)."""
    rows, lost = [], []
    for row, values in _csv_rows(text, SMI_FIELDS):
        if row is not None:
            rows.append(row)
            continue
        line = ", ".join(values)
        if _SMI_LOST_RE.search(line):
            match = _SMI_BUS_RE.search(line)
            lost.append(normalize_pci_bus_id(match.group(1)) if match else None)
    return rows, lost


def parse_smi_settings(text):
    """Parse ``--query-gpu=SMI_SETTINGS_QUERY --format=csv,noheader,nounits`` for one GPU into settings()."""
    for row, _values in _csv_rows(text, SMI_SETTINGS_FIELDS):
        if row is None:
            continue
        mem, graphics = row.pop("mem_mhz"), row.pop("graphics_mhz")
        row.pop("index")
        row["application_clocks"] = ({"mem_mhz": mem, "graphics_mhz": graphics}
                                     if mem is not None and graphics is not None else None)
        return row
    raise CommandFailed("nvidia-smi --query-gpu=%s returned no row" % SMI_SETTINGS_QUERY)


def parse_smi_supported_clocks(text):
    """Parse ``--query-supported-clocks=memory,graphics --format=csv,noheader,nounits``: {mem: [graphics]}."""
    table = {}
    for fields in csv.reader([line for line in text.splitlines() if line.strip()], skipinitialspace=True):
        if len(fields) != 2:
            continue
        try:
            mem, graphics = int(fields[0]), int(fields[1])
        except ValueError:
            continue
        table.setdefault(mem, []).append(graphics)
    return table or None


def parse_smi_version(text):
    """Parse ``nvidia-smi --version``: {'driver': ..., 'nvml': ..., 'cuda': ...}."""
    found = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = [part.strip() for part in line.split(":", 1)]
        key = key.lower()
        for name in ("nvml", "driver", "cuda"):
            if key.startswith(name):
                found[name] = value
                break
    return found


def smi_error(rc, out, err, argv, gpu=None, what=None):
    """The domain error for a failed nvidia-smi call (exit code and output as nvidia-smi(1) documents them)."""
    text = "%s %s" % (out or "", err or "")
    if MISMATCH_TEXT in text:
        return DriverLibraryMismatch()
    match = _SMI_BUS_RE.search(text)
    found = error_for_code(rc, what or ("This nvidia-smi operation" if rc == SMI_RC_NOT_SUPPORTED else "nvidia-smi"),
                           gpu, bus_id=normalize_pci_bus_id(match.group(1)) if match else None)
    if found is not None:
        return found
    detail = one_line(err or out or "no output")[:300]
    return CommandFailed("%s failed with rc %s: %s" % (" ".join(argv), rc, detail))


def _smi_watts(watts):
    return ("%d" % watts) if float(watts).is_integer() else ("%.2f" % watts)


def _flag(enabled):
    return "1" if enabled else "0"


class SmiBackend(GpuBackend):
    name = "nvidia_smi"

    def __init__(self, module):
        self._module = module
        self._bin = module.get_bin_path("nvidia-smi")
        if not self._bin:
            raise LibraryNotFound(
                "Neither NVML (python module pynvml with libnvidia-ml.so.1) nor nvidia-smi is available: install the "
                "NVIDIA driver utilities (Debian: nvidia-smi, Ubuntu: nvidia-utils-<branch>) or nvidia-ml-py")
        self._rows = None
        self._gpus = None
        self._version = None

    def run(self, args, gpu=None, what=None, allow_rc=()):
        """Run nvidia-smi with an argv list and the C locale; map failures to domain errors."""
        argv = [self._bin] + list(args)
        rc, out, err = run_c_locale(self._module, argv)
        if rc != 0 and rc not in allow_rc:
            raise smi_error(rc, out, err, argv, gpu, what)
        return rc, out, err

    def _on_gpu(self, gpu, flag, value, what):
        self.run(["-i", str(gpu.index), flag, value], gpu=gpu, what=what)

    def _query(self):
        if self._rows is None:
            rc, out, err = self.run(["--query-gpu=" + SMI_QUERY, "--format=csv,noheader,nounits"],
                                    allow_rc=(SMI_RC_GPU_LOST, SMI_RC_QUERY_FAILED))
            if rc == SMI_RC_QUERY_FAILED and "No devices were found" not in out + err:
                raise smi_error(rc, out, err, [self._bin, "--query-gpu=..."], None, None)
            rows, lost = parse_smi_csv(out if rc != SMI_RC_QUERY_FAILED else "")
            self._rows = rows
            gpus = [Gpu(r["index"], r["uuid"], r["pci_bus_id"], r["name"]) for r in rows]
            known = set(r["index"] for r in rows)
            next_index = 0
            for bus_id in lost:
                while next_index in known:
                    next_index += 1
                gpus.append(Gpu(next_index, pci_bus_id=bus_id, lost=True))
                known.add(next_index)
            gpus.sort(key=lambda g: g.index)
            self._gpus = gpus
        return self._rows

    def _row(self, gpu):
        for row in self._query():
            if row["index"] == gpu.index:
                return row
        raise GpuLost(gpu.pci_bus_id)

    def _versions(self):
        if self._version is None:
            rc, out, err = self.run(["--version"], allow_rc=tuple(range(1, 256)))
            if MISMATCH_TEXT in out + err:
                raise DriverLibraryMismatch()
            self._version = parse_smi_version(out) if rc == 0 else {}
        return self._version

    # --- system ----------------------------------------------------------------------------------------
    def driver_version(self) -> str:
        rows = self._query()
        if rows and rows[0].get("driver_version"):
            return rows[0]["driver_version"]
        return self._versions().get("driver")

    def nvml_version(self):
        return self._versions().get("nvml")

    def cuda_driver_version(self):
        return self._versions().get("cuda")

    # --- GPUs and facts --------------------------------------------------------------------------------
    def gpus(self) -> list:
        self._query()
        return self._gpus

    def details(self, gpu) -> dict:
        facts = gpu.empty_details()
        if gpu.lost:
            return facts
        row = self._row(gpu)
        facts.update((key, row[key]) for key in DETAIL_KEYS if key in row)
        return facts

    # --- persistence -----------------------------------------------------------------------------------
    def persistence(self, gpu) -> bool:
        value = self._row(gpu)["persistence_mode"]
        if value is None:
            raise NotSupported("Persistence mode is not reported for GPU %s" % gpu.label())
        return value

    def set_persistence(self, gpu, enabled: bool) -> None:
        target = gpu.pci_bus_id if gpu.pci_bus_id else str(gpu.index)
        self.run(["-i", target, "-pm", _flag(enabled)], gpu=gpu, what="setting persistence mode")

    # --- settings --------------------------------------------------------------------------------------
    def settings(self, gpu) -> dict:
        _rc, out, _err = self.run(["-i", str(gpu.index), "--query-gpu=" + SMI_SETTINGS_QUERY,
                                   "--format=csv,noheader,nounits"], gpu=gpu, what="reading GPU settings")
        return parse_smi_settings(out)

    def supported_clocks(self, gpu):
        rc, out, _err = self.run(["-i", str(gpu.index), "--query-supported-clocks=memory,graphics",
                                  "--format=csv,noheader,nounits"], gpu=gpu, what="reading supported clocks",
                                 allow_rc=(SMI_RC_NOT_SUPPORTED,))
        return parse_smi_supported_clocks(out) if rc == 0 else None

    def set_compute_mode(self, gpu, name: str) -> None:
        self._on_gpu(gpu, "-c", SMI_COMPUTE_MODES[name], "setting compute mode")

    def set_power_limit(self, gpu, watts: float) -> None:
        self._on_gpu(gpu, "-pl", _smi_watts(watts), "setting the power limit")

    def set_application_clocks(self, gpu, mem_mhz: int, graphics_mhz: int) -> None:
        self._on_gpu(gpu, "-ac", "%d,%d" % (mem_mhz, graphics_mhz), "setting application clocks")

    def set_accounting_mode(self, gpu, enabled: bool) -> None:
        self._on_gpu(gpu, "-am", _flag(enabled), "setting accounting mode")

    def set_ecc_mode(self, gpu, enabled: bool) -> None:
        self._on_gpu(gpu, "-e", _flag(enabled), "setting ECC mode")

    def set_locked_clocks(self, gpu, domain: str, min_mhz: int, max_mhz: int) -> None:
        self._on_gpu(gpu, SMI_LOCKED_CLOCK_FLAGS[domain][0], "%d,%d" % (min_mhz, max_mhz), "locking %s clocks" % domain)

    def reset_locked_clocks(self, gpu, domain: str) -> None:
        self.run(["-i", str(gpu.index), SMI_LOCKED_CLOCK_FLAGS[domain][1]], gpu=gpu, what="unlocking %s clocks" % domain)

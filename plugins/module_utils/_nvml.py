# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""One GPU backend interface with two implementations: NVML (nvidia-ml-py) and the nvidia-smi CSV CLI.

Private module_utils: not an API. Helpers here raise the domain errors below (``str(exc)`` is one line
that says what to do); only modules turn them into ``fail_json``.

Backend interface (``NvmlBackend`` and ``SmiBackend``)::

    name                      'nvml' or 'nvidia_smi'
    gpus()                    [Gpu]   (enumerated once per run; a lost GPU has lost=True)
    details(gpu)              dict of per-GPU facts (unsupported fields are None)
    persistence(gpu)          bool
    set_persistence(gpu, on)  None
    driver_version()          '580.95.05'
    nvml_version()            '13.580.95.05' or None
    cuda_driver_version()     '13.0' or None
    close()                   nvmlShutdown (NVML); both are context managers

``open_backend(module, 'auto'|'nvml'|'nvidia_smi')`` picks one: auto is NVML when ``pynvml`` imports and
libnvidia-ml loads, else nvidia-smi. NVML is initialised once per backend object.
"""
from __future__ import annotations

import csv
import os
import re
import traceback

try:
    import pynvml
except ImportError:  # pragma: no cover - depends on the target host
    pynvml = None
    PYNVML_IMPORT_ERROR = traceback.format_exc()
else:
    PYNVML_IMPORT_ERROR = None

# Overridable by tests (module-internal, not user options).
SYSFS_PCI_DEVICES = "/sys/bus/pci/devices"
PROC_ROOT = "/proc"
PERSISTENCED_PID_FILE = "/var/run/nvidia-persistenced/nvidia-persistenced.pid"

NVIDIA_PCI_VENDOR = 0x10DE
# PCI class codes (class << 8 | subclass) of NVIDIA compute devices: VGA controller, 3D controller.
GPU_PCI_CLASSES = (0x0300, 0x0302)
# NVSwitch chips (HGX/DGX 8-GPU boards) show up as NVIDIA devices of class "bridge, other" (0x0680).
NVSWITCH_PCI_CLASSES = (0x0680,)

COMPUTE_MODES = {0: "Default", 1: "Exclusive_Thread", 2: "Prohibited", 3: "Exclusive_Process"}
ARCHITECTURES = {
    2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing", 7: "Ampere", 8: "Ada",
    9: "Hopper", 10: "Blackwell", 13: "Rubin",
}

# NVML return codes (nvml.h); kept here so that the module does not depend on pynvml to map errors.
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18

# nvidia-smi exit codes (nvidia-smi(1)), plus 18 for the driver/library mismatch.
SMI_RC_NOT_SUPPORTED = 3
SMI_RC_NO_PERMISSION = 4
SMI_RC_QUERY_FAILED = 6
SMI_RC_DRIVER_NOT_LOADED = 9
SMI_RC_LIBRARY_NOT_FOUND = 12
SMI_RC_GPU_LOST = 15
SMI_RC_MISMATCH = 18
MISMATCH_TEXT = "Driver/library version mismatch"


def one_line(text):
    """Collapse whitespace so that a message is exactly one line."""
    return " ".join(str(text).split())


# ---------------------------------------------------------------------------------------------------
# Domain errors
# ---------------------------------------------------------------------------------------------------
class NvidiaError(Exception):
    """Base class. ``str(exc)`` is one line that says what to do."""

    default = "NVIDIA GPU query failed"

    def __init__(self, msg=None, traceback=None):
        super(NvidiaError, self).__init__(one_line(msg or self.default))
        self.traceback = traceback

    @property
    def msg(self):
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
        super(GpuLost, self).__init__(msg or (
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


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# ---------------------------------------------------------------------------------------------------
# PCI bus ids and GPU selection
# ---------------------------------------------------------------------------------------------------
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


class Gpu(object):
    """One GPU as enumerated by a backend."""

    def __init__(self, index, uuid=None, pci_bus_id=None, name=None, handle=None, lost=False):
        self.index = index
        self.uuid = uuid
        self.pci_bus_id = normalize_pci_bus_id(pci_bus_id) or pci_bus_id
        self.name = name
        self.handle = handle
        self.lost = lost

    def label(self):
        return self.pci_bus_id or ("index %s" % self.index)

    def ident(self):
        return {"index": self.index, "uuid": self.uuid, "pci_bus_id": self.pci_bus_id}


def select_gpus(gpus, selectors):
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


def _match_selector(gpus, selector):
    if isinstance(selector, bool) or not isinstance(selector, (int, str)):
        raise UnknownGpuSelector(
            "GPU selector %r is not valid: use 'all', an index, a UUID (GPU-...) or a PCI bus id (0000:3b:00.0)"
            % (selector,))
    text = str(selector).strip()
    if re.match(r"^\d+$", text):
        index = int(text)
        for gpu in gpus:
            if gpu.index == index:
                return gpu
        if not gpus:
            raise UnknownGpuSelector("GPU index %d does not exist: no NVIDIA GPU is visible on this host" % index)
        raise UnknownGpuSelector(
            "GPU index %d does not exist: this host has %d GPU(s), indexes 0-%d" % (index, len(gpus), len(gpus) - 1))
    if text.lower().startswith("gpu-"):
        for gpu in gpus:
            if gpu.uuid and gpu.uuid.lower() == text.lower():
                return gpu
        raise UnknownGpuSelector("No GPU has UUID %s: list them with 'nvidia-smi -L'" % text)
    bus_id = normalize_pci_bus_id(text)
    if bus_id:
        for gpu in gpus:
            if gpu.pci_bus_id == bus_id:
                return gpu
        raise UnknownGpuSelector(
            "No GPU at PCI bus id %s: list them with 'nvidia-smi --query-gpu=index,pci.bus_id --format=csv'" % bus_id)
    raise UnknownGpuSelector(
        "GPU selector %r is not valid: use 'all', an index, a UUID (GPU-...) or a PCI bus id (0000:3b:00.0)"
        % (text,))


# ---------------------------------------------------------------------------------------------------
# NVML backend
# ---------------------------------------------------------------------------------------------------
class NvmlBackend(object):
    name = "nvml"

    def __init__(self, nvml):
        self._nvml = nvml
        self._initialised = False
        self._gpus = None
        self._call("nvmlInit")
        self._initialised = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._initialised:
            self._initialised = False
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError:
                pass

    def _call(self, fname, *args, **kwargs):
        gpu = kwargs.get("gpu")
        what = kwargs.get("what", fname)
        try:
            return getattr(self._nvml, fname)(*args)
        except self._nvml.NVMLError as exc:
            raise self._map_error(exc, gpu, what)

    def _map_error(self, exc, gpu, what):
        code = getattr(exc, "value", None)
        where = " on GPU %s" % gpu.label() if gpu is not None else ""
        if code == NVML_ERROR_DRIVER_NOT_LOADED:
            return DriverNotLoaded()
        if code == NVML_ERROR_LIBRARY_NOT_FOUND:
            return LibraryNotFound()
        if code == NVML_ERROR_LIB_RM_VERSION_MISMATCH:
            return DriverLibraryMismatch()
        if code == NVML_ERROR_GPU_IS_LOST:
            return GpuLost(gpu.pci_bus_id if gpu is not None else None)
        if code == NVML_ERROR_NO_PERMISSION:
            return NoPermission("Insufficient permissions for %s%s: run the task as root (become: true)" % (what, where))
        if code in (NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_FUNCTION_NOT_FOUND):
            return NotSupported("%s is not supported%s (driver or GPU lacks it)" % (what, where))
        return NvidiaError("NVML %s failed%s: %s" % (what, where, exc))

    def _optional(self, fname, gpu, *args):
        """A per-GPU query whose lack of support is a None, not an error."""
        try:
            return self._call(fname, gpu.handle, *args, gpu=gpu)
        except NotSupported:
            return None
        except NvidiaError as exc:
            if isinstance(exc, (GpuLost, DriverNotLoaded, DriverLibraryMismatch, NoPermission)):
                raise
            return None

    def driver_version(self):
        return _text(self._call("nvmlSystemGetDriverVersion"))

    def nvml_version(self):
        try:
            return _text(self._call("nvmlSystemGetNVMLVersion"))
        except NotSupported:
            return None

    def cuda_driver_version(self):
        try:
            value = self._call("nvmlSystemGetCudaDriverVersion")
        except NotSupported:
            return None
        return "%d.%d" % (value // 1000, (value % 1000) // 10)

    def gpus(self):
        if self._gpus is None:
            gpus = []
            for index in range(self._call("nvmlDeviceGetCount")):
                gpus.append(self._enumerate(index))
            self._gpus = gpus
        return self._gpus

    def _enumerate(self, index):
        gpu = Gpu(index)
        try:
            gpu.handle = self._call("nvmlDeviceGetHandleByIndex", index, gpu=gpu)
        except GpuLost:
            gpu.lost = True
            return gpu
        try:
            gpu.pci_bus_id = normalize_pci_bus_id(_text(self._call("nvmlDeviceGetPciInfo", gpu.handle, gpu=gpu).busId))
            gpu.uuid = _text(self._call("nvmlDeviceGetUUID", gpu.handle, gpu=gpu))
            gpu.name = _text(self._call("nvmlDeviceGetName", gpu.handle, gpu=gpu))
        except GpuLost:
            gpu.lost = True
        return gpu

    def persistence(self, gpu):
        return self._call("nvmlDeviceGetPersistenceMode", gpu.handle, gpu=gpu, what="reading persistence mode") == 1

    def set_persistence(self, gpu, enabled):
        self._call("nvmlDeviceSetPersistenceMode", gpu.handle, 1 if enabled else 0, gpu=gpu,
                   what="setting persistence mode")

    def details(self, gpu):
        facts = _empty_details(gpu)
        if gpu.lost:
            return facts
        opt = self._optional
        facts["persistence_mode"] = _bool(opt("nvmlDeviceGetPersistenceMode", gpu))
        facts["compute_mode"] = COMPUTE_MODES.get(opt("nvmlDeviceGetComputeMode", gpu))
        mig = opt("nvmlDeviceGetMigMode", gpu)
        if mig:
            facts["mig_mode_current"], facts["mig_mode_pending"] = _bool(mig[0]), _bool(mig[1])
        ecc = opt("nvmlDeviceGetEccMode", gpu)
        if ecc:
            facts["ecc_mode_current"], facts["ecc_mode_pending"] = _bool(ecc[0]), _bool(ecc[1])
        facts["power_limit_w"] = _watts(opt("nvmlDeviceGetPowerManagementLimit", gpu))
        limits = opt("nvmlDeviceGetPowerManagementLimitConstraints", gpu)
        if limits:
            facts["power_limit_min_w"], facts["power_limit_max_w"] = _watts(limits[0]), _watts(limits[1])
        facts["power_default_limit_w"] = _watts(opt("nvmlDeviceGetPowerManagementDefaultLimit", gpu))
        memory = opt("nvmlDeviceGetMemoryInfo", gpu)
        if memory is not None:
            facts["memory_total_mib"] = int(memory.total) // (1024 * 1024)
        capability = opt("nvmlDeviceGetCudaComputeCapability", gpu)
        if capability:
            facts["compute_capability"] = "%d.%d" % tuple(capability)
        facts["vbios_version"] = _text(opt("nvmlDeviceGetVbiosVersion", gpu))
        arch = opt("nvmlDeviceGetArchitecture", gpu)
        facts["architecture"] = ARCHITECTURES.get(arch) if arch is not None else None
        return facts


def _bool(value):
    return None if value is None else bool(value)


def _watts(milliwatts):
    return None if milliwatts is None else round(milliwatts / 1000.0, 2)


DETAIL_KEYS = (
    "persistence_mode", "compute_mode", "mig_mode_current", "mig_mode_pending", "ecc_mode_current",
    "ecc_mode_pending", "power_limit_w", "power_limit_min_w", "power_limit_max_w", "power_default_limit_w",
    "memory_total_mib", "compute_capability", "vbios_version", "architecture",
)


def _empty_details(gpu):
    facts = {"index": gpu.index, "name": gpu.name, "uuid": gpu.uuid, "pci_bus_id": gpu.pci_bus_id, "lost": gpu.lost}
    for key in DETAIL_KEYS:
        facts[key] = None
    return facts


# ---------------------------------------------------------------------------------------------------
# nvidia-smi backend
# ---------------------------------------------------------------------------------------------------
# (nvidia-smi --query-gpu field, fact key, converter)
SMI_FIELDS = (
    ("index", "index", int),
    ("uuid", "uuid", str),
    ("pci.bus_id", "pci_bus_id", str),
    ("name", "name", str),
    ("persistence_mode", "persistence_mode", "bool"),
    ("compute_mode", "compute_mode", str),
    ("mig.mode.current", "mig_mode_current", "bool"),
    ("mig.mode.pending", "mig_mode_pending", "bool"),
    ("ecc.mode.current", "ecc_mode_current", "bool"),
    ("ecc.mode.pending", "ecc_mode_pending", "bool"),
    ("power.limit", "power_limit_w", float),
    ("power.min_limit", "power_limit_min_w", float),
    ("power.max_limit", "power_limit_max_w", float),
    ("power.default_limit", "power_default_limit_w", float),
    ("memory.total", "memory_total_mib", int),
    ("compute_cap", "compute_capability", str),
    ("vbios_version", "vbios_version", str),
    ("driver_version", "driver_version", str),
)
SMI_QUERY = ",".join(field for field, _key, _conv in SMI_FIELDS)
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


def parse_smi_csv(text):
    """Parse ``--query-gpu=SMI_QUERY --format=csv,noheader,nounits`` output into (rows, lost bus ids)."""
    rows, lost = [], []
    lines = [line for line in text.splitlines() if line.strip()]
    for fields in csv.reader(lines, skipinitialspace=True):
        line = ", ".join(fields)
        if len(fields) != len(SMI_FIELDS):
            if _SMI_LOST_RE.search(line):
                match = _SMI_BUS_RE.search(line)
                lost.append(normalize_pci_bus_id(match.group(1)) if match else None)
            continue
        rows.append(dict((key, _convert(value, conv)) for (_f, key, conv), value in zip(SMI_FIELDS, fields)))
    return rows, lost


def parse_smi_version(text):
    """Parse ``nvidia-smi --version``: {'driver': ..., 'nvml': ..., 'cuda': ...}."""
    found = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = [part.strip() for part in line.split(":", 1)]
        key = key.lower()
        if key.startswith("nvml"):
            found["nvml"] = value
        elif key.startswith("driver"):
            found["driver"] = value
        elif key.startswith("cuda"):
            found["cuda"] = value
    return found


class SmiBackend(object):
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        pass

    def run(self, args, gpu=None, what=None, allow_rc=()):
        """Run nvidia-smi with an argv list and LANG=C; map failures to domain errors."""
        argv = [self._bin] + list(args)
        rc, out, err = self._module.run_command(argv, environ_update={"LANG": "C", "LC_ALL": "C"})
        if rc != 0 and rc not in allow_rc:
            raise smi_error(rc, out, err, argv, gpu, what)
        return rc, out, err

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

    def gpus(self):
        self._query()
        return self._gpus

    def _row(self, gpu):
        for row in self._query():
            if row["index"] == gpu.index:
                return row
        raise GpuLost(gpu.pci_bus_id)

    def details(self, gpu):
        facts = _empty_details(gpu)
        if gpu.lost:
            return facts
        row = self._row(gpu)
        for key in DETAIL_KEYS:
            if key in row:
                facts[key] = row[key]
        return facts

    def persistence(self, gpu):
        value = self._row(gpu)["persistence_mode"]
        if value is None:
            raise NotSupported("Persistence mode is not reported for GPU %s" % gpu.label())
        return value

    def set_persistence(self, gpu, enabled):
        target = gpu.pci_bus_id if gpu.pci_bus_id else str(gpu.index)
        self.run(["-i", target, "-pm", "1" if enabled else "0"], gpu=gpu, what="setting persistence mode")

    def _versions(self):
        if self._version is None:
            rc, out, err = self.run(["--version"], allow_rc=tuple(range(1, 256)))
            if MISMATCH_TEXT in out + err:
                raise DriverLibraryMismatch()
            self._version = parse_smi_version(out) if rc == 0 else {}
        return self._version

    def driver_version(self):
        rows = self._query()
        if rows and rows[0].get("driver_version"):
            return rows[0]["driver_version"]
        return self._versions().get("driver")

    def nvml_version(self):
        return self._versions().get("nvml")

    def cuda_driver_version(self):
        return self._versions().get("cuda")


def smi_error(rc, out, err, argv, gpu=None, what=None):
    text = "%s %s" % (out or "", err or "")
    where = " on GPU %s" % gpu.label() if gpu is not None else ""
    if rc == SMI_RC_MISMATCH or MISMATCH_TEXT in text:
        return DriverLibraryMismatch()
    if rc == SMI_RC_DRIVER_NOT_LOADED:
        return DriverNotLoaded()
    if rc == SMI_RC_LIBRARY_NOT_FOUND:
        return LibraryNotFound()
    if rc == SMI_RC_GPU_LOST:
        match = _SMI_BUS_RE.search(text)
        bus_id = gpu.pci_bus_id if gpu is not None else (normalize_pci_bus_id(match.group(1)) if match else None)
        return GpuLost(bus_id)
    if rc == SMI_RC_NO_PERMISSION:
        return NoPermission("Insufficient permissions for %s%s: run the task as root (become: true)"
                            % (what or "nvidia-smi", where))
    if rc == SMI_RC_NOT_SUPPORTED:
        return NotSupported("%s is not supported%s" % (what or "This nvidia-smi operation", where))
    detail = one_line(err or out or "no output")[:300]
    return CommandFailed("%s failed with rc %s: %s" % (" ".join(argv), rc, detail))


# ---------------------------------------------------------------------------------------------------
# Choosing a backend
# ---------------------------------------------------------------------------------------------------
BACKENDS = ("auto", "nvml", "nvidia_smi")


def open_backend(module, backend="auto"):
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


# ---------------------------------------------------------------------------------------------------
# PCI view (sysfs) and nvidia-persistenced
# ---------------------------------------------------------------------------------------------------
def read_text(path):
    """A small file's stripped text, or None when it cannot be read (sysfs, procfs)."""
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def pci_gpus(root=None):
    """NVIDIA display/3D controllers that the PCI bus shows, whether or not a driver or NVML sees them."""
    return _pci_nvidia(root, GPU_PCI_CLASSES)


def pci_nvswitches(root=None):
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


def persistenced_running():
    """True when nvidia-persistenced runs (pid file + /proc, else a scan of /proc/*/comm)."""
    pid = read_text(PERSISTENCED_PID_FILE)
    if pid and pid.isdigit():
        comm = read_text(os.path.join(PROC_ROOT, pid, "comm"))
        if comm and comm.startswith("nvidia-persist"):
            return True
    try:
        entries = os.listdir(PROC_ROOT)
    except OSError:
        return False
    for entry in entries:
        if entry.isdigit():
            comm = read_text(os.path.join(PROC_ROOT, entry, "comm"))
            if comm and comm.startswith("nvidia-persist"):
                return True
    return False


# ---------------------------------------------------------------------------------------------------
# GPU settings (compute mode, power limit, application clocks, accounting, ECC) and MIG
# ---------------------------------------------------------------------------------------------------
# Additive interface, both backends (MIG: NVML only)::
#
#     settings(gpu)                       {'compute_mode', 'power_limit_w', 'power_limit_min_w', 'power_limit_max_w',
#                                          'application_clocks': {'mem_mhz', 'graphics_mhz'}, 'accounting_mode',
#                                          'ecc_mode_current', 'ecc_mode_pending'}  (unsupported -> None)
#     supported_clocks(gpu)               {mem_mhz: [graphics_mhz, ...]} or None
#     set_compute_mode(gpu, name)         'default' | 'exclusive_process' | 'prohibited'
#     set_power_limit(gpu, watts)
#     set_application_clocks(gpu, mem_mhz, graphics_mhz)
#     set_accounting_mode(gpu, on)
#     set_ecc_mode(gpu, on)               (pending until reboot)
SETTING_COMPUTE_MODES = {"default": 0, "exclusive_thread": 1, "prohibited": 2, "exclusive_process": 3}
SMI_COMPUTE_MODES = {"default": "DEFAULT", "exclusive_process": "EXCLUSIVE_PROCESS", "prohibited": "PROHIBITED"}
NVML_CLOCK_GRAPHICS = 0
NVML_CLOCK_MEM = 2
NVML_ERROR_INVALID_ARGUMENT = 2


def _compute_mode_name(value):
    if value is None:
        return None
    for name, code in SETTING_COMPUTE_MODES.items():
        if code == value:
            return name
    return str(value)


def _nvml_settings(self, gpu):
    opt = self._optional
    limits = opt("nvmlDeviceGetPowerManagementLimitConstraints", gpu)
    ecc = opt("nvmlDeviceGetEccMode", gpu)
    mem = opt("nvmlDeviceGetApplicationsClock", gpu, NVML_CLOCK_MEM)
    graphics = opt("nvmlDeviceGetApplicationsClock", gpu, NVML_CLOCK_GRAPHICS)
    return {
        "compute_mode": _compute_mode_name(opt("nvmlDeviceGetComputeMode", gpu)),
        "power_limit_w": _watts(opt("nvmlDeviceGetPowerManagementLimit", gpu)),
        "power_limit_min_w": _watts(limits[0]) if limits else None,
        "power_limit_max_w": _watts(limits[1]) if limits else None,
        "application_clocks": ({"mem_mhz": int(mem), "graphics_mhz": int(graphics)}
                               if mem is not None and graphics is not None else None),
        "accounting_mode": _bool(opt("nvmlDeviceGetAccountingMode", gpu)),
        "ecc_mode_current": _bool(ecc[0]) if ecc else None,
        "ecc_mode_pending": _bool(ecc[1]) if ecc else None,
    }


def _nvml_supported_clocks(self, gpu):
    mems = self._optional("nvmlDeviceGetSupportedMemoryClocks", gpu)
    if not mems:
        return None
    table = {}
    for mem in mems:
        table[int(mem)] = [int(g) for g in (self._optional("nvmlDeviceGetSupportedGraphicsClocks", gpu, mem) or [])]
    return table


def _nvml_set(name, what, convert):
    def setter(self, gpu, *values):
        self._call(name, gpu.handle, *convert(*values), gpu=gpu, what=what)
    return setter


NvmlBackend.settings = _nvml_settings
NvmlBackend.supported_clocks = _nvml_supported_clocks
NvmlBackend.set_compute_mode = _nvml_set("nvmlDeviceSetComputeMode", "setting compute mode",
                                         lambda name: (SETTING_COMPUTE_MODES[name],))
NvmlBackend.set_power_limit = _nvml_set("nvmlDeviceSetPowerManagementLimit", "setting the power limit",
                                        lambda watts: (int(round(watts * 1000)),))
NvmlBackend.set_application_clocks = _nvml_set("nvmlDeviceSetApplicationsClocks", "setting application clocks",
                                               lambda mem, graphics: (int(mem), int(graphics)))
NvmlBackend.set_accounting_mode = _nvml_set("nvmlDeviceSetAccountingMode", "setting accounting mode",
                                            lambda on: (1 if on else 0,))
NvmlBackend.set_ecc_mode = _nvml_set("nvmlDeviceSetEccMode", "setting ECC mode", lambda on: (1 if on else 0,))

SMI_SETTINGS_FIELDS = (
    ("index", "index", int),
    ("compute_mode", "compute_mode", str),
    ("power.limit", "power_limit_w", float),
    ("power.min_limit", "power_limit_min_w", float),
    ("power.max_limit", "power_limit_max_w", float),
    ("clocks.applications.memory", "mem_mhz", int),
    ("clocks.applications.graphics", "graphics_mhz", int),
    ("accounting.mode", "accounting_mode", "bool"),
    ("ecc.mode.current", "ecc_mode_current", "bool"),
    ("ecc.mode.pending", "ecc_mode_pending", "bool"),
)
SMI_SETTINGS_QUERY = ",".join(field for field, _key, _conv in SMI_SETTINGS_FIELDS)


def parse_smi_settings(text):
    """Parse ``--query-gpu=SMI_SETTINGS_QUERY --format=csv,noheader,nounits`` for one GPU into settings()."""
    lines = [line for line in text.splitlines() if line.strip()]
    for fields in csv.reader(lines, skipinitialspace=True):
        if len(fields) != len(SMI_SETTINGS_FIELDS):
            continue
        row = dict((key, _convert(value, conv)) for (_f, key, conv), value in zip(SMI_SETTINGS_FIELDS, fields))
        mode = row["compute_mode"]
        return {
            "compute_mode": mode.lower() if mode else None,
            "power_limit_w": row["power_limit_w"],
            "power_limit_min_w": row["power_limit_min_w"],
            "power_limit_max_w": row["power_limit_max_w"],
            "application_clocks": ({"mem_mhz": row["mem_mhz"], "graphics_mhz": row["graphics_mhz"]}
                                   if row["mem_mhz"] is not None and row["graphics_mhz"] is not None else None),
            "accounting_mode": row["accounting_mode"],
            "ecc_mode_current": row["ecc_mode_current"],
            "ecc_mode_pending": row["ecc_mode_pending"],
        }
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


def _smi_settings(self, gpu):
    _rc, out, _err = self.run(["-i", str(gpu.index), "--query-gpu=" + SMI_SETTINGS_QUERY, "--format=csv,noheader,nounits"],
                              gpu=gpu, what="reading GPU settings")
    return parse_smi_settings(out)


def _smi_supported_clocks(self, gpu):
    rc, out, _err = self.run(["-i", str(gpu.index), "--query-supported-clocks=memory,graphics",
                              "--format=csv,noheader,nounits"], gpu=gpu, what="reading supported clocks",
                             allow_rc=(SMI_RC_NOT_SUPPORTED,))
    return parse_smi_supported_clocks(out) if rc == 0 else None


def _smi_set(flag, what, convert):
    def setter(self, gpu, *values):
        self.run(["-i", str(gpu.index), flag, convert(*values)], gpu=gpu, what=what)
    return setter


def _smi_watts(watts):
    return ("%d" % watts) if float(watts).is_integer() else ("%.2f" % watts)


SmiBackend.settings = _smi_settings
SmiBackend.supported_clocks = _smi_supported_clocks
SmiBackend.set_compute_mode = _smi_set("-c", "setting compute mode", lambda name: SMI_COMPUTE_MODES[name])
SmiBackend.set_power_limit = _smi_set("-pl", "setting the power limit", _smi_watts)
SmiBackend.set_application_clocks = _smi_set("-ac", "setting application clocks",
                                             lambda mem, graphics: "%d,%d" % (mem, graphics))
SmiBackend.set_accounting_mode = _smi_set("-am", "setting accounting mode", lambda on: "1" if on else "0")
SmiBackend.set_ecc_mode = _smi_set("-e", "setting ECC mode", lambda on: "1" if on else "0")


# MIG (NVML backend only)::
#
#     mig_mode(gpu)                  (current, pending) or None when the GPU has no MIG
#     mig_profiles(gpu)              {name: {'const', 'id', 'slices', 'instances', 'memory_mib'}}
#     mig_instances(gpu)             [{'profile', 'profile_id', 'handle'}]  (GPU instances)
#     compute_processes(gpu)         [pid, ...]
#     set_mig_mode(gpu, on)
#     destroy_gpu_instance(gpu, gi)  destroys the GI's compute instances first
#     create_gpu_instance(gpu, profile)   one GI plus one compute instance spanning it
# GPU-instance profile constants (nvml.h NVML_GPU_INSTANCE_PROFILE_*): name suffix per constant.
MIG_PROFILE_CONSTANTS = {0: "", 1: "", 2: "", 3: "", 4: "", 5: "", 6: "", 7: "+me", 8: "+me", 9: "",
                         10: "+gfx", 11: "+gfx", 12: "+gfx", 13: "", 14: ""}
# Compute-instance profile constant for a GI of this many slices (NVML_COMPUTE_INSTANCE_PROFILE_*).
MIG_CI_PROFILE_FOR_SLICES = {1: 0, 2: 1, 3: 2, 4: 3, 7: 4, 8: 5, 6: 6}
NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED = 0


def mig_profile_name(slices, memory_mib, total_bytes, suffix=""):
    """mig-parted's naming: the profile's memory as a fraction of the GPU, rounded up to eighths, in GB."""
    one_gib = 1024 * 1024 * 1024
    fraction = float(memory_mib) * 1024 * 1024 / float(total_bytes)
    fraction = _ceil_eighth(fraction)
    total_gb = (int(total_bytes) + one_gib - 1) // one_gib
    return "%dg.%dgb%s" % (slices, int(fraction * total_gb + 0.5), suffix)     # Go math.Round: half away from 0


def _ceil_eighth(fraction):
    eighths = int(fraction * 8)
    if eighths < fraction * 8 - 1e-9:
        eighths += 1
    return eighths / 8.0


def _nvml_mig_mode(self, gpu):
    mode = self._optional("nvmlDeviceGetMigMode", gpu)
    return (bool(mode[0]), bool(mode[1])) if mode else None


def _nvml_mig_profiles(self, gpu):
    memory = self._call("nvmlDeviceGetMemoryInfo", gpu.handle, gpu=gpu, what="reading memory size")
    profiles = {}
    for const, suffix in sorted(MIG_PROFILE_CONSTANTS.items()):
        try:
            info = self._call("nvmlDeviceGetGpuInstanceProfileInfo", gpu.handle, const, gpu=gpu)
        except NotSupported:
            continue
        except NvidiaError as exc:
            if isinstance(exc, (GpuLost, DriverNotLoaded, DriverLibraryMismatch, NoPermission)):
                raise
            continue
        if not getattr(info, "instanceCount", 0):
            continue
        name = mig_profile_name(info.sliceCount, info.memorySizeMB, memory.total, suffix)
        if name not in profiles:
            profiles[name] = {"const": const, "id": info.id, "slices": info.sliceCount,
                              "instances": info.instanceCount, "memory_mib": info.memorySizeMB}
    return profiles


def _nvml_mig_instances(self, gpu, profiles):
    found = []
    for name, profile in sorted(profiles.items()):
        for handle in self._call("nvmlDeviceGetGpuInstances", gpu.handle, profile["id"], gpu=gpu,
                                 what="listing MIG GPU instances") or []:
            found.append({"profile": name, "profile_id": profile["id"], "handle": handle})
    return found


def _nvml_compute_processes(self, gpu):
    procs = self._optional("nvmlDeviceGetComputeRunningProcesses", gpu) or []
    return [int(getattr(p, "pid", 0)) for p in procs]


def _nvml_set_mig_mode(self, gpu, enabled):
    self._call("nvmlDeviceSetMigMode", gpu.handle, 1 if enabled else 0, gpu=gpu, what="setting MIG mode")


def _nvml_destroy_gpu_instance(self, gpu, instance):
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


def _nvml_create_gpu_instance(self, gpu, profile):
    handle = self._call("nvmlDeviceCreateGpuInstance", gpu.handle, profile["id"], gpu=gpu,
                        what="creating a MIG GPU instance")
    ci_const = MIG_CI_PROFILE_FOR_SLICES.get(profile["slices"], 0)
    info = self._call("nvmlGpuInstanceGetComputeInstanceProfileInfo", handle, ci_const,
                      NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, gpu=gpu)
    self._call("nvmlGpuInstanceCreateComputeInstance", handle, info.id, gpu=gpu,
               what="creating a MIG compute instance")
    return handle


NvmlBackend.mig_mode = _nvml_mig_mode
NvmlBackend.mig_profiles = _nvml_mig_profiles
NvmlBackend.mig_instances = _nvml_mig_instances
NvmlBackend.compute_processes = _nvml_compute_processes
NvmlBackend.set_mig_mode = _nvml_set_mig_mode
NvmlBackend.destroy_gpu_instance = _nvml_destroy_gpu_instance
NvmlBackend.create_gpu_instance = _nvml_create_gpu_instance

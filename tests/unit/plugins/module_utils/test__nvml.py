# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _gpu_sysfs, _nvml
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text


@pytest.mark.parametrize("text,expected", [
    ("0000:3B:00.0", "00000000:3B:00.0"), ("00000000:3B:00.0", "00000000:3B:00.0"), ("3b:00.0", "00000000:3B:00.0"),
    ("3B:00.0", "00000000:3B:00.0"), ("0001:0a:1f.7", "00000001:0A:1F.7"), (" 3b:00.0 ", "00000000:3B:00.0"),
    ("3b:00", None), ("3b:00.8", None), ("GPU-1", None), ("", None), (3, None), ("zz:00.0", None),
])
def test_normalize_pci_bus_id(text, expected):
    assert _nvml.normalize_pci_bus_id(text) == expected


def test_parse_recorded_h200_csv():
    rows, lost = _nvml.parse_smi_csv(fixture_text("smi_query_h200_1gpu.csv"))
    assert lost == []
    assert rows == [{
        "index": 0, "uuid": "GPU-e07839d2-9adc-e99d-3646-477474ede0ff", "pci_bus_id": "00000000:00:06.0",
        "name": "NVIDIA H200", "persistence_mode": True, "compute_mode": "default", "mig_mode_current": False,
        "mig_mode_pending": False, "ecc_mode_current": True, "ecc_mode_pending": True, "power_limit_w": 700.0,
        "power_limit_min_w": 200.0, "power_limit_max_w": 700.0, "power_default_limit_w": 700.0,
        "memory_total_mib": 143771, "compute_capability": "9.0", "vbios_version": "96.00.A5.00.1A",
        "driver_version": "580.159.04",
    }]


def test_parse_na_and_not_supported_become_none():
    rows, _lost = _nvml.parse_smi_csv(fixture_text("smi_query_a100_2gpu_mig.csv"))
    assert rows[1]["compute_mode"] is None and rows[1]["mig_mode_current"] is True
    line = "0, GPU-x, 00000000:01:00.0, NVIDIA GeForce RTX 4090, Disabled, Default, [N/A], [N/A], [N/A], [N/A], " \
           "450.00, 150.00, 600.00, 450.00, 24564, 8.9, 95.02.3C.00.8E, 580.95.05"
    row = _nvml.parse_smi_csv(line.replace("[N/A], [N/A], 450.00", "[Not Supported], [N/A], 450.00"))[0][0]
    assert row["mig_mode_current"] is None and row["ecc_mode_current"] is None and row["memory_total_mib"] == 24564


def test_parse_lost_gpu_line():
    rows, lost = _nvml.parse_smi_csv(fixture_text("smi_query_h100_4gpu_lost.csv"))
    assert [r["index"] for r in rows] == [0, 1, 3] and lost == ["00000000:3A:00.0"]


def test_parse_recorded_smi_version():
    assert _nvml.parse_smi_version(fixture_text("smi_version.txt")) == {
        "driver": "580.159.04", "nvml": "580.159", "cuda": "13.0"}


def test_nvml_backend_one_init_one_shutdown_for_all_gpus():
    f = fake.eight_gpus()
    with _nvml.NvmlBackend(f) as backend:
        gpus = backend.gpus()
        details = [backend.details(g) for g in backend.gpus()]
        assert [backend.persistence(g) for g in gpus] == [i not in (3, 6) for i in range(8)]
    assert f.names().count("nvmlInit") == 1 and f.names().count("nvmlShutdown") == 1
    assert f.names().count("nvmlDeviceGetCount") == 1
    assert len(details) == 8 and details[0]["memory_total_mib"] == 81559 and details[0]["architecture"] == "Hopper"


def test_nvml_details_unsupported_fields_are_none():
    f = fake.FakeNvml([fake.geforce(0, "00000000:01:00.0")])
    with _nvml.NvmlBackend(f) as backend:
        d = backend.details(backend.gpus()[0])
    assert d["mig_mode_current"] is None and d["ecc_mode_pending"] is None and d["power_limit_min_w"] is None
    assert d["power_limit_w"] == 700.0 and d["compute_capability"] == "8.9" and d["architecture"] == "Ada"


def test_nvml_lost_gpu_keeps_bus_id():
    f = fake.lost_gpu()
    with _nvml.NvmlBackend(f) as backend:
        gpus = backend.gpus()
        assert [g.lost for g in gpus] == [False, False, True, False]
        assert gpus[2].pci_bus_id == "00000000:3A:00.0" and gpus[2].uuid is None
        assert backend.details(gpus[2])["lost"] is True
        with pytest.raises(_nvml.GpuLost) as info:
            _nvml.select_gpus(gpus, ["all"])
    assert "00000000:3A:00.0" in str(info.value)


@pytest.mark.parametrize("code,error", [
    (fake.NVML_ERROR_DRIVER_NOT_LOADED, _nvml.DriverNotLoaded),
    (fake.NVML_ERROR_LIBRARY_NOT_FOUND, _nvml.LibraryNotFound),
    (fake.NVML_ERROR_LIB_RM_VERSION_MISMATCH, _nvml.DriverLibraryMismatch),
    (fake.NVML_ERROR_NO_PERMISSION, _nvml.NoPermission),
    (999, _nvml.NvidiaError),
])
def test_nvml_init_errors(code, error):
    with pytest.raises(error) as info:
        _nvml.NvmlBackend(fake.one_gpu(init_error=code))
    assert "\n" not in str(info.value) and str(info.value)


def test_open_backend_auto_prefers_nvml(monkeypatch):
    f = fake.one_gpu()
    monkeypatch.setattr(_nvml, "pynvml", f)
    assert _nvml.open_backend(object(), "auto").name == "nvml"


def test_open_backend_rejects_unknown():
    with pytest.raises(_nvml.NvidiaError):
        _nvml.open_backend(object(), "cuda")


@pytest.mark.parametrize("rc,out,error", [
    (9, "", _nvml.DriverNotLoaded), (18, "", _nvml.DriverLibraryMismatch),
    (255, "Failed to initialize NVML: Driver/library version mismatch", _nvml.DriverLibraryMismatch),
    (12, "", _nvml.LibraryNotFound), (4, "", _nvml.NoPermission), (15, "", _nvml.GpuLost), (3, "", _nvml.NotSupported),
    (2, "Field \"foo\" is not a valid field to query.", _nvml.CommandFailed),
])
def test_smi_error_mapping(rc, out, error):
    exc = _nvml.smi_error(rc, out, "", ["nvidia-smi", "-q"])
    assert exc.__class__ is error and "\n" not in str(exc)


def test_pci_view(sysfs):
    sysfs.add("0000:3b:00.0")
    sysfs.add("0000:3c:00.0", device="0x2330", cls="0x030000", driver=None)       # VGA, no driver bound
    sysfs.add("0000:3b:00.1", device="0x22a3", cls="0x040300", driver="snd_hda_intel")   # NVIDIA audio: skipped
    sysfs.add("0000:00:02.0", vendor="0x8086", cls="0x030000", driver="i915")       # not NVIDIA
    sysfs.add("0000:b1:00.0", device="0x22a3", cls="0x068000", driver="nvidia")    # NVSwitch bridge: skipped
    assert _nvml.pci_gpus() == [
        {"pci_bus_id": "00000000:3B:00.0", "device_id": "0x2330", "class": "0x030200", "driver": "nvidia"},
        {"pci_bus_id": "00000000:3C:00.0", "device_id": "0x2330", "class": "0x030000", "driver": None},
    ]


def test_nvswitch_view(sysfs):
    """An HGX H100 board: GPUs are 3D controllers, the four NVSwitch chips are 'bridge, other' (0x0680)."""
    for bus in ("0000:05:00.0", "0000:06:00.0", "0000:07:00.0", "0000:08:00.0"):
        sysfs.add(bus, device="0x22a3", cls="0x068000", driver=None)
    sysfs.add("0000:18:00.0")                                                     # a GPU: not a switch
    sysfs.add("0000:09:00.0", vendor="0x15b3", cls="0x068000", driver=None)       # another vendor's bridge
    sysfs.add("0000:0a:00.0", device="0x1ad6", cls="0x060400", driver="pcieport")  # NVIDIA PCI-to-PCI bridge
    switches = _nvml.pci_nvswitches()
    assert [d["pci_bus_id"] for d in switches] == ["00000000:05:00.0", "00000000:06:00.0", "00000000:07:00.0",
                                                   "00000000:08:00.0"]
    assert switches[0] == {"pci_bus_id": "00000000:05:00.0", "device_id": "0x22a3", "class": "0x068000",
                           "driver": None}
    assert [d["pci_bus_id"] for d in _nvml.pci_gpus()] == ["00000000:18:00.0"]


def test_pci_view_without_sysfs(monkeypatch, tmp_path):
    monkeypatch.setattr(_gpu_sysfs, "SYSFS_PCI_DEVICES", str(tmp_path / "nope"))
    assert _nvml.pci_gpus() == []
    assert _nvml.pci_nvswitches() == []


def test_persistenced_detection(proc):
    assert _nvml.persistenced_running() is False
    proc.process(99, "bash")
    assert _nvml.persistenced_running() is False
    proc.daemon(pid=1234)
    assert _nvml.persistenced_running() is True

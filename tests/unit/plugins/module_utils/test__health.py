# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""validate.yml's health rules (host_health) and its table (validate_table): one row per rule, each asserting the
exact line an operator reads."""
from __future__ import annotations

import base64
import copy
import json

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.validate import FilterModule as ValidateFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._health import host_health, validate_table

BUS = "00000000:3B:00.0"
PROGRAM = "/usr/bin/nvidia-persistenced"


def _healthy():
    snapshot = {
        "systemd_running": True,
        "units": {"nvidia-persistenced.service": {"enabled": "enabled", "active": "active", "masks": []},
                  "nvidia-fabricmanager.service": {"enabled": "not-found", "active": "", "vendor_unit": None}},
        "files": {PROGRAM: {"exists": True}},
        "xid": {"lines": [], "source": "/dev/kmsg", "error": ""},
    }
    nvidia = {"available": True, "error": None, "driver_version": "535.261.03", "gpu_count": 1,
              "pci_devices": [{"pci_bus_id": BUS}], "pci_not_in_nvml": [], "nvswitch_devices": [],
              "gpus": [{"pci_bus_id": BUS, "persistence_mode": True}]}
    driver = {"mismatch": False, "compatible": True, "max_cuda_version": "12.2", "kernels_without_module": [],
              "boot_kernel": "6.1.0-28-amd64", "driver_version": "535.261.03"}
    return snapshot, nvidia, driver


def test_registered_under_their_names():
    assert ValidateFilters().filters()["host_health"] is host_health
    assert ValidateFilters().filters()["validate_table"] is validate_table


def test_a_healthy_host_has_no_problem_and_its_row_values():
    snapshot, nvidia, driver = _healthy()
    health = host_health(snapshot, nvidia=nvidia, driver=driver)
    assert health == {"problems": [], "notes": [], "summary": {
        "gpus_pci": 1, "gpus_nvml": 1, "driver": "535.261.03", "max_cuda": "12.2", "driver_previous": "-",
        "driver_changed_at": "-", "persistence_off": 0, "daemon": "active/enabled", "xid": 0, "fabric_manager": "-"}}


def _nvidia(**kw):
    return lambda s, n, d: n.update(kw)


def _unit(**kw):
    return lambda s, n, d: s["units"]["nvidia-persistenced.service"].update(kw)


def _driver(**kw):
    return lambda s, n, d: d.update(kw)


def _fm(**kw):
    def change(s, n, d):
        n["nvswitch_devices"] = [{"pci_bus_id": "00000000:05:00.0"}]
        s["units"]["nvidia-fabricmanager.service"].update(kw)
    return change


@pytest.mark.parametrize("change,options,expected", [
    (_nvidia(pci_not_in_nvml=[BUS, "00000000:86:00.0"]), {},
     ["GPUs on PCI but not seen by NVML (fell off the bus?): 00000000:3B:00.0, 00000000:86:00.0"]),
    (_nvidia(available=False, error="NVML: Driver Not Loaded", gpus=[], gpu_count=0), {},
     ["NVIDIA GPUs on PCI but the driver cannot be used: NVML: Driver Not Loaded"]),
    (_nvidia(available=False, error="NVML: Driver Not Loaded", gpus=[], gpu_count=0, pci_devices=[]), {},
     ["no usable NVIDIA driver and no NVIDIA GPU on the PCI bus: NVML: Driver Not Loaded"]),
    # validate_expect_gpu false: a missing GPU is waived, a missing driver is not
    (_nvidia(available=False, error="x", gpus=[], gpu_count=0, pci_devices=[], driver_version=""),
     {"expect_gpu": False, "driver": {"driver_version": "", "compatible": None}},
     ["no NVIDIA driver installed (validate_expect_gpu: false waives only the GPU checks): run the nvidia_driver "
      "role"]),
    (_nvidia(available=False, error="x", gpus=[], gpu_count=0, pci_devices=[]), {"expect_gpu": False}, []),
    (_driver(mismatch=True, kernel_module_version="535.216.03", userspace_version="535.261.03"), {},
     ["Driver/library version mismatch: kernel module 535.216.03, userspace 535.261.03; reboot (or reload the "
      "nvidia modules)"]),
    (_driver(compatible=False, msg="driver 535.261.03 is older than 550.54.15, which CUDA 12.4 needs"), {},
     ["driver 535.261.03 is older than 550.54.15, which CUDA 12.4 needs"]),
    (_driver(compatible=None), {}, []),
    (_nvidia(gpus=[{"pci_bus_id": BUS, "persistence_mode": False}]), {}, ["persistence mode off on " + BUS]),
    (_nvidia(gpus=[{"pci_bus_id": BUS, "persistence_mode": None}]), {}, ["persistence mode off on " + BUS]),
    (_unit(enabled="not-found", active="inactive"), {}, ["nvidia-persistenced.service is not installed"]),
    (_unit(enabled="", active=""), {"expect_persistenced": False}, []),
    (lambda s, n, d: s["files"][PROGRAM].update(exists=False), {},
     ["nvidia-persistenced.service is enabled but /usr/bin/nvidia-persistenced is missing (its package removed?): "
      "run the nvidia_driver role"]),
    (_unit(enabled="masked", active="inactive", masks=["/etc/systemd/system/nvidia-persistenced.service"]), {},
     ["nvidia-persistenced.service is masked (/etc/systemd/system/nvidia-persistenced.service): run the "
      "persistenced role, or systemctl unmask it", "nvidia-persistenced is not running (inactive)"]),
    (_unit(enabled="masked-runtime", active="active"), {},
     ["nvidia-persistenced.service is masked (masked-runtime): run the persistenced role, or systemctl unmask it"]),
    (_unit(enabled="disabled"), {}, ["nvidia-persistenced.service is not enabled at boot (disabled)"]),
    (_unit(active=""), {}, ["nvidia-persistenced is not running (unknown)"]),
    (lambda s, n, d: (n.update(pci_devices=[], gpus=[], gpu_count=0), _unit(active="failed")(s, n, d)), {},
     ["nvidia-persistenced cannot start (failed): no NVIDIA GPU is on the PCI bus for it to manage; attach the "
      "GPUs, or disable the unit on this host"]),
    (lambda s, n, d: (n.update(pci_devices=[], gpus=[], gpu_count=0), _unit(active="failed")(s, n, d)),
     {"expect_gpu": False}, []),
    (lambda s, n, d: s.update(systemd_running=False, units={}), {}, []),
    (lambda s, n, d: s["xid"].update(lines=["NVRM: Xid (PCI:0000:3b:00): 79", "NVRM: Xid (PCI:0000:3b:00): 48"]), {},
     ["2 Xid error(s) since boot, last: NVRM: Xid (PCI:0000:3b:00): 48"]),
    (lambda s, n, d: s["xid"].update(lines=["NVRM: Xid 79"]), {"xid_is_failure": False}, []),
    (_driver(kernels_without_module=["6.1.0-30-amd64"]), {},
     ["no nvidia kernel module for installed kernel(s) 6.1.0-30-amd64: install their headers and run dkms "
      "autoinstall -k <kernel>"]),
    (_driver(kernels_without_module=["6.1.0-28-amd64"]), {},
     ["no nvidia kernel module for installed kernel(s) 6.1.0-28-amd64 (boots next): install their headers and run "
      "dkms autoinstall -k <kernel>"]),
    (_fm(), {}, ["NVSwitch board without Fabric Manager: run the nvidia_driver role (nvidia-fabricmanager of the "
                 "driver version)"]),
    (_fm(enabled="enabled", active="failed"), {},
     ['nvidia-fabricmanager is not running (failed): CUDA reports "system not yet initialized" until it runs']),
    (_fm(enabled="enabled", active="active"), {"fabricmanager": {"stdout": "Fabric Manager version is : 535.216.03"}},
     ["Fabric Manager 535.216.03 differs from the driver 535.261.03: install the Fabric Manager of the driver "
      "version"]),
    (_fm(enabled="enabled", active="active"), {"fabricmanager": {"stdout": "Fabric Manager version is : 535.261.03"}},
     []),
    (_fm(), {"fabricmanager": {"skipped": True}}, ["NVSwitch board without Fabric Manager: run the nvidia_driver "
                                                   "role (nvidia-fabricmanager of the driver version)"]),
])
def test_each_rule(change, options, expected):
    snapshot, nvidia, driver = _healthy()
    change(snapshot, nvidia, driver)
    options = dict(options)
    driver.update(options.pop("driver", {}))
    assert host_health(snapshot, nvidia=nvidia, driver=driver, **options)["problems"] == expected


def test_without_systemd_the_daemon_and_fabric_manager_are_not_applicable():
    snapshot, nvidia, driver = _healthy()
    snapshot.update(systemd_running=False, units={})
    nvidia["nvswitch_devices"] = [{"pci_bus_id": "00000000:05:00.0"}]
    health = host_health(snapshot, nvidia=nvidia, driver=driver,
                         fabricmanager={"stdout": "Fabric Manager version is : 535.261.03"})
    assert health["problems"] == []
    assert health["summary"]["daemon"] == "n/a (no systemd)"
    assert health["summary"]["fabric_manager"] == "n/a (no systemd) 535.261.03"


def test_a_kernel_log_that_could_not_be_read_is_a_note_and_xid_is_not_applicable():
    snapshot, nvidia, driver = _healthy()
    snapshot["xid"] = {"lines": [], "source": "", "error": "/dev/kmsg: permission denied"}
    health = host_health(snapshot, nvidia=nvidia, driver=driver)
    assert health["notes"] == ["/dev/kmsg: permission denied: Xid errors not checked"]
    assert health["summary"]["xid"] == "n/a"


def test_the_local_fact_gives_the_previous_driver():
    snapshot, nvidia, driver = _healthy()
    fact = {"driver": {"previous_version": "535.216.03", "changed_at": "2026-12-01T10:00:00Z"}}
    slurped = {"content": base64.b64encode(json.dumps(fact).encode()).decode()}
    summary = host_health(snapshot, nvidia=nvidia, driver=driver, local_fact=slurped)["summary"]
    assert (summary["driver_previous"], summary["driver_changed_at"]) == ("535.216.03", "2026-12-01T10:00:00Z")
    failed_read = {"failed": True, "msg": "file not found"}
    assert host_health(snapshot, nvidia=nvidia, driver=driver, local_fact=failed_read)["summary"]["driver_previous"] == "-"


def test_the_driver_comes_from_the_check_when_nvml_has_none():
    snapshot, nvidia, driver = _healthy()
    nvidia.update(available=False, driver_version=None, error="x")
    assert host_health(snapshot, nvidia=nvidia, driver=driver)["summary"]["driver"] == "535.261.03"
    driver["driver_version"] = ""
    assert host_health(snapshot, nvidia=nvidia, driver=driver)["summary"]["driver"] == "-"


def test_the_table_rows_and_notes():
    snapshot, nvidia, driver = _healthy()
    ok = host_health(snapshot, nvidia=nvidia, driver=driver)
    bad_snapshot = copy.deepcopy(snapshot)
    bad_snapshot["xid"]["error"] = "dmesg: read kernel buffer failed"
    nvidia["nvswitch_devices"] = [{"pci_bus_id": "00000000:05:00.0"}]
    bad = host_health(bad_snapshot, nvidia=nvidia, driver=driver)
    bad["summary"].update(driver_previous="535.216.03", driver_changed_at="2026-12-01T10:00:00Z")
    hostvars = {
        "gpu01": {"validate_summary": ok["summary"], "validate_problems": [], "validate_notes": ["DCGM: n/a"]},
        "gpu02": {"validate_summary": bad["summary"], "validate_problems": bad["problems"],
                  "validate_notes": bad["notes"]},
        "gpu03": {},
    }
    assert validate_table(["gpu01", "gpu02", "gpu03"], hostvars) == [
        "host | result | driver | GPUs nvml/pci | max CUDA | persistence off | daemon | Xid",
        "gpu01 | OK | 535.261.03 | 1/1 | 12.2 | 0 | active/enabled | 0",
        "gpu02 | 1 problem(s) | 535.261.03 | 1/1 | 12.2 | 0 | active/enabled, fabric manager absent | 0",
        "gpu03 | not checked (unreachable or failed before the checks) | - | - | - | - | - | -",
        "3 host(s): 1 done, 2 failed or not run",
        "gpu01: DCGM: n/a",
        "gpu02: dmesg: read kernel buffer failed: Xid errors not checked",
        "gpu02: driver before 535.216.03, changed at 2026-12-01T10:00:00Z",
    ]

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_reboot: the nvidia_driver role's reboot decision and reboot target, table-driven (filters reboot_decision and
reboot_target)."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import FilterModule as DriverFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._reboot import reboot_decision, reboot_target

DUE = {"reboot_required": True, "reboot_reasons": ["loaded module 535.261.03, installed 535.309.01"],
       "boot_kernel": "6.1.0-28-amd64", "kernels_without_module": []}
BUSY = {"rc": 0, "stdout": "4242\n"}


@pytest.mark.parametrize("check, kwargs, action, reason", [
    ({"reboot_required": False}, {}, "none", "the loaded kernel module matches the installed driver and its parameters"),
    (None, {}, "none", "the loaded kernel module matches the installed driver and its parameters"),
    # parameters that match (or no loaded module) decide nothing
    ({"reboot_required": False}, {"module_params": {"needed": False, "reasons": []}}, "none",
     "the loaded kernel module matches the installed driver and its parameters"),
    (DUE, {"policy": "never", "local_reason": "over a local connection"}, "skipped-never",
     "nvidia_driver_reboot is never: reboot this host yourself"),
    (dict(DUE, kernels_without_module=["6.1.0-28-amd64"]), {"local_reason": "over a local connection"},
     "refused-no-module", "not rebooting: kernel 6.1.0-28-amd64, which would boot next, has no nvidia kernel module: "
     "install its headers and run dkms autoinstall -k 6.1.0-28-amd64"),
    (DUE, {"local_reason": "over a local connection", "in_container": True}, "refused-local",
     "not rebooting over a local connection"),
    (DUE, {"in_container": True, "virtualization_type": "podman", "processes": BUSY}, "refused-container",
     "not rebooting a podman container: the kernel module belongs to its host"),
    (DUE, {"processes": BUSY}, "refused-processes",
     "GPU compute processes are running: stop them or set nvidia_driver_reboot_force"),
    (DUE, {"processes": BUSY, "force": True}, "reboot", "rebooting: loaded module 535.261.03, installed 535.309.01"),
    # nvidia-smi failed or printed nothing: no process known
    (DUE, {"processes": {"rc": 9, "stdout": "4242"}}, "reboot", "rebooting: loaded module 535.261.03, installed "
     "535.309.01"),
    (DUE, {"processes": {"skipped": True}}, "reboot", "rebooting: loaded module 535.261.03, installed 535.309.01"),
])
def test_reboot_decision(check, kwargs, action, reason):
    decision = reboot_decision(check, **kwargs)
    assert decision["action"] == action and decision["reason"] == reason
    assert decision["required"] is bool((check or {}).get("reboot_required"))
    assert decision["policy"] == kwargs.get("policy", "auto") and "\n" not in decision["reason"]


PARAMS = {"needed": True, "reasons": ["nvidia module parameter NVreg_EnableGpuFirmware is 18, wanted 0"],
          "unknown": []}


@pytest.mark.parametrize("check, kwargs, action, reason", [
    # the driver is current, its parameters are not: the module must load again, as after a driver change
    ({"reboot_required": False}, {}, "reboot", "rebooting: nvidia module parameter NVreg_EnableGpuFirmware is 18, "
     "wanted 0"),
    (None, {"policy": "never"}, "skipped-never", "nvidia_driver_reboot is never: reboot this host yourself"),
    ({"reboot_required": False}, {"in_container": True, "virtualization_type": "podman"}, "refused-container",
     "not rebooting a podman container: the kernel module belongs to its host"),
    ({"reboot_required": False}, {"processes": BUSY}, "refused-processes",
     "GPU compute processes are running: stop them or set nvidia_driver_reboot_force"),
    # both: every reason is said
    (DUE, {}, "reboot", "rebooting: loaded module 535.261.03, installed 535.309.01; nvidia module parameter "
     "NVreg_EnableGpuFirmware is 18, wanted 0"),
])
def test_reboot_decision_for_module_parameters(check, kwargs, action, reason):
    decision = reboot_decision(check, module_params=PARAMS, **kwargs)
    assert decision["required"] is True and decision["action"] == action and decision["reason"] == reason
    assert PARAMS["reasons"][0] in decision["reasons"]


def test_reasons_of_parameters_that_need_nothing_are_not_reboot_reasons():
    decision = reboot_decision(DUE, module_params={"needed": False, "reasons": ["stale"]})
    assert decision["reasons"] == DUE["reboot_reasons"]


@pytest.mark.parametrize("args, expected", [
    (("local",), "over a local connection"),
    (("ansible.builtin.local", "a", "b"), "over a local connection"),
    (("ssh", "m1", "m1", "b1", "b2"), "the controller itself (same machine id m1)"),
    (("ssh", "m1", "m2", "b1", "b1"), "the controller's own kernel (same boot id b1)"),
    (("ssh", "m1", "m2", "b1", "b2"), ""),
    ((None, "", "", "", ""), ""),                    # unknown ids decide nothing
    (("containers.podman.podman", "m1", "", "b1", ""), ""),
])
def test_reboot_target(args, expected):
    assert reboot_target(*args) == expected


def test_filters_are_registered():
    assert DriverFilters().filters()["reboot_decision"] is reboot_decision
    assert DriverFilters().filters()["reboot_target"] is reboot_target

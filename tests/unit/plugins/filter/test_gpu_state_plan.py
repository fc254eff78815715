# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_state_plan: the gpu_state role's entries -> GPUs, typed settings and the boot script's nvidia-smi calls,
table-driven; every refusal has a row that asserts its one-line message."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.gpu_state import (
    FilterModule,
    boot_argv,
    gpu_state_plan,
    selector_id,
)
from ansible_collections.gpuhost.provision.plugins.module_utils import _nvml

UUID = "GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"


def test_registered_under_its_name():
    assert FilterModule().filters()["gpu_state_plan"] is gpu_state_plan


@pytest.mark.parametrize("selector,ident", [
    ("all", "all"), ("ALL", "all"), (" all ", "all"),
    ("0", "index:0"), (3, "index:3"), ("007", "index:7"),
    (UUID, "uuid:" + UUID.lower()), (UUID.upper(), "uuid:" + UUID.lower()),
    ("3b:00.0", "pci:00000000:3b:00.0"), ("0000:3B:00.0", "pci:00000000:3b:00.0"),
    ("00000000:3b:00.0", "pci:00000000:3b:00.0"), ("1:3b:0.7", "pci:00000001:3b:00.7"),
    ("GPU-2b3e6f4a", None), ("3b:00.8", None), ("-1", None), ("1.0", None), ("", None), ("NVIDIA H100", None),
])
def test_selector_id(selector, ident):
    assert selector_id(selector) == ident


def test_an_index_uuid_and_bus_id_for_one_gpu_are_compared_as_given_and_bus_ids_in_any_form_as_one():
    # Two spellings of one bus id conflict statically; an index and a bus id are only resolved on the host.
    with pytest.raises(AnsibleFilterError, match=r"entries 1 \(gpus: 3b:00.0\) and 2 \(gpus: 0000:3B:00.0\) both set "
                                                 r"compute_mode of the same GPU, to \"default\" and to \"prohibited\""):
        gpu_state_plan([{"gpus": ["3b:00.0"], "compute_mode": "default"},
                        {"gpus": ["0000:3B:00.0"], "compute_mode": "prohibited"}])
    plan = gpu_state_plan([{"gpus": [0], "compute_mode": "default"},
                           {"gpus": ["0000:3b:00.0"], "compute_mode": "prohibited"}])
    assert [entry["ids"] for entry in plan] == [["index:0"], ["pci:00000000:3b:00.0"]]


def test_plan_types_names_and_boot_calls():
    plan = gpu_state_plan([
        {"gpus": None, "accounting_mode": "yes", "compute_mode": "exclusive_process"},
        {"gpus": "0, 0000:3b:00.0", "power_limit_w": "262.456",
         "application_clocks": {"mem_mhz": "1215", "graphics_mhz": 1410}, "ecc_mode": False},
        {"gpus": [UUID, UUID.lower()], "power_limit_w": 250},
    ])
    assert plan == [
        {"number": 1, "gpus": ["all"], "ids": ["all"],
         "settings": {"accounting_mode": True, "compute_mode": "exclusive_process"},
         "boot": [{"argv": ["-am", "1"]}, {"argv": ["-c", "EXCLUSIVE_PROCESS"]}]},
        {"number": 2, "gpus": ["0", "0000:3b:00.0"], "ids": ["index:0", "pci:00000000:3b:00.0"],
         "settings": {"power_limit_w": 262.46, "application_clocks": {"mem_mhz": 1215, "graphics_mhz": 1410},
                      "ecc_mode": False},
         "boot": [{"argv": ["-i", "0", "-ac", "1215,1410"]}, {"argv": ["-i", "0", "-pl", "262.46"]},
                  {"comment": "ECC mode off: set when the role ran, kept by the board"},
                  {"argv": ["-i", "0000:3b:00.0", "-ac", "1215,1410"]},
                  {"argv": ["-i", "0000:3b:00.0", "-pl", "262.46"]},
                  {"comment": "ECC mode off: set when the role ran, kept by the board"}]},
        {"number": 3, "gpus": [UUID, UUID.lower()], "ids": ["uuid:" + UUID.lower()],
         "settings": {"power_limit_w": 250.0},
         "boot": [{"argv": ["-i", UUID, "-pl", "250"]}, {"argv": ["-i", UUID.lower(), "-pl", "250"]}]},
    ]


def test_empty_list_plans_nothing():
    assert gpu_state_plan([]) == []


@pytest.mark.parametrize("name,value", [
    ("compute_mode", "prohibited"), ("power_limit_w", 300.0), ("power_limit_w", 262.5),
    ("application_clocks", {"mem_mhz": 2619, "graphics_mhz": 1980}), ("accounting_mode", True),
    ("accounting_mode", False), ("locked_graphics_clocks", {"min_mhz": 1005, "max_mhz": 1410}),
    ("locked_memory_clocks", {"min_mhz": 2619, "max_mhz": 2619}),
])
def test_boot_calls_are_what_the_nvidia_smi_backend_runs(name, value):
    """The script's flags come from SmiBackend's setters: run one against a recorder and compare."""
    calls = []

    class Backend(_nvml.SmiBackend):
        def __init__(self):  # pylint: disable=super-init-not-called
            pass

        def run(self, args, gpu=None, what=None, allow_rc=()):
            calls.append(list(args))
            return 0, "", ""

    setter = {"compute_mode": "set_compute_mode", "power_limit_w": "set_power_limit",
              "application_clocks": "set_application_clocks", "accounting_mode": "set_accounting_mode",
              "locked_graphics_clocks": "set_locked_clocks", "locked_memory_clocks": "set_locked_clocks"}[name]
    args = {"application_clocks": lambda: (value["mem_mhz"], value["graphics_mhz"]),
            "locked_graphics_clocks": lambda: ("graphics", value["min_mhz"], value["max_mhz"]),
            "locked_memory_clocks": lambda: ("memory", value["min_mhz"], value["max_mhz"])}.get(name, lambda: (value,))()
    getattr(Backend(), setter)(_nvml.Gpu(2), *args)
    assert boot_argv("2", name, value) == calls[0]
    assert boot_argv("all", name, value) == calls[0][2:]


@pytest.mark.parametrize("entries,message", [
    ("x", "gpu_state_settings must be a list of entries such as {gpus: [0], compute_mode: exclusive_process}, "
          "got \"x\""),
    ({"gpus": "all"}, "gpu_state_settings must be a list of entries"),
    ([{"gpus": "all", "compute_mode": "default"}, "x"], "gpu_state_settings must be a list of entries"),
    (None, "gpu_state_settings must be a list of entries"),
    ([{"gpus": []}], "gpu_state_settings entry 1: gpus is empty; use all or list the GPUs (and 1 more problem(s))"),
    ([{"gpus": ["all", 0], "compute_mode": "default"}],
     "gpu_state_settings entry 1: gpus mixes all with single GPUs (all, 0); use all alone or list the GPUs"),
    ([{"gpus": ["3b:00.9"], "compute_mode": "default"}],
     "gpu_state_settings entry 1: GPU selector \"3b:00.9\" is not valid; use all, an index (0), a UUID (GPU-...) "
     "or a PCI bus id (0000:3b:00.0)"),
    ([{"gpus": "all"}],
     "gpu_state_settings entry 1: sets nothing; give at least one of accounting_mode, compute_mode, "
     "application_clocks, locked_graphics_clocks, locked_memory_clocks, power_limit_w, ecc_mode"),
    ([{"compute_mode": "exclusive_thread"}],
     "gpu_state_settings entry 1: compute_mode \"exclusive_thread\" is not one of default, exclusive_process, "
     "prohibited"),
    ([{"power_limit_w": 0}], "gpu_state_settings entry 1: power_limit_w must be a positive number of watts, got 0"),
    ([{"power_limit_w": True}],
     "gpu_state_settings entry 1: power_limit_w must be a positive number of watts, got true"),
    ([{"power_limit_w": "lots"}],
     "gpu_state_settings entry 1: power_limit_w must be a positive number of watts, got \"lots\""),
    ([{"application_clocks": {"mem_mhz": 1215}}],
     "gpu_state_settings entry 1: application_clocks needs both mem_mhz and graphics_mhz, a pair from nvidia-smi -q "
     "-d SUPPORTED_CLOCKS; got {\"mem_mhz\": 1215}"),
    ([{"application_clocks": {"mem_mhz": 1215, "graphics_mhz": -1}}],
     "gpu_state_settings entry 1: application_clocks mem_mhz and graphics_mhz must be positive MHz, got "
     "{\"graphics_mhz\": -1, \"mem_mhz\": 1215}"),
    ([{"compute_mode": "default"}, {"gpus": [1], "power_limit_w": -5}, {"gpus": "x"}],
     "gpu_state_settings entry 2: power_limit_w must be a positive number of watts, got -5 (and 2 more problem(s))"),
    ([{"gpus": "all", "compute_mode": "default"}, {"gpus": [1], "compute_mode": "prohibited"}],
     "gpu_state_settings entries 1 (gpus: all) and 2 (gpus: 1) both set compute_mode of the same GPU, to \"default\" "
     "and to \"prohibited\"; give each GPU one value (list the GPUs of each entry instead of all)"),
])
def test_refusals_are_one_line(entries, message):
    with pytest.raises(AnsibleFilterError) as info:
        gpu_state_plan(entries)
    text = str(info.value)
    assert text.startswith("gpu_state_plan: " + message)
    assert "\n" not in text


def test_same_value_for_one_gpu_twice_is_not_a_conflict():
    plan = gpu_state_plan([{"gpus": "all", "compute_mode": "default"},
                           {"gpus": [1], "compute_mode": "default", "power_limit_w": 200}])
    assert [entry["number"] for entry in plan] == [1, 2]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_state_plan with locked clock ranges: typed, checked, and the boot calls nvidia-smi -lgc / -lmc (the flags are
the nvidia-smi backend's: test_gpu_state_plan.py compares them)."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.gpu_state import gpu_state_plan


def test_ranges_typed_and_boot_calls_in_script_order():
    plan = gpu_state_plan([{"gpus": [0], "power_limit_w": 300,
                            "locked_memory_clocks": {"min_mhz": "2619", "max_mhz": 2619},
                            "locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": "1980"}}])
    assert plan[0]["settings"] == {"locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 1980},
                                   "locked_memory_clocks": {"min_mhz": 2619, "max_mhz": 2619},
                                   "power_limit_w": 300.0}
    assert [step["argv"] for step in plan[0]["boot"]] == [
        ["-i", "0", "-lgc", "1410,1980"], ["-i", "0", "-lmc", "2619,2619"], ["-i", "0", "-pl", "300"]]


@pytest.mark.parametrize("entry,message", [
    ({"locked_graphics_clocks": {"min_mhz": 1410}},
     "entry 1: locked_graphics_clocks needs min_mhz and max_mhz, a range inside the clocks of nvidia-smi -q -d "
     "SUPPORTED_CLOCKS; got {\"min_mhz\": 1410}"),
    ({"locked_memory_clocks": "2619"}, "entry 1: locked_memory_clocks needs min_mhz and max_mhz"),
    ({"locked_memory_clocks": {"min_mhz": 0, "max_mhz": 2619}},
     "entry 1: locked_memory_clocks min_mhz and max_mhz must be positive MHz, got {\"max_mhz\": 2619, \"min_mhz\": 0}"),
    ({"locked_graphics_clocks": {"min_mhz": 1980, "max_mhz": 1410}},
     "entry 1: locked_graphics_clocks min_mhz 1980 is above max_mhz 1410; give the lower clock as min_mhz"),
])
def test_refusals_are_one_line(entry, message):
    with pytest.raises(AnsibleFilterError) as info:
        gpu_state_plan([entry])
    assert str(info.value).startswith("gpu_state_plan: gpu_state_settings " + message)
    assert "\n" not in str(info.value)


def test_two_entries_locking_one_gpu_differently_conflict():
    with pytest.raises(AnsibleFilterError, match="both set locked_graphics_clocks of the same GPU"):
        gpu_state_plan([{"gpus": "all", "locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 1410}},
                        {"gpus": [1], "locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 1980}}])

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia module parameters: the modprobe.d line, and the comparison with a /sys/module/nvidia/parameters tree."""
from __future__ import annotations

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_module_options import (
    FilterModule,
    nvidia_module_options,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    compare,
    normalise,
    read_live,
)
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import FIXTURES

SYS_535 = os.path.join(FIXTURES, "sys_module_nvidia_parameters_535")


def test_line_sorted_quoted_and_booleans_as_numbers():
    assert nvidia_module_options({"NVreg_RegistryDwords": "RMUseSwI2c=0x01;RMI2cSpeed=100",
                                  "NVreg_PreserveVideoMemoryAllocations": True, "NVreg_EnableGpuFirmware": 0,
                                  "NVreg_TemporaryFilePath": "/var/tmp"}) == (
        'options nvidia NVreg_EnableGpuFirmware=0 NVreg_PreserveVideoMemoryAllocations=1 '
        'NVreg_RegistryDwords="RMUseSwI2c=0x01;RMI2cSpeed=100" NVreg_TemporaryFilePath=/var/tmp')
    assert nvidia_module_options({}) == ""
    assert FilterModule().filters()["nvidia_module_options"] is nvidia_module_options


@pytest.mark.parametrize("params,needle", [
    ([1], "must be a mapping of parameter names to values"),
    ({"NVreg Bad": 1}, "'NVreg Bad' is not a module parameter name"),
    ({"NVreg_X": 'a"b'}, "NVreg_X must be a number, a boolean or a non-empty string without double quotes"),
    ({"NVreg_X": "a\nb"}, "NVreg_X must be a number"),
    ({"NVreg_X": ""}, "NVreg_X must be a number"),
    ({"NVreg_X": [1]}, "NVreg_X must be a number"),
    ({"NVreg_X": None}, "NVreg_X must be a number"),
])
def test_bad_input_is_one_line(params, needle):
    with pytest.raises(AnsibleFilterError) as info:
        nvidia_module_options(params)
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("nvidia_driver_module_params")


def test_live_tree_and_comparison():
    live = read_live(SYS_535)
    assert live["NVreg_EnableGpuFirmware"] == "18" and live["NVreg_RegistryDwords"] == "(null)"
    wanted = normalise({"NVreg_EnableGpuFirmware": "0x12", "NVreg_DynamicPowerManagement": 2,
                        "NVreg_PreserveVideoMemoryAllocations": 1, "NVreg_EnableMSI": True,
                        "NVreg_RegistryDwords": "RMUseSwI2c=0x01", "NVreg_NoSuchParameter": 1})
    assert compare(wanted, live) == [
        {"name": "NVreg_DynamicPowerManagement", "wanted": "2", "live": "3"},
        {"name": "NVreg_NoSuchParameter", "wanted": "1", "live": None},
        {"name": "NVreg_PreserveVideoMemoryAllocations", "wanted": "1", "live": "0"},
        {"name": "NVreg_RegistryDwords", "wanted": "RMUseSwI2c=0x01", "live": "(null)"},
    ]


def test_not_loaded_compares_nothing(tmp_path):
    assert read_live(str(tmp_path / "absent")) is None
    assert compare({"NVreg_EnableMSI": "1"}, None) == []


def test_bool_parameters_shown_as_y_n(tmp_path):
    tree = tmp_path / "parameters"
    tree.mkdir()
    (tree / "modeset").write_text("Y\n")
    assert compare({"modeset": "1"}, read_live(str(tree))) == []
    assert compare({"modeset": "0"}, read_live(str(tree))) == [{"name": "modeset", "wanted": "0", "live": "Y"}]


def test_normalise_names_the_option():
    with pytest.raises(ModuleParamsError, match="^wanted: "):
        normalise({"bad name": 1}, "wanted")

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia module parameters: the modprobe.d line, and the comparison with a /sys/module/nvidia/parameters tree."""
from __future__ import annotations

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import (
    FilterModule,
    nvidia_module_options,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    compare,
    normalise,
    parse_options,
    read_live,
    reload_need,
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


@pytest.mark.parametrize("text, expected", [
    ('# Ansible managed\noptions nvidia NVreg_PreserveVideoMemoryAllocations=1 '
     'NVreg_RegistryDwords="RMUseSwI2c=0x01;RMI2cSpeed=100"\n',
     {"NVreg_PreserveVideoMemoryAllocations": "1", "NVreg_RegistryDwords": "RMUseSwI2c=0x01;RMI2cSpeed=100"}),
    ("options nvidia-drm modeset=1\noptions nvidia NVreg_EnableMSI=0  # comment\n", {"NVreg_EnableMSI": "0"}),
    ("", {}),
    (None, {}),
])
def test_parse_options_reads_what_options_line_writes(text, expected):
    assert parse_options(text) == expected


def test_parse_options_round_trip():
    wanted = normalise({"NVreg_RegistryDwords": "RMUseSwI2c=0x01;RMI2cSpeed=100", "NVreg_EnableGpuFirmware": 0})
    assert parse_options(nvidia_module_options(wanted)) == wanted


LIVE = {"NVreg_PreserveVideoMemoryAllocations": "0", "NVreg_EnableGpuFirmware": "18", "NVreg_EnableMSI": "1"}


@pytest.mark.parametrize("wanted, live, configured, needed, reasons, unknown", [
    # not loaded: it takes the file's parameters when it loads
    ({"NVreg_EnableMSI": "0"}, None, None, False, [], []),
    # already so (by value: 0x1 is 1)
    ({"NVreg_EnableMSI": "0x1"}, LIVE, None, False, [], []),
    # a changed parameter
    ({"NVreg_PreserveVideoMemoryAllocations": "1"}, LIVE, {"NVreg_PreserveVideoMemoryAllocations": "0"}, True,
     ["nvidia module parameter NVreg_PreserveVideoMemoryAllocations is 0, wanted 1"], []),
    # a parameter the module does not have: a reload would not give it one
    ({"NVreg_NoSuchThing": "1"}, LIVE, None, False, [], ["NVreg_NoSuchThing"]),
    # removed from the file while the module still has the file's value
    ({}, LIVE, {"NVreg_EnableMSI": "1"}, True,
     ["nvidia module parameter NVreg_EnableMSI no longer set in modprobe.d, still NVreg_EnableMSI=1 in the loaded "
      "module"], []),
    # removed, but the loaded module does not have the file's value (it never loaded with it): nothing to undo
    ({}, LIVE, {"NVreg_EnableMSI": "0"}, False, [], []),
    ({"NVreg_EnableMSI": "1"}, LIVE, {"NVreg_EnableMSI": "1", "NVreg_EnableGpuFirmware": "18"}, True,
     ["nvidia module parameter NVreg_EnableGpuFirmware no longer set in modprobe.d, still NVreg_EnableGpuFirmware=18 "
      "in the loaded module"], []),
])
def test_reload_need(wanted, live, configured, needed, reasons, unknown):
    need = reload_need(wanted, live, configured)
    assert (need["needed"], need["reasons"], need["unknown"]) == (needed, reasons, unknown)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import FilterModule, driver_input_error


def test_filter_is_registered():
    assert FilterModule().filters()["driver_input_error"] is driver_input_error


@pytest.mark.parametrize("cuda,kwargs", [
    ("12.2", {}),
    ("", {"branch": 550}),
    ("12.4", {"mok": ["/root/mok.key", "/root/mok.der"], "module_params": {"NVreg_EnableGpuFirmware": 0}}),
    ("12.4", {"mok": ["", ""], "source": "mirror", "apt_repo": {"url": "http://192.0.2.9/debian", "key_url": "/k.asc"}}),
    ("13.6", {"cuda_table": {"13.6": "580"}}),
])
def test_good_inputs_pass(cuda, kwargs):
    assert driver_input_error(cuda, **kwargs) == ""


@pytest.mark.parametrize("cuda,kwargs,message", [
    ("", {"branch": ""}, 'Set nvidia_driver_cuda_version to the CUDA version your workloads need (e.g. "12.4"; the '
                         "driver branch is chosen from NVIDIA's table), or nvidia_driver_branch (e.g. 550)."),
    (12.1, {}, 'nvidia_driver_cuda_version must be a quoted string: YAML read it as the number 12.1 (an unquoted 12.10 '
               'becomes 12.1); write nvidia_driver_cuda_version: "12.1"'),
    ("13.1", {"cuda_table": {13.1: "580", "13.2": "580"}},
     "nvidia_driver_cuda_table: quote every CUDA version (13.1): YAML reads 13.10 as the number 13.1"),
    ("13.5", {}, "CUDA 13.5 is not a CUDA release in the table"),
    ("12.4", {"mok": ["/root/mok.key", ""]}, 'Set both nvidia_driver_mok_key (the private key) and nvidia_driver_mok_cert '
                                             '(the certificate, DER), as absolute paths on the host, or neither; got '
                                             '["/root/mok.key", ""]'),
    ("12.4", {"mok": ["mok.key", "/root/mok.der"]}, "Set both nvidia_driver_mok_key"),
    ("12.4", {"source": "mirror", "apt_repo": {"url": "http://192.0.2.9/debian"}},
     "nvidia_driver_source: mirror needs nvidia_driver_apt_repo with url and key_url (and suites and components unless "
     "it is a flat repository)"),
    ("12.4", {"source": "mirror", "apt_repo": "http://192.0.2.9/debian"}, "nvidia_driver_source: mirror needs"),
    ("12.4", {"module_params": {"NVreg_RegistryDwords": 'a"b'}},
     "nvidia_driver_module_params: NVreg_RegistryDwords must be a number, a boolean or a non-empty string without "
     "double quotes or newlines"),
    ("12.4", {"module_params": {"bad-name": 1}}, "nvidia_driver_module_params: 'bad-name' is not a module parameter name"),
])
def test_the_first_failing_check_gives_its_one_line_message(cuda, kwargs, message):
    error = driver_input_error(cuda, **kwargs)
    assert error.startswith(message), error
    assert "\n" not in error


def test_the_checks_run_in_order():
    # no driver asked for comes before a bad signing key, a bad key before module parameters
    assert driver_input_error("", mok=["x", ""]).startswith("Set nvidia_driver_cuda_version")
    assert driver_input_error("12.4", mok=["x", ""], module_params={"a-b": 1}).startswith("Set both")

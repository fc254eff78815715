# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import Resolution
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_inputs import driver_request


@pytest.mark.parametrize("cuda,kwargs", [
    ("12.2", {}),
    ("", {"branch": 550}),
    ("12.4", {"mok": ["/root/mok.key", "/root/mok.der"], "module_params": {"NVreg_EnableGpuFirmware": 0}}),
    ("12.4", {"mok": ["", ""], "source": "mirror", "apt_repo": {"url": "http://192.0.2.9/debian", "key_url": "/k.asc"}}),
    ("13.6", {"cuda_table": {"13.6": "580"}}),
])
def test_good_inputs_pass(cuda, kwargs):
    refusal, _request = driver_request(cuda, **kwargs)
    assert refusal == ""


@pytest.mark.parametrize("cuda,kwargs,message", [
    ("", {"branch": ""}, 'Set nvidia_driver_cuda_version to the CUDA version your workloads need (e.g. "12.4"; the '
                         "driver branch is chosen from NVIDIA's table), or nvidia_driver_branch (e.g. 550)."),
    (12.1, {}, 'nvidia_driver_cuda_version must be a quoted string: YAML read it as the number 12.1 (an unquoted 12.10 '
               'becomes 12.1); write nvidia_driver_cuda_version: "12.1"'),
    (12, {}, 'nvidia_driver_cuda_version must be a quoted string: YAML read it as the number 12'),
    ("13.1", {"cuda_table": {13.1: "580", "13.2": "580"}},
     "nvidia_driver_cuda_table: quote every CUDA version (13.1): YAML reads 13.10 as the number 13.1"),
    ("13.5", {}, "CUDA 13.5 is not a CUDA release in the table"),
    ("12.4", {"cuda_table": {"12.4": "not-a-driver"}}, "cuda_table entry '12.4'"),
    ("12.4", {"compatibility": "major"}, "compatibility must be 'toolkit' or 'minor'"),
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
def test_the_first_failing_check_gives_its_one_line_message_and_no_request(cuda, kwargs, message):
    refusal, request = driver_request(cuda, **kwargs)
    assert refusal.startswith(message), refusal
    assert "\n" not in refusal
    assert request is None


def test_the_checks_run_in_order():
    # no driver asked for comes before a bad signing key, a bad key before module parameters
    assert driver_request("", mok=["x", ""])[0].startswith("Set nvidia_driver_cuda_version")
    assert driver_request("12.4", mok=["x", ""], module_params={"a-b": 1})[0].startswith("Set both")


def test_the_request_is_the_cuda_version_resolved_against_the_table():
    _refusal, request = driver_request("12.2")
    assert request == {"asked": "12.2", "cuda_version": "12.2", "table_entry": "12.2", "entry": [12, 2, 0],
                       "required_min_driver": "535.54.03", "compatibility": "toolkit", "warnings": []}
    # a row of the site's own table, and minor-version compatibility
    assert driver_request("13.6", cuda_table={"13.6": "630"})[1]["required_min_driver"] == "630"
    assert driver_request("12.8", compatibility="minor")[1]["required_min_driver"] == "525"
    # a release without a row of its own: the newest row below it, with the table's warning carried along
    request = driver_request("12.4.9")[1]
    assert request["table_entry"] == "12.4.1" and request["warnings"] and "12.4.9" in request["warnings"][0]
    # a branch alone asks no CUDA question
    assert driver_request("", branch=550) == ("", None)


@pytest.mark.parametrize("cuda,compatibility,table", [
    ("12.2", "toolkit", None), ("12.8", "minor", None), ("13", "toolkit", None), ("12.4.9", "toolkit", None),
    ("13.6", "toolkit", {"13.6": "630"}),
])
def test_the_request_gives_back_the_same_resolution(cuda, compatibility, table):
    request = driver_request(cuda, compatibility=compatibility, cuda_table=table)[1]
    again = Resolution.from_request(request, cuda, compatibility)
    assert again.as_request(cuda) == request


@pytest.mark.parametrize("request_,asked,compatibility", [
    ({"asked": "12.2", "cuda_version": "12.2", "entry": [12, 2, 0], "required_min_driver": "530",
      "compatibility": "toolkit"}, "12.4", "toolkit"),
    ({"asked": "12.2", "cuda_version": "12.2", "entry": [12, 2, 0], "required_min_driver": "530",
      "compatibility": "toolkit"}, "12.2", "minor"),
    ({"asked": "12.2", "compatibility": "toolkit"}, "12.2", "toolkit"),
    ({"asked": "12.2", "cuda_version": "12.2", "entry": "x", "required_min_driver": "530",
      "compatibility": "toolkit"}, "12.2", "toolkit"),
    ("not a mapping", "12.2", "toolkit"),
])
def test_an_answer_to_another_question_or_no_answer_is_not_taken(request_, asked, compatibility):
    assert Resolution.from_request(request_, asked, compatibility) is None

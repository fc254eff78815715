# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""device_plugin_config: the reference ConfigMaps in fixtures/ are the requirement (what operators write by hand); every bad
input has a row that asserts the one-line message."""
from __future__ import annotations

import copy
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.k8s_gpu_sharing import (
    FilterModule,
    device_plugin_config,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


REFERENCE_TS = _load("reference_time_slicing_configmap.yaml")
REFERENCE_MPS = _load("reference_mps_configmap.yaml")
REFERENCE_VARS = _load("reference_sharing_vars.yml")["k8s_gpu_sharing_configs"]


def _reference_configs():
    """Each data value of the reference ConfigMaps, parsed: {config name: plugin config}."""
    data = dict(REFERENCE_TS["data"])
    data.update(REFERENCE_MPS["data"])
    return {name: yaml.safe_load(text) for name, text in data.items()}


def _gpu(replicas=4):
    return {"name": "nvidia.com/gpu", "replicas": replicas}


def _ts(**extra):
    config = {"name": "common", "strategy": "time-slicing", "resources": [_gpu()]}
    config.update(extra)
    return config


def test_filter_is_registered():
    assert FilterModule().filters()["device_plugin_config"] is device_plugin_config


def test_reference_examples_are_reproduced():
    assert device_plugin_config(copy.deepcopy(REFERENCE_VARS)) == _reference_configs()


@pytest.mark.parametrize("name", ["common", "a100-40gb", "mps"])
def test_each_reference_config(name):
    spec = [c for c in REFERENCE_VARS if c["name"] == name]
    assert device_plugin_config(copy.deepcopy(spec)) == {name: _reference_configs()[name]}


def test_reference_values_keep_the_plugin_key_order():
    # version first, then sharing, as in the reference and in NVIDIA's examples (the role writes them unsorted).
    config = device_plugin_config(copy.deepcopy(REFERENCE_VARS))["a100-40gb"]
    assert list(config) == ["version", "sharing"]
    assert list(config["sharing"]["timeSlicing"]) == ["renameByDefault", "resources"]
    assert list(device_plugin_config(copy.deepcopy(REFERENCE_VARS))) == ["common", "a100-40gb", "mps"]


def test_optional_fields_are_written_only_when_given():
    assert device_plugin_config([_ts()]) == {
        "common": {"version": "v1", "sharing": {"timeSlicing": {"resources": [_gpu()]}}}}
    result = device_plugin_config([_ts(fail_requests_greater_than_one=True, rename_by_default=False,
                                       mig_strategy="none")])["common"]
    assert result == {
        "version": "v1",
        "flags": {"migStrategy": "none"},
        "sharing": {"timeSlicing": {"renameByDefault": False, "failRequestsGreaterThanOne": True,
                                    "resources": [_gpu()]}},
    }


def test_mig_resources_with_the_mixed_strategy():
    result = device_plugin_config([_ts(mig_strategy="mixed", resources=[
        {"name": "nvidia.com/mig-1g.5gb", "replicas": 2}, {"name": "nvidia.com/mig-3g.20gb", "replicas": 3}])])
    assert result["common"]["flags"] == {"migStrategy": "mixed"}
    assert [r["name"] for r in result["common"]["sharing"]["timeSlicing"]["resources"]] == [
        "nvidia.com/mig-1g.5gb", "nvidia.com/mig-3g.20gb"]


def test_mps_with_fail_requests_true_is_kept():
    result = device_plugin_config([{"name": "mps", "strategy": "mps", "fail_requests_greater_than_one": True,
                                    "resources": [_gpu(10)]}])
    assert result == {"mps": {"version": "v1", "sharing": {"mps": {
        "failRequestsGreaterThanOne": True, "resources": [_gpu(10)]}}}}


def test_strategy_none_shares_nothing():
    assert device_plugin_config([{"name": "whole-gpus", "strategy": "none"}]) == {"whole-gpus": {"version": "v1"}}
    assert device_plugin_config([{"name": "mig", "strategy": "none", "mig_strategy": "single"}]) == {
        "mig": {"version": "v1", "flags": {"migStrategy": "single"}}}


def test_input_is_not_modified():
    spec = copy.deepcopy(REFERENCE_VARS)
    device_plugin_config(spec)
    assert spec == REFERENCE_VARS


BAD = [
    ("not a list", {"name": "x"}, "expected a non-empty list of configs"),
    ("empty list", [], "expected a non-empty list of configs"),
    ("config not a dict", ["common"], "config 1: expected a dict with name, strategy and resources"),
    ("name missing", [{"strategy": "none"}], "config 1: name None is not usable as a node label value"),
    ("name with a slash", [_ts(name="a/b")], "config 1: name 'a/b' is not usable as a node label value"),
    ("name too long", [_ts(name="a" * 64)], "is not usable as a node label value"),
    ("name ends with a dash", [_ts(name="common-")], "is not usable as a node label value"),
    ("duplicate config name", [_ts(), _ts()], "config common: the name is used twice"),
    ("unknown key", [_ts(replica=4)], "config common: unknown key replica; allowed: name, strategy"),
    ("unknown strategy", [_ts(strategy="timeslicing")],
     "config common: unknown strategy 'timeslicing'; use one of time-slicing, mps, none"),
    ("strategy missing", [{"name": "common", "resources": [_gpu()]}], "unknown strategy None"),
    ("unknown mig strategy", [_ts(mig_strategy="auto")], "unknown mig_strategy 'auto'; use one of none, single, mixed"),
    ("rename not a bool", [_ts(rename_by_default="yes")], "config common: rename_by_default must be true or false, got 'yes'"),
    ("fail requests not a bool", [_ts(fail_requests_greater_than_one=1)],
     "fail_requests_greater_than_one must be true or false, got 1"),
    ("no resources", [_ts(resources=[])], "config common: strategy time-slicing needs at least one resource"),
    ("resources missing for mps", [{"name": "m", "strategy": "mps"}], "config m: strategy mps needs at least one resource"),
    ("resources not a list", [_ts(resources={"name": "nvidia.com/gpu"})], "resources must be a list of {name, replicas}"),
    ("resource not a dict", [_ts(resources=["nvidia.com/gpu"])], "config common resource 1: expected a dict"),
    ("resource unknown key", [_ts(resources=[{"name": "nvidia.com/gpu", "replicas": 2, "rename": "x"}])],
     "config common resource 1: unknown key rename; allowed: name, replicas"),
    ("resource name missing", [_ts(resources=[{"replicas": 2}])], "config common resource 1: name is required"),
    ("resource without prefix", [_ts(resources=[{"name": "gpu", "replicas": 2}])],
     "resource 1 (gpu): not a resource the device plugin shares; use nvidia.com/gpu"),
    ("foreign resource", [_ts(resources=[{"name": "amd.com/gpu", "replicas": 2}])], "not a resource the device plugin shares"),
    ("renamed name listed", [_ts(resources=[{"name": "nvidia.com/gpu.shared", "replicas": 2}])],
     "nvidia.com/gpu.shared is the name the plugin advertises with rename_by_default; list nvidia.com/gpu"),
    ("duplicate resource", [_ts(resources=[_gpu(), _gpu(8)])], "config common: resource nvidia.com/gpu is listed twice"),
    ("replicas missing", [_ts(resources=[{"name": "nvidia.com/gpu"}])], "replicas must be an integer, got None"),
    ("replicas a string", [_ts(resources=[_gpu("4")])], "replicas must be an integer, got '4'"),
    ("replicas a float", [_ts(resources=[_gpu(4.0)])], "replicas must be an integer, got 4.0"),
    ("replicas a bool", [_ts(resources=[_gpu(True)])], "replicas must be an integer, got True"),
    ("replicas zero", [_ts(resources=[_gpu(0)])], "replicas must be at least 2 (the device plugin refuses fewer), got 0"),
    ("replicas one", [_ts(resources=[_gpu(1)])], "replicas must be at least 2 (the device plugin refuses fewer), got 1; use strategy none"),
    ("replicas negative", [_ts(resources=[_gpu(-3)])], "got -3"),
    ("mps mig resource", [{"name": "m", "strategy": "mps", "resources": [{"name": "nvidia.com/mig-1g.5gb", "replicas": 2}]}],
     "MPS shares only nvidia.com/gpu on full GPUs"),
    ("mps with a MIG strategy", [{"name": "m", "strategy": "mps", "mig_strategy": "mixed", "resources": [_gpu()]}],
     "config m: the device plugin does not support MPS on MIG devices"),
    ("mps fail requests false", [{"name": "m", "strategy": "mps", "fail_requests_greater_than_one": False,
                                  "resources": [_gpu()]}],
     "config m: the device plugin forces failRequestsGreaterThanOne to true for MPS"),
    ("mps replicas one", [{"name": "m", "strategy": "mps", "resources": [_gpu(1)]}], "replicas must be at least 2"),
    ("mig resource with single strategy", [_ts(mig_strategy="single", resources=[{"name": "nvidia.com/mig-1g.5gb", "replicas": 2}])],
     "MIG resources exist only with mig_strategy mixed, not single"),
    ("none with resources", [{"name": "n", "strategy": "none", "resources": [_gpu()]}],
     "config n: strategy none shares nothing; remove resources"),
    ("none with rename", [{"name": "n", "strategy": "none", "rename_by_default": True}], "strategy none shares nothing"),
    ("second config bad", [_ts(), _ts(name="big", resources=[_gpu(1)])], "config big resource 1 (nvidia.com/gpu): replicas"),
]


@pytest.mark.parametrize("configs,expected", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_raises_one_line(configs, expected):
    with pytest.raises(AnsibleFilterError) as err:
        device_plugin_config(configs)
    message = str(err.value)
    assert message.startswith("device_plugin_config: ")
    assert expected in message
    assert "\n" not in message

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _cuda_compat as cc


@pytest.mark.parametrize("text,parts", [
    ("12", (12, None, None)), ("12.4", (12, 4, None)), ("12.4.1", (12, 4, 1)), (" 13.0 ", (13, 0, None)), (12, (12, None, None)),
])
def test_parse_cuda_version(text, parts):
    assert cc.parse_cuda_version(text) == parts


@pytest.mark.parametrize("text", ["twelve", "12.4.1.1", "12.x", "", "v12.4", "12.", ".4", "12.4-1", "12,4", None, "1 2"])
def test_parse_cuda_version_refuses(text):
    with pytest.raises(cc.CudaVersionError) as info:
        cc.parse_cuda_version(text)
    assert "major[.minor[.update]]" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("text,parts", [
    ("570.26", (570, 26)), ("570.124.06", (570, 124, 6)), ("1:535.216.01-1~deb12u1", (535, 216, 1)),
    ("580.95.05-0ubuntu1", (580, 95, 5)),
])
def test_parse_driver_version(text, parts):
    assert cc.parse_driver_version(text) == parts


@pytest.mark.parametrize("text", ["580", "abc", "580.x", "580.95.05.1", "", "r580"])
def test_parse_driver_version_refuses(text):
    with pytest.raises(cc.DriverVersionError):
        cc.parse_driver_version(text)


def test_normalize_driver_version():
    assert cc.normalize_driver_version("1:535.216.01-1") == "535.216.01"
    assert cc.normalize_driver_version("570.124.06") == "570.124.06"


@pytest.mark.parametrize("a,b,result", [
    ("570.124.06", "570.26", 1), ("570.26", "570.124.06", -1), ("570.26", "570.26.00", 0), ("580.65.06", "580.95.05", -1),
    ("595.45.04", "580.159.04", 1), ("580", "579.99.99", 1), ("525.60.13", "525", 1),
])
def test_compare_numerically(a, b, result):
    assert cc.compare_driver_versions(a, b) == result


def test_table_is_sorted_newest_first_and_valid():
    keys = [row[0] for row in cc.TOOLKIT_MIN_DRIVER]
    assert keys == sorted(keys, reverse=True)
    mins = [cc.parse_driver_version(row[1]) for row in cc.TOOLKIT_MIN_DRIVER]
    assert [cc._key(m) for m in mins] == sorted((cc._key(m) for m in mins), reverse=True)
    assert cc.TABLE_SOURCE.startswith("https://docs.nvidia.com/") and cc.TABLE_READ == "2026-11"


@pytest.mark.parametrize("cuda,compat,minimum,entry", [
    ("12", "toolkit", "525.60.13", "12.0"),
    ("13", "toolkit", "580.65.06", "13.0"),
    ("11", "toolkit", "450.51.06", "11.0"),
    ("12.4", "toolkit", "550.54.14", "12.4"),
    ("12.8", "toolkit", "570.26", "12.8"),
    ("13.0", "toolkit", "580.65.06", "13.0"),
    ("13.0.2", "toolkit", "580.95.05", "13.0.2"),
    ("13.2", "toolkit", "595.45.04", "13.2"),
    ("13.2.2", "toolkit", "595.71.05", "13.2.2"),
    ("10.2", "toolkit", "440.33", "10.2"),
    ("12.4", "minor", "525", "12.4"),
    ("13.2", "minor", "580", "13.2"),
    ("12.0", "minor", "525", "12.0"),
    ("11.8", "minor", "450.80.02", "11.8"),
    ("11.0", "minor", "450.51.06", "11.0"),      # the 11.0 toolkit minimum is already below the 11.x family's
    ("10.2", "minor", "440.33", "10.2"),         # no minor compatibility before 11: toolkit minimum + warning
])
def test_resolve_min_driver(cuda, compat, minimum, entry):
    res = cc.resolve_min_driver(cuda, compat)
    assert res.min_driver == minimum
    assert cc.format_cuda_version(res.entry) == entry
    assert res.as_dict()["required_min_driver"] == minimum
    assert bool(res.warnings) == (cuda == "10.2" and compat == "minor")


def test_update_missing_from_table_uses_ga_with_warning():
    res = cc.resolve_min_driver("12.4.1")
    assert res.min_driver == "550.54.14" and res.cuda_version == "12.4.1"
    assert len(res.warnings) == 1 and "12.4 update 1 is not in the table" in res.warnings[0]
    res = cc.resolve_min_driver("13.0.1")
    assert res.min_driver == "580.65.06" and res.warnings
    res = cc.resolve_min_driver("13.0.3")
    assert res.min_driver == "580.95.05" and "13.0 Update 2" in res.warnings[0]


@pytest.mark.parametrize("cuda,needle", [
    ("12.7", "CUDA 12.7 is not a CUDA release in the table"),
    ("14", "CUDA 14 is newer than the compatibility table"),
    ("14.0", "newer than the compatibility table"),
    ("9.2", "older than the compatibility table"),
    ("13.9", "known 13.x releases: 13.0, 13.1, 13.2"),
])
def test_resolve_refuses_unknown_releases(cuda, needle):
    with pytest.raises(cc.CudaVersionError) as info:
        cc.resolve_min_driver(cuda)
    assert needle in str(info.value)


def test_resolve_refuses_unknown_compatibility():
    with pytest.raises(cc.CudaCompatError):
        cc.resolve_min_driver("12.4", "forward")


@pytest.mark.parametrize("driver,compat,expected", [
    ("580.159.04", "toolkit", "13.0.2"),
    ("580.65.06", "toolkit", "13.0"),
    ("580.159.04", "minor", "13.2.2"),
    ("570.124.06", "toolkit", "12.8"),
    ("570.124.06", "minor", "12.9"),
    ("525.60.13", "toolkit", "12.0"),
    ("525.60.13", "minor", "12.9"),
    ("535.216.01", "toolkit", "12.2"),
    ("595.71.05", "toolkit", "13.2.2"),
    ("450.80.02", "minor", "11.8"),
    ("450.80.02", "toolkit", "11.0"),
    ("440.33", "minor", "10.2"),
    ("400.1", "toolkit", None),
])
def test_max_cuda_version(driver, compat, expected):
    assert cc.max_cuda_version(driver, compat) == expected


@pytest.mark.parametrize("driver,cuda,compat,ok", [
    ("580.159.04", "13.2", "toolkit", False), ("580.159.04", "13.2", "minor", True), ("570.124.06", "12.8", "toolkit", True),
    ("570.26", "12.9", "toolkit", False), ("570.26", "12.9", "minor", True), ("535.216.01", "13.0", "minor", False),
    ("450.51.06", "11.8", "minor", False), ("450.80.02", "11.8", "minor", True),
])
def test_is_compatible(driver, cuda, compat, ok):
    assert cc.is_compatible(driver, cuda, compat)[0] is ok

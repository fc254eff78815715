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


def _previous(version):
    """The driver version just below a minimum: '550.54.15' -> '550.54.14', '615' (branch) -> '614.999.99'."""
    parts = list(cc._key(version))
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] > 0:
            parts[i] -= 1
            parts[i + 1:] = [999, 99][:len(parts) - i - 1]
            return ".".join(str(p) for p in parts)
    raise AssertionError(version)


def _release_text(key):
    major, minor, third = key
    return "%d.%d" % (major, minor) if third is None else "%d.%d.%d" % (major, minor, third)


def test_table_is_sorted_newest_first_and_valid():
    keys = [row[0] for row in cc.TOOLKIT_MIN_DRIVER]
    order = [(k[0], k[1], float("inf") if k[2] is None else k[2]) for k in keys]
    assert order == sorted(order, reverse=True) and len(set(keys)) == len(keys)
    mins = [cc._key(row[1]) for row in cc.TOOLKIT_MIN_DRIVER]
    assert mins == sorted(mins, reverse=True)
    assert cc.TABLE_SOURCE.startswith("https://docs.nvidia.com/") and cc.TABLE_READ == "2026-12"


@pytest.mark.parametrize("minor", sorted(cc.DRIVER_BRANCH))
def test_exact_rows_lie_on_the_published_branch(minor):
    rows = [(k, v) for k, v in cc.TOOLKIT_MIN_DRIVER if k[:2] == minor]
    assert rows, minor
    for key, minimum in rows:
        assert cc._key(minimum)[0] == cc.DRIVER_BRANCH[minor], (key, minimum)


@pytest.mark.parametrize("key,minimum", cc.TOOLKIT_MIN_DRIVER, ids=str)
def test_every_row_minimum_is_compatible_and_the_driver_before_it_is_not(key, minimum):
    cuda = _release_text(key)
    ok, res = cc.is_compatible(minimum, cuda)
    assert ok and res.min_driver == minimum and res.entry == key and not res.warnings
    assert cc.is_compatible(_previous(minimum), cuda)[0] is False


@pytest.mark.parametrize("cuda,minimum", [
    # the update rows that raise the minimum above the GA's
    ("12.4.1", "550.54.15"), ("12.8.1", "570.124.06"), ("12.2.2", "535.104.05"), ("12.2.1", "535.86.09"),
    ("13.0.1", "580.82.07"), ("13.1.1", "590.48.01"), ("13.2.1", "595.58.03"), ("12.6.3", "560.35.05"),
    ("12.5.1", "555.42.06"), ("11.4.3", "470.82.01"), ("12.0.1", "525.85.12"), ("12.9.1", "575.57.08"),
    ("12.3.1", "545.23.08"), ("11.7.1", "515.48.07"), ("11.2.2", "460.32.03"), ("11.1.1", "455.32"),
    ("13.3", "610.43.02"), ("13.3.1", "610.43.02"),
])
def test_update_rows_raise_the_minimum(cuda, minimum):
    res = cc.resolve_min_driver(cuda)
    assert res.min_driver == minimum and not res.warnings
    assert cc.is_compatible(_previous(minimum), cuda)[0] is False


def test_update_one_of_12_4_refuses_the_ga_driver():
    assert cc.is_compatible("550.54.14", "12.4")[0] is True
    assert cc.is_compatible("550.54.14", "12.4.1")[0] is False


@pytest.mark.parametrize("cuda,label,minimum", [
    ("13.4", "13.4 (every release)", "615"),
    ("13.4.0", None, "615"),            # developer preview
    ("13.4.1", None, "615"),            # GA
    ("13.4.2", None, "615"),            # Update 1
    ("13.4.7", None, "615"),            # any later build of the minor uses the same branch
])
def test_13_4_is_a_branch_row_for_every_build(cuda, label, minimum):
    res = cc.resolve_min_driver(cuda)
    assert res.min_driver == minimum and res.entry == (13, 4, None) and not res.warnings
    assert cc.format_cuda_version(res.entry) == "13.4"
    if label:
        assert cc.release_label(*res.entry) == label


@pytest.mark.parametrize("parts,label", [
    ((13, 4, 0), "13.4 developer preview"), ((13, 4, 1), "13.4 GA"), ((13, 4, 2), "13.4 Update 1"),
    ((13, 5, 3), "13.5 Update 2"), ((13, 3, 0), "13.3 GA"), ((13, 3, 1), "13.3 Update 1"),
    ((12, 4, 1), "12.4 Update 1"), ((11, 0, 2), "11.0 GA"), ((11, 0, 3), "11.0 Update 1"),
    ((11, 0, 1), "11.0 release candidate"), ((10, 2, 89), "10.2.89"),
])
def test_release_labels_follow_each_series_rule(parts, label):
    assert cc.release_label(*parts) == label


@pytest.mark.parametrize("driver,cuda,ok", [
    ("615.00.01", "13.4", True), ("615.1", "13.4.2", True), ("620.10.01", "13.4", True),
    ("614.99.99", "13.4", False), ("610.43.02", "13.4.1", False),
])
def test_a_branch_minimum_is_met_by_every_driver_of_the_branch_or_newer(driver, cuda, ok):
    assert cc.is_compatible(driver, cuda)[0] is ok


@pytest.mark.parametrize("cuda,row,minimum", [
    ("12.3.2", "12.3 Update 1", "545.23.08"), ("12.8.2", "12.8 Update 1", "570.124.06"),
    ("12.9.2", "12.9 Update 1", "575.57.08"), ("13.0.3", "13.0 Update 2", "580.95.05"),
    ("13.1.2", "13.1 Update 1", "590.48.01"),
])
def test_gap_releases_use_the_newest_row_below_with_a_warning(cuda, row, minimum):
    res = cc.resolve_min_driver(cuda)
    assert res.min_driver == minimum and res.cuda_version == cuda
    assert len(res.warnings) == 1 and "CUDA %s is not in the table" % cuda in res.warnings[0]
    assert row in res.warnings[0] and "\n" not in res.warnings[0]


def test_11_0_counts_from_its_ga_11_0_2():
    assert cc.resolve_min_driver("11.0").min_driver == "450.51.05"
    assert cc.resolve_min_driver("11.0.3").min_driver == "450.51.06"
    res = cc.resolve_min_driver("11.0.1")
    assert res.min_driver == "450.51.05" and "predates the first row of 11.0" in res.warnings[0]


@pytest.mark.parametrize("cuda,compat,minimum,entry", [
    ("12", "toolkit", "525.60.13", "12.0"),
    ("13", "toolkit", "580.65.06", "13.0"),
    ("11", "toolkit", "450.51.05", "11.0.2"),
    ("12.4", "toolkit", "550.54.14", "12.4"),
    ("12.8", "toolkit", "570.26", "12.8"),
    ("13.0", "toolkit", "580.65.06", "13.0"),
    ("13.0.2", "toolkit", "580.95.05", "13.0.2"),
    ("13.2", "toolkit", "595.45.04", "13.2"),
    ("13.2.2", "toolkit", "595.71.05", "13.2.2"),
    ("10.2", "toolkit", "440.33", "10.2"),
    ("10.1.243", "toolkit", "418.39", "10.1"),
    ("12.4", "minor", "525", "12.4"),
    ("13.2", "minor", "580", "13.2"),
    ("13.4", "minor", "580", "13.4"),
    ("12.0", "minor", "525", "12.0"),
    ("11.8", "minor", "450.80.02", "11.8"),
    ("11.0", "minor", "450.51.05", "11.0.2"),    # the 11.0 GA minimum is already below the 11.x family's
    ("10.2", "minor", "440.33", "10.2"),         # no minor compatibility before 11: toolkit minimum + warning
])
def test_resolve_min_driver(cuda, compat, minimum, entry):
    res = cc.resolve_min_driver(cuda, compat)
    assert res.min_driver == minimum
    assert cc.format_cuda_version(res.entry) == entry
    assert res.as_dict()["required_min_driver"] == minimum
    assert bool(res.warnings) == (cuda == "10.2" and compat == "minor")


@pytest.mark.parametrize("cuda,needle", [
    ("12.7", "CUDA 12.7 is not a CUDA release in the table"),
    ("13.5", "known 13.x releases: 13.0, 13.1, 13.2, 13.3, 13.4"),
    ("13.5", "to the cuda_table option (role variable nvidia_driver_cuda_table, validate.yml validate_cuda_table), "
             "e.g. {'13.5': '<branch>'}"),
    ("14", "CUDA 14 is newer than the compatibility table"),
    ("14.0", "newer than the compatibility table (read 2026-12, newest CUDA 13)"),
    ("9.2", "older than the compatibility table"),
])
def test_resolve_refuses_unknown_releases(cuda, needle):
    with pytest.raises(cc.CudaVersionError) as info:
        cc.resolve_min_driver(cuda)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_resolve_refuses_unknown_compatibility():
    with pytest.raises(cc.CudaCompatError):
        cc.resolve_min_driver("12.4", "forward")


@pytest.mark.parametrize("driver,compat,expected", [
    ("580.159.04", "toolkit", "13.0.2"),
    ("580.65.06", "toolkit", "13.0"),
    ("580.82.07", "toolkit", "13.0.1"),
    ("580.159.04", "minor", "13.4"),
    ("570.124.06", "toolkit", "12.8.1"),
    ("570.26", "toolkit", "12.8"),
    ("570.124.06", "minor", "12.9.1"),
    ("525.60.13", "toolkit", "12.0"),
    ("525.60.13", "minor", "12.9.1"),
    ("535.216.01", "toolkit", "12.2.2"),
    ("595.71.05", "toolkit", "13.2.2"),
    ("610.43.02", "toolkit", "13.3.1"),
    ("615.10.01", "toolkit", "13.4"),
    ("614.99.99", "toolkit", "13.3.1"),
    ("450.80.02", "minor", "11.8"),
    ("450.80.02", "toolkit", "11.0.3"),
    ("440.33", "minor", "10.2"),
    ("400.1", "toolkit", None),
])
def test_max_cuda_version(driver, compat, expected):
    assert cc.max_cuda_version(driver, compat) == expected


@pytest.mark.parametrize("driver,cuda,compat,ok", [
    ("580.159.04", "13.2", "toolkit", False), ("580.159.04", "13.2", "minor", True), ("570.124.06", "12.8", "toolkit", True),
    ("570.26", "12.9", "toolkit", False), ("570.26", "12.9", "minor", True), ("535.216.01", "13.0", "minor", False),
    ("450.51.06", "11.8", "minor", False), ("450.80.02", "11.8", "minor", True), ("580.65.06", "13.4.2", "minor", True),
])
def test_is_compatible(driver, cuda, compat, ok):
    assert cc.is_compatible(driver, cuda, compat)[0] is ok


# --- the table extended by the user (cuda_table) ---

def test_extension_adds_a_branch_row_for_a_new_minor():
    table = cc.table_from({"13.6": "630"})
    for cuda in ("13.6", "13.6.1", "13.6.4"):
        res = cc.resolve_min_driver(cuda, table=table)
        assert res.min_driver == "630" and res.entry == (13, 6, None) and not res.warnings
    assert cc.is_compatible("630.01", "13.6", table=table)[0] and not cc.is_compatible("625.10.01", "13.6", table=table)[0]
    assert cc.max_cuda_version("630.01", table=table) == "13.6" and cc.max_cuda_version("615.1", table=table) == "13.4"
    with pytest.raises(cc.CudaVersionError):        # the built-in table is not changed by an extension
        cc.resolve_min_driver("13.6")


def test_extension_exact_rows_and_replacements():
    table = cc.table_from({"13.5.1": "620.10.01", "13.2": "595.50.01", "12.8.2": "570.133.07"})
    assert cc.resolve_min_driver("13.5", table=table).min_driver == "620.10.01"     # 13.5.1 is the GA of 13.5
    assert cc.resolve_min_driver("13.2", table=table).min_driver == "595.50.01"     # replaces the built-in GA row
    assert cc.resolve_min_driver("13.2.1", table=table).min_driver == "595.58.03"   # other rows stay
    res = cc.resolve_min_driver("12.8.2", table=table)
    assert res.min_driver == "570.133.07" and not res.warnings                       # the gap release now has a row
    assert table.extended and not cc.BUILTIN.extended and cc.table_from(None) is cc.BUILTIN and cc.table_from({}) is cc.BUILTIN


@pytest.mark.parametrize("value,stored", [("630", "630"), ("R630", "630"), (630, "630"), ("630.10", "630.10"),
                                          ("630.10.01", "630.10.01"), (" 630.10.01 ", "630.10.01")])
def test_extension_value_forms(value, stored):
    assert cc.table_from({"13.6": value}).rows[(13, 6, None)] == stored


@pytest.mark.parametrize("entries,needle", [
    ({"13": "630"}, "cuda_table entry '13': the key must be a CUDA release major.minor[.third]"),
    ({"thirteen.six": "630"}, "cuda_table entry 'thirteen.six': the key must be"),
    ({"13.6.1.2": "630"}, "cuda_table entry '13.6.1.2'"),
    ({13.6: "630"}, "cuda_table entry 13.6: quote the CUDA version"),
    ({"13.6": "63x"}, "cuda_table entry '13.6': '63x' is not a driver version or branch"),
    ({"13.6": "630.10.01-1ubuntu1"}, "is not a driver version or branch"),
    ({"13.6": ""}, "is not a driver version or branch"),
    ({"13.6": 630.1}, "cuda_table entry '13.6': 630.1 is not a driver version or branch: quote it"),
    ({"13.6": None}, "cuda_table entry '13.6': None is not a driver version or branch"),
    ({"13.6": True}, "is not a driver version or branch"),
    ({"13.6": ["630"]}, "is not a driver version or branch"),
    (["13.6", "630"], "cuda_table must be a mapping"),
])
def test_extension_bad_entries_are_one_line_errors_naming_the_entry(entries, needle):
    with pytest.raises(cc.CudaTableError) as info:
        cc.table_from(entries)
    assert needle in str(info.value) and "\n" not in str(info.value)

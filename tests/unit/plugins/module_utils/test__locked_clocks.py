# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Locked clock ranges against a supported-clocks table, and the per-boot record."""
from __future__ import annotations

import json

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._locked_clocks import (
    LockedClockRecord,
    clock_range,
    range_problem,
    supported_bounds,
)

# nvidia-smi --query-supported-clocks=memory,graphics of an H100 SXM, shortened: {mem: [graphics]}.
TABLE = {2619: [1980, 1965, 1410, 345], 1593: [1410, 1005]}


def test_bounds_per_domain():
    assert supported_bounds("graphics", TABLE) == (345, 1980)
    assert supported_bounds("memory", TABLE) == (1593, 2619)
    assert supported_bounds("graphics", None) is None and supported_bounds("memory", {}) is None


@pytest.mark.parametrize("option,wanted,problem", [
    ("locked_graphics_clocks", {"min_mhz": 345, "max_mhz": 1980}, None),
    ("locked_graphics_clocks", {"min_mhz": 1410, "max_mhz": 1410}, None),
    ("locked_graphics_clocks", "unlocked", None),
    ("locked_graphics_clocks", {"min_mhz": 300, "max_mhz": 1410}, "outside the GPU's supported graphics clocks 345-1980"),
    ("locked_memory_clocks", {"min_mhz": 2619, "max_mhz": 2620}, "outside the GPU's supported memory clocks 1593-2619"),
    ("locked_memory_clocks", {"min_mhz": 2619, "max_mhz": 1593}, "min_mhz 2619 is above max_mhz 1593"),
    ("locked_memory_clocks", {"min_mhz": -1, "max_mhz": 1593}, "must be positive MHz, got -1-1593"),
])
def test_range_problem(option, wanted, problem):
    found = range_problem(option, wanted, TABLE)
    assert (found is None) if problem is None else (problem in found), found


def test_clock_range():
    assert clock_range({"min_mhz": "1410", "max_mhz": 1980, "reset": False}) == {"min_mhz": 1410, "max_mhz": 1980}
    assert clock_range({"min_mhz": None, "max_mhz": None, "reset": True}) == "unlocked"


def test_record_round_trip_and_stamp(tmp_path):
    path = str(tmp_path / "a" / "rec.json")
    rec = LockedClockRecord(path, "boot-1", "580.95.05").load()
    assert rec.get("GPU-1", "graphics") is None
    rec.put("GPU-1", "graphics", {"min_mhz": 1410, "max_mhz": 1410})
    rec.save()
    assert json.loads(open(path, encoding="utf-8").read())["gpus"] == {
        "GPU-1": {"graphics": {"min_mhz": 1410, "max_mhz": 1410}}}
    assert LockedClockRecord(path, "boot-1", "580.95.05").load().get("GPU-1", "graphics") == {"min_mhz": 1410,
                                                                                              "max_mhz": 1410}
    assert LockedClockRecord(path, "boot-2", "580.95.05").load().get("GPU-1", "graphics") is None
    assert LockedClockRecord(path, "boot-1", "590.44.01").load().get("GPU-1", "graphics") is None


def test_save_without_change_writes_nothing(tmp_path):
    path = tmp_path / "rec.json"
    LockedClockRecord(str(path), "b", "d").load().save()
    assert not path.exists()

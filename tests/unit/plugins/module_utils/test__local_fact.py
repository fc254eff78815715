# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._local_fact import (
    LocalFactError,
    next_fact,
    parse_fact,
    render_fact,
)

PKGS_261 = {"nvidia-driver": "535.261.03-1", "nvidia-driver-libs": "535.261.03-1"}
PKGS_309 = {"nvidia-driver": "535.309.01-0+deb12u1", "nvidia-driver-libs": "535.309.01-0+deb12u1"}
T0, T1, T2 = "2026-12-06T20:00:00Z", "2026-12-06T21:00:00Z", "2026-12-06T22:00:00Z"


def test_first_driver_has_no_previous_version():
    assert next_fact({}, "535.261.03", PKGS_261, T0) == {"driver": {
        "version": "535.261.03", "previous_version": None, "packages": PKGS_261, "changed_at": T0}}


def test_same_driver_leaves_the_fact_as_it_is():
    first = next_fact({}, "535.261.03", PKGS_261, T0)
    assert next_fact(first, "535.261.03", PKGS_261, T1) == first      # changed_at stays T0


def test_upgrade_then_rollback_swap_version_and_previous():
    first = next_fact({}, "535.261.03", PKGS_261, T0)
    up = next_fact(first, "535.309.01", PKGS_309, T1)
    assert up["driver"] == {"version": "535.309.01", "previous_version": "535.261.03", "packages": PKGS_309,
                            "changed_at": T1}
    back = next_fact(up, "535.261.03", PKGS_261, T2)
    assert back["driver"] == {"version": "535.261.03", "previous_version": "535.309.01", "packages": PKGS_261,
                              "changed_at": T2}


def test_same_version_new_package_updates_packages_only():
    first = next_fact({}, "535.261.03", {"nvidia-driver": "535.261.03-1"}, T0)
    more = next_fact(first, "535.261.03", PKGS_261, T1)
    assert more["driver"]["packages"] == PKGS_261
    assert more["driver"]["changed_at"] == T0 and more["driver"]["previous_version"] is None


@pytest.mark.parametrize("version", [None, ""])
def test_no_driver_keeps_the_fact(version):
    existing = {"driver": {"version": "535.261.03"}, "other": 1}
    assert next_fact(existing, version, {}, T1) == existing
    assert next_fact({}, version, {}, T1) == {}


def test_other_sections_are_kept_and_input_not_mutated():
    existing = {"driver": {"version": "535.261.03"}, "site": {"rack": 4}}
    out = next_fact(existing, "535.309.01", PKGS_309, T1)
    assert out["site"] == {"rack": 4} and existing["driver"] == {"version": "535.261.03"}


@pytest.mark.parametrize("text,expected", [(None, {}), ("", {}), ("  \n", {}), ('{"driver": {}}', {"driver": {}})])
def test_parse(text, expected):
    assert parse_fact(text) == expected


@pytest.mark.parametrize("text,words", [("{not json", "is not JSON"), ("[1, 2]", "JSON list, not an object")])
def test_parse_refuses_what_is_not_an_object(text, words):
    with pytest.raises(LocalFactError) as info:
        parse_fact(text)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_render_is_stable_json():
    fact = {"driver": {"version": "1", "packages": {"b": "2", "a": "1"}}}
    assert render_fact(fact) == render_fact(json.loads(render_fact(fact)))
    assert render_fact(fact).index('"a"') < render_fact(fact).index('"b"')

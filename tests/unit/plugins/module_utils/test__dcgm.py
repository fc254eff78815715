# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading dcgmi's JSON: the output tree of the health check and the DCGM 4 diagnostic."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._dcgm import (
    DcgmOutputError,
    parse_diag,
    parse_health,
    unreachable,
)
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text


def test_health_entities_and_incidents():
    health = parse_health(fixture_text("dcgmi_health_check_warn_fail.json"))
    assert health["overall"] == "Failure"
    assert [(e["group"], e["id"], e["health"]) for e in health["entities"]] == [
        ("GPU", 1, "Warning"), ("GPU", 3, "Failure")]
    assert health["entities"][1]["incidents"][0] == {
        "system": "Memory system", "health": "Failure",
        "message": "Detected 1 volatile double-bit ECC error(s) in GPU 3."}


def test_healthy_has_no_entities():
    assert parse_health(fixture_text("dcgmi_health_check_healthy.json")) == {"overall": "Healthy", "entities": []}


@pytest.mark.parametrize("text,needle", [
    ("", "printed nothing"), ("{", "did not print JSON: {"), ("[1]", "not an object"), ('{"body": {}}', "no 'Overall Health'"),
])
def test_health_unreadable(text, needle):
    with pytest.raises(DcgmOutputError, match=needle):
        parse_health(text)


def test_diag_worst_status_per_entity():
    diag = parse_diag(fixture_text("dcgmi_diag_r1_fail.json"))
    assert diag["error"] is None
    assert diag["entities"][("GPU", 0)] == {"status": "Pass", "failed": [], "warnings": []}
    assert diag["entities"][("GPU", 1)]["status"] == "Fail"


def test_diag_runtime_error():
    diag = parse_diag('{"DCGM Diagnostic": {"runtime_error": "The diagnostic could not run: GPU 0 is busy"}}')
    assert diag == {"error": "The diagnostic could not run: GPU 0 is busy", "entities": {}}
    with pytest.raises(DcgmOutputError, match="no 'DCGM Diagnostic'"):
        parse_diag('{"version": "3"}')


def test_unreachable():
    assert unreachable("Error: unable to establish a connection to the specified host: localhost\n", "")
    assert not unreachable(fixture_text("dcgmi_health_check_healthy.json"), "")

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""dcgm_health end to end through AnsibleModule, dcgmi answered from reconstructed DCGM output (fixtures
dcgmi_*.json; their headers say where the layout comes from: no DCGM package can be installed here)."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import dcgm_health as mod
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import fixture_text

DCGMI = "/usr/bin/dcgmi"
HEALTH = [DCGMI, "health", "--check", "--json"]
DIAG = [DCGMI, "diag", "-r", "1", "--json"]


@pytest.fixture
def dcgmi(commands):
    commands.bins["dcgmi"] = DCGMI

    def answer(argv, rc=0, out="", err=""):
        commands.on(lambda a: a == argv, rc=rc, out=out, err=err)
    return answer


def test_no_dcgm_is_na_and_runs_nothing(run_module, commands):
    failed, result = run_module(mod, {"diag_level": 1})
    assert not failed and result["changed"] is False
    assert result["available"] is False and result["summary"] == "n/a (no DCGM)"
    assert result["problems"] == [] and result["notes"] == [] and commands.argvs() == []


def test_healthy_host_lists_every_gpu_and_no_diag_by_default(run_module, dcgmi, commands):
    dcgmi(HEALTH, out=fixture_text("dcgmi_health_check_healthy.json"))
    failed, result = run_module(mod, {"gpu_ids": [0, 1]})
    assert not failed and result["available"] is True and result["overall"] == "Healthy"
    assert [(g["id"], g["health"], g["diag"]) for g in result["gpus"]] == [(0, "Healthy", None), (1, "Healthy", None)]
    assert result["summary"] == "Healthy (GPU 0 Healthy, GPU 1 Healthy)"
    assert result["problems"] == [] and result["notes"] == []
    assert commands.argvs() == [HEALTH]
    assert all(kw["environ_update"]["LANG"] == "C" for _argv, kw in commands.calls)


def test_failure_is_a_problem_warning_a_note_per_gpu(run_module, dcgmi):
    dcgmi(HEALTH, rc=0, out=fixture_text("dcgmi_health_check_warn_fail.json"))
    failed, result = run_module(mod, {"gpu_ids": list(range(8))}, check=True)
    assert not failed and result["changed"] is False and result["overall"] == "Failure"
    health = dict((g["id"], g["health"]) for g in result["gpus"])
    assert health == {0: "Healthy", 1: "Warning", 2: "Healthy", 3: "Failure", 4: "Healthy", 5: "Healthy",
                      6: "Healthy", 7: "Healthy"}
    assert result["problems"] == [
        "DCGM health GPU 3 Memory system: Failure (Detected 1 volatile double-bit ECC error(s) in GPU 3.)"]
    assert result["notes"] == [
        "DCGM health GPU 1 PCIe system: Warning (Detected more than 8 PCIe replays per minute for GPU 1 : 13)",
        "DCGM health GPU 3 Thermal system: Warning (Clocks event: thermal violation detected on GPU 3. Check the "
        "cooling.)"]
    assert result["summary"].startswith("Failure (GPU 0 Healthy, GPU 1 Warning, GPU 2 Healthy, GPU 3 Failure")


def test_level_1_diagnostic_per_gpu(run_module, dcgmi, commands):
    dcgmi(HEALTH, out=fixture_text("dcgmi_health_check_healthy.json"))
    dcgmi(DIAG, rc=226, out=fixture_text("dcgmi_diag_r1_fail.json"))
    failed, result = run_module(mod, {"gpu_ids": [0, 1], "diag_level": 1})
    assert not failed and commands.argvs() == [HEALTH, DIAG]
    assert [(g["id"], g["diag"]) for g in result["gpus"]] == [(0, "Pass"), (1, "Fail")]
    assert result["problems"] == ["DCGM diagnostic failed on GPU 1: software: GPU 1 had uncorrectable memory errors "
                                  "and row remapping failed."]
    assert result["summary"] == "Healthy (GPU 0 Healthy, GPU 1 Healthy); diag -r 1: GPU 0 Pass, GPU 1 Fail"


def test_diagnostic_warning_is_a_note(run_module, dcgmi):
    dcgmi(HEALTH, out=fixture_text("dcgmi_health_check_healthy.json"))
    dcgmi(DIAG, out=fixture_text("dcgmi_diag_r1_pass.json"))
    failed, result = run_module(mod, {"gpu_ids": [0, 1], "diag_level": 1})
    assert not failed and result["problems"] == []
    assert [(g["id"], g["diag"]) for g in result["gpus"]] == [(0, "Warn"), (1, "Pass")]
    assert result["notes"][0].startswith("DCGM diagnostic warning on GPU 0: software: Persistence mode for GPU 0 is")


@pytest.mark.parametrize("out,err,summary,note", [
    ("Error: unable to establish a connection to the specified host: localhost\n"
     "Error: Unable to connect to host engine. Host engine connection invalid/disconnected.\n", "",
     "n/a (nv-hostengine not running)", "nv-hostengine cannot be reached: start nvidia-dcgm.service"),
    ("Error: Health watches not enabled. Please enable watches. \n", "",
     "n/a (no health watches)", "run 'dcgmi health -s a' once"),
])
def test_dcgm_present_but_not_answering_is_a_note(run_module, dcgmi, commands, out, err, summary, note):
    dcgmi(HEALTH, rc=253, out=out, err=err)
    failed, result = run_module(mod, {"diag_level": 1})
    assert not failed and result["available"] is False and result["summary"] == summary
    assert result["problems"] == [] and note in result["notes"][0]
    assert commands.argvs() == [HEALTH]            # no diagnostic without the host engine


def test_unreadable_answers_are_problems_not_crashes(run_module, dcgmi):
    dcgmi(HEALTH, rc=1, out="Segmentation fault\n")
    failed, result = run_module(mod, {})
    assert not failed and result["summary"] == "error"
    assert result["problems"] == ["dcgmi health --check failed (rc 1): dcgmi health --check --json did not print "
                                  "JSON: Segmentation fault"]


def test_diag_that_prints_no_json_is_a_problem(run_module, dcgmi):
    dcgmi(HEALTH, out=fixture_text("dcgmi_health_check_healthy.json"))
    dcgmi(DIAG, rc=1, out="", err="Error: GPU 0 is in use by another process\n")
    failed, result = run_module(mod, {"gpu_ids": [0], "diag_level": 1})
    assert not failed
    assert result["problems"] == ["DCGM diagnostic did not run: rc 1: dcgmi diag --json printed nothing "
                                  "(Error: GPU 0 is in use by another process)"]


def test_bad_level_is_refused(run_module, dcgmi, commands):
    failed, result = run_module(mod, {"diag_level": 3})
    assert failed and "value of diag_level must be one of: 0, 1, got: 3" in result["msg"]
    assert commands.argvs() == []

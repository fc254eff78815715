# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import (
    driver_change_record,
    driver_change_step,
    driver_change_table,
)


def test_table_rows():
    records = [
        {"host": "gpu1", "record": {"result": "changed", "from": "535.261.03", "to": "535.309.01",
                                    "workload": "slurm: resumed"}},
        {"host": "gpu2", "record": {"result": "failed", "from": "535.261.03", "to": "535.261.03",
                                    "workload": "slurm: drained (gpuhost.provision driver change)",
                                    "reason": "Slurm node gpu2 still runs 1 job(s) after 30 s"}},
        {"host": "gpu3", "record": {"result": "ok", "from": "535.309.01", "to": "535.309.01"}},
        {"host": "gpu4", "record": None},
    ]
    hostvars = dict((r["host"], {"__change_record": r["record"]} if r["record"] else {"other": 1}) for r in records)
    table = driver_change_table([r["host"] for r in records], hostvars)
    assert table == [
        "host | result | driver | workload | reason",
        "gpu1 | changed | 535.261.03 -> 535.309.01 | slurm: resumed | -",
        "gpu2 | FAILED | 535.261.03 | slurm: drained (gpuhost.provision driver change) | Slurm node gpu2 still runs 1 job(s) after 30 s",
        "gpu3 | ok | 535.309.01 | - | -",
        "gpu4 | FAILED | - | - | not run: unreachable, or stopped by the rollout guard (gpuhost_max_fail_percentage)",
        "4 host(s): 2 done, 2 failed or not run",
    ]


def test_no_driver_before():
    record = {"result": "changed", "from": None, "to": "535.261.03"}
    assert driver_change_table(["h"], {"h": {"__change_record": record}})[1] == "h | changed | none -> 535.261.03 | - | -"


def test_check_mode_names_the_planned_version():
    record = {"result": "would change", "from": "535.261.03", "to": None,
              "would_install": ["nvidia-smi=535.309.01-0+deb12u1", "nvidia-driver=535.309.01-0+deb12u1", "python3-pynvml"]}
    assert driver_change_table(["h"], {"h": {"__change_record": record}})[1] == "h | would change | 535.261.03 -> 535.309.01 | - | -"


def test_planned_version_of_other_families():
    from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import planned_version
    assert planned_version(["nvidia-driver-570-server=570.195.03-0ubuntu0.24.04.1"]) == "570.195.03"
    assert planned_version(["cuda-drivers=1:580.95.05-1"]) == "580.95.05"
    assert planned_version(["nvidia-driver-3:580.95.05-1.el9"]) == "580.95.05"
    assert planned_version(["python3-pynvml", "nvidia-driver"]) is None
    # the compute sets (nvidia_driver_package_flavour: compute)
    assert planned_version(["libcuda1=535.309.01-0+deb12u1", "nvidia-kernel-dkms=535.309.01-0+deb12u1"]) == "535.309.01"
    assert planned_version(["nvidia-headless-no-dkms-570-server=570.195.03-0ubuntu0.24.04.1"]) == "570.195.03"


PLAN = {"to_install": [], "adopted": False, "driver_check": {"installed_version": "535.309.01"}}


def test_step_of_a_host_to_change_and_of_one_a_stopped_run_left():
    step = driver_change_step(dict(PLAN, to_install=["libcuda1=535.309.01-0+deb12u1"]), "535.261.03")
    assert step["todo"] and not step["unrecorded"] and step["from"] == "535.309.01"
    # nothing to install; the fact records the driver before: a run stopped after the install
    assert driver_change_step(PLAN, "535.261.03")["unrecorded"]
    assert driver_change_step(PLAN, None)["unrecorded"]
    assert not driver_change_step(PLAN, "535.309.01")["unrecorded"]
    # a driver kept from elsewhere (.run file, image), or none installed: nothing to record
    assert not driver_change_step(dict(PLAN, adopted=True), None)["unrecorded"]
    assert not driver_change_step(dict(PLAN, driver_check={}), None)["unrecorded"]


@pytest.mark.parametrize("plan, recorded, kwargs, expected", [
    (PLAN, "535.309.01", {"workload": "slurm"}, ("ok", "535.309.01", "-", "-")),
    (dict(PLAN, to_install=["x=1"]), "535.261.03", {"workload": "slurm", "changed": True, "after": "535.309.01"},
     ("changed", "535.309.01", "slurm: drained, then resumed", "-")),
    (dict(PLAN, to_install=["x=1"]), "535.261.03", {"workload": "none", "check_mode": True},
     ("would change", None, "-", "-")),
    (PLAN, "535.261.03", {"workload": "slurm", "left_out": True},
     ("finished", "535.309.01", "slurm: resumed", "the local fact recorded 535.261.03; the node was left drained")),
    (PLAN, "535.309.01", {"workload": "slurm", "left_out": True, "check_mode": True},
     ("would finish", "535.309.01", "slurm: would resume", "the node was left drained")),
    (PLAN, None, {"workload": "kubernetes"}, ("finished", "535.309.01", "-", "the local fact recorded no driver")),
])
def test_record(plan, recorded, kwargs, expected):
    record = driver_change_record(driver_change_step(plan, recorded), **kwargs)
    assert (record["result"], record["to"], record["workload"], record["reason"]) == expected
    assert record["would_install"] == (plan["to_install"] if kwargs.get("check_mode") else [])

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mps_plan: the mps role's input checks, table-driven at the edge of every pattern, and each refusal's one
line (the molecule scenarios run the role for one configuration)."""
from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.mps import FilterModule, mps_plan

UUID = "2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"
GOOD = {"gpus": "all", "active_thread_percentage": None, "pinned_mem_limit": {},
        "pipe_directory": "/run/nvidia-mps", "log_directory": "/var/log/nvidia-mps"}


def plan(**changes):
    inputs = dict(GOOD)
    inputs.update(changes)
    return mps_plan(inputs)


def refusal(**changes):
    with pytest.raises(AnsibleFilterError) as info:
        plan(**changes)
    text = str(info.value)
    assert text.startswith("mps_plan: ") and "\n" not in text
    return text[len("mps_plan: "):]


def test_registered_under_its_name():
    assert FilterModule().filters()["mps_plan"] is mps_plan


@pytest.mark.parametrize("value,ok", [
    ("0", True), ("7", True), ("12", True), (3, True),
    (f"GPU-{UUID}", True), (f"GPU-{UUID.upper()}", True),
    (f"MIG-{UUID}", True), (f"MIG-GPU-{UUID}/1/0", True),
    ("0000:3b:00.0", False),            # a PCI bus id: CUDA_VISIBLE_DEVICES does not take it
    ("GPU-2b3e6f4a", False),            # a UUID prefix: CUDA takes it, the role wants the full UUID
    (f"gpu-{UUID}", False), (f"GPU-{UUID}x", False), (f"GPU-{UUID},GPU-{UUID}", False),
    (f"MIG-GPU-{UUID}", False), ("all", False), ("-1", False), ("1.0", False), ("", False),
    (" 0", False), ("0\n", False), ("NVIDIA H100", False), (True, False),
])
def test_gpu_selector(value, ok):
    if ok:
        assert plan(gpus=[value]) == {"mem_limits": []}
    else:
        assert refusal(gpus=[value]).startswith("mps_gpus [%s]: selector(s) " % json.dumps(value))


@pytest.mark.parametrize("gpus,why", [
    ("0,1", "neither all nor a non-empty list"), ([], "neither all nor a non-empty list"),
    ({"0": 1}, "neither all nor a non-empty list"),
    ([0, "0", 1, 1], "listed twice: 0, 1"),
    (["0000:3b:00.0", True], 'selector(s) true, "0000:3b:00.0" not understood by CUDA_VISIBLE_DEVICES'),
])
def test_gpu_selection_refusals(gpus, why):
    text = refusal(gpus=gpus)
    assert why in text
    assert text.endswith("use all or a list of full GPU UUIDs as nvidia-smi -L prints them "
                         "(GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), MIG device UUIDs (MIG-...) or CUDA device "
                         "indexes (0, 1, ...)")


@pytest.mark.parametrize("value,ok", [
    ("1M", True), ("512M", True), ("8G", True), ("1024G", True),
    ("0G", False), ("08G", False), ("8GB", False), ("8g", False), ("8", False), ("G", False),
    ("8.5G", False), ("-1G", False), ("8 G", False), ("8G\n", False), ("8X", False),
])
def test_pinned_memory_limit(value, ok):
    if ok:
        assert plan(pinned_mem_limit={0: value}) == {"mem_limits": [{"device": 0, "limit": value}]}
    else:
        assert "are not an integer followed by M or G (e.g. 512M, 8G)" in refusal(pinned_mem_limit={0: value})


def test_limits_are_ordered_by_device_and_checked_against_the_selected_gpus():
    assert plan(gpus=[0, 1, 2], pinned_mem_limit={"2": "1G", 0: "8G"}) == {
        "mem_limits": [{"device": 0, "limit": "8G"}, {"device": 2, "limit": "1G"}]}
    assert refusal(gpus=[0, 1], pinned_mem_limit={2: "8G", 0: "1G"}) == (
        'mps_default_device_pinned_mem_limit {"2": "8G", "0": "1G"}: device(s) 2 do not exist: mps_gpus selects 2 '
        "GPU(s), numbered from 0 by the daemon; write it as a mapping of device ordinal to limit, e.g. {0: 8G, 1: 512M}")
    assert plan(gpus="all", pinned_mem_limit={7: "8G"})["mem_limits"] == [{"device": 7, "limit": "8G"}]


@pytest.mark.parametrize("limits,why", [
    ({"gpu0": "8G"}, 'device key(s) "gpu0" are not device ordinals (0, 1, ...)'),
    ({"0": "8G", "00": "1G"}, "a device is given twice"),
    ("8G", "not a mapping"),
])
def test_pinned_memory_limit_refusals(limits, why):
    assert why in refusal(pinned_mem_limit=limits)


@pytest.mark.parametrize("value,ok", [(None, True), (1, True), (100, True), ("50", True),
                                      (0, False), (101, False), (-5, False), ("lots", False)])
def test_active_thread_percentage(value, ok):
    if ok:
        assert plan(active_thread_percentage=value) == {"mem_limits": []}
    else:
        assert refusal(active_thread_percentage=value).endswith(
            " is outside 1-100; give the share of each GPU's threads that a new MPS server may use, from 1 to 100, "
            "or null for the default (100)")


@pytest.mark.parametrize("value,ok", [
    ("/run/nvidia-mps", True), ("/run/mps/pipe", True), ("/run/nvidia-mps.d", True), ("/run/mps@0", True),
    ("/run", False), ("/run/", False), ("/tmp/nvidia-mps", False), ("/var/run/nvidia-mps", False),
    ("/run/../etc", False), ("/run/./x", False), ("/run/a/../b", False), ("/run//x", False),
    ("/run/nvidia mps", False), ("/run/nvidia-mps/", False), ("/runner/x", False), ("/run/x\n", False),
])
def test_pipe_directory(value, ok):
    if ok:
        assert plan(pipe_directory=value) == {"mem_limits": []}
    else:
        assert refusal(pipe_directory=value).endswith(
            " is not a directory under /run; systemd creates it at every start (RuntimeDirectory=, /run is a "
            "tmpfs): use e.g. /run/nvidia-mps")


@pytest.mark.parametrize("value,ok", [
    ("/var/log/nvidia-mps", True), ("/var/log/gpu/mps", True),
    ("/var/log", False), ("/var/log/", False), ("/var/log/../../etc", False), ("/tmp/nvidia-mps", False),
    ("/var/logs/x", False),
])
def test_log_directory(value, ok):
    if ok:
        assert plan(log_directory=value) == {"mem_limits": []}
    else:
        assert refusal(log_directory=value) == (
            "mps_log_directory %s is not a directory under /var/log; systemd creates it (LogsDirectory=): use e.g. "
            "/var/log/nvidia-mps" % json.dumps(value))


def test_not_a_dict():
    with pytest.raises(AnsibleFilterError, match="expected a dict of the role's inputs"):
        mps_plan(["all"])

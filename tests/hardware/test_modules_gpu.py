# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only, check-mode-only runs of the modules on a real NVIDIA GPU (see conftest.py)."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import driver_at_least

from _ansible import run_ansible, smi

pytestmark = pytest.mark.gpu

FACTS = "gpuhost.provision.nvidia_gpu_facts"
CHECK = "gpuhost.provision.driver_version_check"
PERSIST = "gpuhost.provision.nvidia_persistence"


def smi_persistence():
    return [line.strip() for line in smi("--query-gpu=persistence_mode", "--format=csv,noheader").splitlines()]


def smi_q_persistence():
    return [line.split(":", 1)[1].strip() for line in smi("-q").splitlines() if line.strip().startswith("Persistence Mode")]


def smi_uuids():
    return [line.strip() for line in smi("--query-gpu=uuid", "--format=csv,noheader").splitlines()]


@pytest.mark.parametrize("backend", ["auto", "nvml", "nvidia_smi"])
def test_facts(backend, record):
    status, result = run_ansible(FACTS, "backend=%s" % backend)
    assert status == "SUCCESS", result
    facts = result["ansible_facts"]["nvidia"]
    record["facts_%s" % backend] = facts
    assert facts["available"] is True and facts["error"] is None
    assert facts["backend"] == ("nvidia_smi" if backend == "nvidia_smi" else "nvml")
    assert [g["uuid"] for g in facts["gpus"]] == smi_uuids()
    assert facts["gpu_count"] == len(smi_uuids())
    assert facts["driver_version"] == smi("--query-gpu=driver_version", "--format=csv,noheader").splitlines()[0].strip()
    assert facts["cuda_driver_version"] and facts["cuda_driver_version"].split(".")[0].isdigit()
    for gpu in facts["gpus"]:
        assert gpu["lost"] is False
        assert gpu["memory_total_mib"] > 0 and gpu["compute_capability"]
        assert isinstance(gpu["persistence_mode"], bool)
        assert gpu["pci_bus_id"].startswith("0000")


def test_facts_backends_agree(record):
    a, b = record.get("facts_nvml"), record.get("facts_nvidia_smi")
    if not a or not b:
        pytest.skip("facts tests did not run")
    keys = ("index", "uuid", "pci_bus_id", "name", "persistence_mode", "compute_mode", "mig_mode_current",
            "ecc_mode_current", "power_limit_w", "power_limit_max_w", "memory_total_mib", "compute_capability",
            "vbios_version")
    for ga, gb in zip(a["gpus"], b["gpus"]):
        assert dict((k, ga[k]) for k in keys) == dict((k, gb[k]) for k in keys)


@pytest.mark.parametrize("cuda", ["12.4", "12.8", "13.0", "13.2"])
def test_driver_version_check(cuda, record):
    status, result = run_ansible(CHECK, "cuda_version=%s" % cuda)
    assert status == "SUCCESS", result
    record["driver_version_check_%s" % cuda] = result
    assert result["changed"] is False
    assert result["mismatch"] is False
    assert result["kernel_module_version"] == result["userspace_version"] == result["driver_version"]
    assert result["kernel_module_flavor"] in ("open", "proprietary")
    assert result["compatible"] == driver_at_least(result["driver_version"], result["required_min_driver"])
    if cuda in ("12.4", "12.8"):
        assert result["compatible"] is True


def test_driver_version_check_newer_cuda_than_driver(record):
    """CUDA 13.2 needs 595.45.04 under toolkit rules: a 580 driver is not compatible, but is under minor."""
    status, toolkit = run_ansible(CHECK, "cuda_version=13.2")
    _status, minor = run_ansible(CHECK, "cuda_version=13.2 compatibility=minor")
    record["driver_version_check_13.2_minor"] = minor
    if driver_at_least(toolkit["driver_version"], "595.45.04"):
        pytest.skip("driver %s is new enough for 13.2" % toolkit["driver_version"])
    assert toolkit["compatible"] is False and toolkit["required_min_driver"] == "595.45.04"
    assert minor["compatible"] is True and minor["required_min_driver"] == "580"
    status, failed = run_ansible(CHECK, "cuda_version=13.2 fail_on_incompatible=true")
    assert status == "FAILED" and "NOT compatible" in failed["msg"] and "\n" not in failed["msg"]


def test_persistence_enabled_check_mode(record):
    before = smi_persistence()
    status, result = run_ansible(PERSIST, "state=enabled", check=True, diff=True)
    assert status in ("SUCCESS", "CHANGED"), result
    record["persistence_enabled_check"] = result
    assert result["changed"] is (not all(p == "Enabled" for p in before))
    assert [g["before"] for g in result["gpus"]] == [p == "Enabled" for p in before]
    assert smi_persistence() == before


def test_persistence_disabled_check_mode_changes_nothing(record):
    before, before_q = smi_persistence(), smi_q_persistence()
    status, result = run_ansible(PERSIST, "state=disabled", check=True, diff=True)
    assert status in ("SUCCESS", "CHANGED"), result
    record["persistence_disabled_check"] = result
    record["persistence_before"] = {"query": before, "q": before_q}
    assert result["changed"] is any(p == "Enabled" for p in before)
    assert all(g["after"] is False for g in result["gpus"])
    after, after_q = smi_persistence(), smi_q_persistence()
    record["persistence_after"] = {"query": after, "q": after_q}
    assert after == before and after_q == before_q


def test_persistence_unknown_selector_fails_cleanly(record):
    status, result = run_ansible(PERSIST, "state=disabled gpus=99", check=True)
    record["persistence_unknown_selector"] = result
    assert status == "FAILED" and "GPU index 99 does not exist" in result["msg"]

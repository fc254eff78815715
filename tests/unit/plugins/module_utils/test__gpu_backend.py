# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The abstract backend interface: both backends implement all of it; a backend missing a method cannot exist."""
from __future__ import annotations

import inspect

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _gpu_backend, _nvml
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_backend import Gpu, GpuBackend
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake

ABSTRACT = sorted(GpuBackend.__abstractmethods__)


def test_interface_lists_every_query_and_setter():
    assert ABSTRACT == sorted([
        "cuda_driver_version", "details", "driver_version", "gpus", "nvml_version", "persistence", "set_accounting_mode",
        "set_application_clocks", "set_compute_mode", "set_ecc_mode", "set_persistence", "set_power_limit", "settings",
        "supported_clocks", "set_locked_clocks", "reset_locked_clocks",
    ])


@pytest.mark.parametrize("cls", [_nvml.NvmlBackend, _nvml.SmiBackend])
def test_both_backends_implement_it_in_their_class_body(cls):
    assert issubclass(cls, GpuBackend) and not cls.__abstractmethods__
    for name in ABSTRACT:
        assert name in vars(cls), "%s.%s is not defined in the class body" % (cls.__name__, name)
        wanted = list(inspect.signature(getattr(GpuBackend, name)).parameters)
        assert list(inspect.signature(getattr(cls, name)).parameters) == wanted, name


def backend_class(methods):
    """A GpuBackend subclass defining ``methods`` (each does nothing)."""
    return type("Backend", (GpuBackend,), dict((name, lambda self, *args: None) for name in methods))


def instantiate(cls):
    """cls() - through object.__new__, which is where Python refuses a class with abstract methods."""
    return object.__new__(cls)


@pytest.mark.parametrize("missing", ABSTRACT)
def test_backend_missing_a_method_cannot_be_instantiated(missing):
    with pytest.raises(TypeError, match=missing):
        instantiate(backend_class([name for name in ABSTRACT if name != missing]))
    assert isinstance(instantiate(backend_class(ABSTRACT)), GpuBackend)


def test_mig_is_optional_and_says_which_backend_has_it():
    backend = instantiate(backend_class(ABSTRACT))
    backend.name = "nvidia_smi"
    with pytest.raises(_nvml.NotSupported, match="needs the NVML backend .backend: nvml., not nvidia_smi"):
        backend.mig_mode(Gpu(0))


def test_context_manager_closes_once():
    f = fake.one_gpu()
    with _nvml.NvmlBackend(f) as backend:
        assert isinstance(backend, GpuBackend)
    backend.close()
    assert f.names().count("nvmlShutdown") == 1


@pytest.mark.parametrize("value,expected", [
    (0, "default"), (1, "exclusive_thread"), (2, "prohibited"), (3, "exclusive_process"), (7, "7"),
    ("Default", "default"), ("Exclusive_Process", "exclusive_process"), ("EXCLUSIVE_PROCESS", "exclusive_process"),
    ("exclusive-process", "exclusive_process"), (" Prohibited ", "prohibited"), ("shared", "shared"), (None, None),
])
def test_compute_mode_name_one_spelling(value, expected):
    assert _gpu_backend.compute_mode_name(value) == expected


def test_settable_modes_are_known_modes():
    assert set(_gpu_backend.SETTABLE_COMPUTE_MODES) < set(_gpu_backend.COMPUTE_MODES.values())
    assert "exclusive_thread" not in _gpu_backend.SETTABLE_COMPUTE_MODES


def test_empty_details_has_every_detail_key():
    facts = Gpu(2, uuid="GPU-x", pci_bus_id="3b:00.0", lost=True).empty_details()
    assert facts["pci_bus_id"] == "00000000:3B:00.0" and facts["lost"] is True
    assert set(facts) == {"index", "name", "uuid", "pci_bus_id", "lost"} | set(_gpu_backend.DETAIL_KEYS)
    assert all(facts[key] is None for key in _gpu_backend.DETAIL_KEYS)

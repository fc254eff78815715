# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/nvidia_driver: every default is declared in meta/argument_specs.yml with the same default, and back."""
from __future__ import annotations

import os

import pytest
import yaml

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "nvidia_driver")


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as f:
        return yaml.safe_load(f)


DEFAULTS = _load("defaults", "main.yml")
OPTIONS = _load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def test_defaults_and_argument_specs_have_the_same_keys():
    assert set(DEFAULTS) == set(OPTIONS)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_default_matches_argument_spec(name):
    spec = OPTIONS[name]
    assert spec["default"] == DEFAULTS[name]
    assert spec.get("description"), name
    assert "type" in spec, name
    if "choices" in spec:
        assert str(DEFAULTS[name]) in [str(c) for c in spec["choices"]]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_public_names_are_prefixed(name):
    assert name.startswith("nvidia_driver_")


@pytest.mark.parametrize("vars_file", sorted(os.listdir(os.path.join(ROLE, "vars"))))
def test_internal_vars_are_not_inputs(vars_file):
    internal = _load("vars", vars_file)
    assert all(k.startswith("__nvidia_driver_") for k in internal)
    assert not set(internal) & set(OPTIONS)

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role: each default is declared in meta/argument_specs.yml with the same default, and back; public
names carry the role's prefix; internal variables (vars/) carry `__<role>_` and are never inputs."""
from __future__ import annotations

import os

import pytest
import yaml

ROLES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")
# Roles with inputs; the internal _common role (a leading underscore) has only task files with their own specs.
ROLES = sorted(r for r in os.listdir(ROLES_DIR)
               if not r.startswith("_") and os.path.isdir(os.path.join(ROLES_DIR, r, "meta")))


def _load(role, *parts):
    with open(os.path.join(ROLES_DIR, role, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _options(role):
    return _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


DEFAULTS = [(role, name) for role in ROLES for name in sorted(_load(role, "defaults", "main.yml"))]
VARS_FILES = [(role, f) for role in ROLES if os.path.isdir(os.path.join(ROLES_DIR, role, "vars"))
              for f in sorted(os.listdir(os.path.join(ROLES_DIR, role, "vars")))]


def test_every_role_is_covered():
    assert {"nvidia_driver", "persistenced"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_have_the_same_keys(role):
    assert set(_load(role, "defaults", "main.yml")) == set(_options(role))


@pytest.mark.parametrize("role,name", DEFAULTS)
def test_default_matches_argument_spec(role, name):
    spec = _options(role)[name]
    default = _load(role, "defaults", "main.yml")[name]
    assert spec["default"] == default
    assert spec.get("description"), name
    assert "type" in spec, name
    if "choices" in spec:
        assert str(default) in [str(c) for c in spec["choices"]]
    assert name.startswith(role + "_")


@pytest.mark.parametrize("role,vars_file", VARS_FILES)
def test_internal_vars_are_not_inputs(role, vars_file):
    internal = _load(role, "vars", vars_file)
    assert all(k.startswith("__%s_" % role) for k in internal), sorted(internal)
    assert not set(internal) & set(_options(role))


def test_every_task_file_of_the_internal_role_has_its_entry_point():
    tasks = sorted(f[:-len(".yml")] for f in os.listdir(os.path.join(ROLES_DIR, "_common", "tasks")))
    assert sorted(_load("_common", "meta", "argument_specs.yml")["argument_specs"]) == tasks

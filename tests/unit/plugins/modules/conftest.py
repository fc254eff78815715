# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the module tests: who the module runs as. A test file names the module it tests ``mod``."""
from __future__ import annotations

import pytest


@pytest.fixture
def root(request, monkeypatch):
    """The test file's module (``mod``) finds it runs as root."""
    monkeypatch.setattr(request.module.mod, "is_root", lambda: True)


@pytest.fixture
def not_root(request, monkeypatch):
    """The test file's module (``mod``) finds it runs as another user."""
    monkeypatch.setattr(request.module.mod, "is_root", lambda: False)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hardware tests: the modules run through ``ansible`` on a machine with a real NVIDIA GPU.

READ-ONLY: the machine is shared. These tests only gather facts, check versions and run
nvidia_persistence in check mode. They never call a setter, never touch nvidia-persistenced, never reset.

Skipped unless ``nvidia-smi -L`` works. Run: ``pytest -m gpu tests/hardware -p no:cacheprovider``.
Set HW_RESULTS=<file> to write what each test saw as JSON (the records in bench/results/records-hardware.md are written from it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ansible import ensure_tree  # noqa: E402

if ensure_tree() not in sys.path:
    sys.path.insert(0, ensure_tree())


def gpu_present():
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        return subprocess.run([smi, "-L"], capture_output=True, timeout=60, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    present = None
    for item in items:
        if not str(item.fspath).startswith(here):
            continue
        item.add_marker(pytest.mark.gpu)
        if present is None:
            present = gpu_present()
        if not present:
            item.add_marker(pytest.mark.skip(reason="no NVIDIA GPU (nvidia-smi -L fails)"))


_RESULTS = {}


@pytest.fixture(scope="session")
def record():
    yield _RESULTS
    path = os.environ.get("HW_RESULTS")
    if path:
        with open(path, "w") as handle:
            json.dump(_RESULTS, handle, indent=2, sort_keys=True)

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""validate.yml's validate_expect_gpu: false waives the GPU checks only, never the driver's presence.

The read-only validate.yml runs on the controller itself (a local connection), which has no NVIDIA driver: the
situation of an image-build host whose driver install was forgotten or failed.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None,
                                reason="the controller has an NVIDIA driver")


def run_validate(tmp_path, extra):
    inventory = {"gpu_nodes": {"hosts": {"ctl": {"ansible_connection": "local",
                                                 "ansible_python_interpreter": sys.executable}}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections")}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inv.yml"),
            str(ROOT / "playbooks" / "validate.yml"), "-e", json.dumps(extra)]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)


def test_a_host_without_a_driver_fails_also_when_no_gpu_is_expected(tmp_path):
    run = run_validate(tmp_path, {"validate_expect_gpu": False, "validate_expect_persistenced": False})
    assert run.returncode == 2, run.stdout[-3000:]
    assert "ctl: no NVIDIA driver installed (validate_expect_gpu: false waives only the GPU checks)" in run.stdout, \
        run.stdout[-3000:]
    assert '"ctl | 1 problem(s) | - | 0/0 | ' in run.stdout, run.stdout[-3000:]

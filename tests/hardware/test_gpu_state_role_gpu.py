# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpu_state role on a real GPU: ansible-playbook --check --diff ONLY, nothing is ever set or written.

The role validates the declared settings against the real GPU with nvidia_gpu_settings in check mode and reports
what a real run would change. The GPU state (nvidia-smi) and the role's files are compared before and after.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from _ansible import ansible_env
from test_settings_mig_gpu import state, targets

pytestmark = pytest.mark.gpu

FILES = ("/usr/local/sbin/gpuhost-gpu-state", "/etc/systemd/system/gpuhost-gpu-state.service")


def run_role_check(settings, record, key):
    playbook = (
        "- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: gpuhost.provision.gpu_state\n"
        "      vars:\n        gpu_state_apply: 'true'\n        gpu_state_settings: %s\n" % settings)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        handle.write(playbook)
    exe = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    argv = ([exe] if os.path.exists(exe) else [sys.executable, "-m", "ansible.cli.playbook"]) + [
        "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable,
        "--check", "--diff", handle.name]
    files_before = {path: os.path.lexists(path) for path in FILES}
    before = state()
    proc = subprocess.run(argv, capture_output=True, text=True, env=dict(ansible_env(), ANSIBLE_STDOUT_CALLBACK="default"),
                          timeout=600, check=False)
    after = state()
    os.unlink(handle.name)
    record[key] = {"settings": settings, "rc": proc.returncode, "stdout_tail": proc.stdout[-4000:],
                   "smi_before": before, "smi_after": after}
    assert before == after, "GPU state changed in check mode: %s -> %s" % (before, after)
    assert {path: os.path.lexists(path) for path in FILES} == files_before, "check mode wrote the role's files"
    return proc


def test_gpu_state_check_mode_reports_what_would_change(record):
    want = targets()
    settings = "[{gpus: [0], compute_mode: %s, power_limit_w: %s}]" % (want["compute_mode"], want["power_limit_w"])
    proc = run_role_check(settings, record, "gpu_state_role_check")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert "checked against 1 GPU(s)" in out, out[-3000:]
    assert "would be changed" in out, out[-3000:]


def test_gpu_state_check_mode_refuses_an_unknown_gpu(record):
    proc = run_role_check("[{gpus: [99], compute_mode: default}]", record, "gpu_state_role_unknown_gpu")
    assert proc.returncode != 0
    assert "99" in proc.stdout and "does not exist" in proc.stdout, proc.stdout[-3000:]

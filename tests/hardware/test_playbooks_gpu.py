# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks as a whole on a real GPU server: validate.yml, and site.yml in check mode ONLY.

A GPU machine as it comes: the driver is already there (installed by NVIDIA's .run file or provided by the
image), systemd may be missing. validate.yml must read the healthy GPU and exit 0; site.yml --check must keep
the driver that is there (no packages planned over it), change nothing on disk and leave the GPU state as it was.
Every NVML setter raises in the processes these runs start (readonly/sitecustomize.py), on top of check mode.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

import pytest

from _ansible import REPO, ansible_env, smi
from test_settings_mig_gpu import state

pytestmark = pytest.mark.gpu

HERE = os.path.dirname(os.path.abspath(__file__))
# What a run could write: configuration, units, the package database, the driver's files, our programs.
WATCHED = ("/etc", "/usr/local/sbin", "/usr/local/bin", "/var/lib/dpkg", "/lib/systemd/system", "/usr/lib/systemd/system",
           "/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/local/nvidia")
CUDA = "12.4"


def snapshot():
    """(path, kind, size, mtime) of everything under WATCHED, without following links."""
    seen = set()
    for top in WATCHED:
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                seen.add((path, st.st_mode, st.st_size, st.st_mtime_ns))
    return seen


def run_playbook(playbook, extra, check):
    inventory = tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False)
    inventory.write("[gpu_nodes]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    inventory.close()
    exe = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    argv = ([exe] if os.path.exists(exe) else [sys.executable, "-m", "ansible.cli.playbook"]) + [
        "-i", inventory.name, os.path.join(REPO, "playbooks", playbook)]
    for key, value in extra.items():
        argv += ["-e", "%s=%s" % (key, value)]
    if check:
        argv += ["--check", "--diff"]
    env = dict(ansible_env(), ANSIBLE_STDOUT_CALLBACK="default",
               PYTHONPATH=os.pathsep.join(p for p in (os.path.join(HERE, "readonly"), os.environ.get("PYTHONPATH")) if p))
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_validate_reads_the_healthy_gpu_and_exits_0(record):
    before = state()
    proc = run_playbook("validate.yml", {"validate_cuda_version": CUDA}, check=False)
    after = state()
    rows = re.findall(r'"(localhost \|[^"]*)"', proc.stdout)
    notes = re.findall(r'"(localhost: [^"]*)"', proc.stdout)
    record["validate"] = {"rc": proc.returncode, "rows": rows, "notes": notes, "tail": proc.stdout[-4000:]}
    assert before == after
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert rows and rows[0].split(" | ")[1] == "OK", rows


def test_site_check_keeps_the_driver_and_changes_nothing(record):
    files_before, gpu_before = snapshot(), state()
    proc = run_playbook("site.yml", {"nvidia_driver_cuda_version": CUDA}, check=True)
    files_after, gpu_after = snapshot(), state()
    changed = sorted(entry[0] for entry in files_before ^ files_after)
    # the host's one line (at most ~200 characters) and its row of the fleet table
    summary = re.findall(r'"((?:kept driver|driver) [^"]*)"', proc.stdout)
    driver = smi("--query-gpu=driver_version", "--format=csv,noheader").split()[0]
    rows = re.findall(r'"(localhost \| [^"]*)"', proc.stdout)
    record["site_check"] = {"rc": proc.returncode, "summary": summary, "rows": rows, "changed_paths": changed[:50],
                            "gpu_before": gpu_before, "gpu_after": gpu_after, "tail": proc.stdout[-4000:]}
    assert gpu_before == gpu_after, "GPU state changed in check mode"
    assert changed == [], changed[:50]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert any(line.startswith("kept driver %s (" % driver) and line.endswith("| nothing to change")
               and len(line) <= 210 for line in summary), summary
    assert any(re.match(r"localhost \| ok \| %s \| \d+/\d+ \| no \| nothing$" % re.escape(driver), row)
               for row in rows), rows

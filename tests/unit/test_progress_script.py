# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/progress.sh, which `make demo` wraps around its long silent steps (pip, debootstrap)."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_a_line_while_the_command_runs_its_output_and_its_status():
    run = subprocess.run(["bash", str(ROOT / "scripts" / "progress.sh"), "images: debootstrap",
                          "sh", "-c", "echo started; sleep 5; echo done; exit 3"],
                         capture_output=True, text=True, env={**os.environ, "GPUHOST_PROGRESS_EVERY": "1"},
                         timeout=30, check=False)
    assert run.returncode == 3, run
    lines = run.stdout.splitlines()
    assert lines[0] == "started" and lines[-1] == "done", lines
    seconds = [int(s) for s in re.findall(r"^images: debootstrap: still running \((\d+) s\)$", run.stdout, re.M)]
    assert len(seconds) >= 2 and seconds == sorted(seconds) and seconds[0] >= 1, run.stdout


def test_make_demo_wraps_its_long_steps():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/progress.sh" in demo and "venv" in demo and "build-images.sh" in demo, demo
    assert "ANSIBLE_STDOUT_CALLBACK:-gpuhost.provision.fleet" in (ROOT / "scripts" / "demo.sh").read_text(
        encoding="utf-8")

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpu_state boot script: rendered from the role's template with Ansible's own filters, the role's
internal values and the plan of the gpu_state_plan filter, then run with a stand-in nvidia-smi that records
each call (the molecule scenario runs it against Debian's real nvidia-smi, where every call fails for want of a GPU)."""
from __future__ import annotations

import os
import stat
import subprocess

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import FilterModule

from ansible_collections.gpuhost.provision.plugins.filter.gpu_state import gpu_state_plan

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "gpu_state")
UUID = "GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"

# gpu_state_settings as a user writes them; the role plans them with the gpu_state_plan filter.
SETTINGS = [
    {"gpus": "all", "compute_mode": "exclusive_process", "accounting_mode": True},
    {"gpus": [0, "0000:3b:00.0"], "power_limit_w": 250,
     "application_clocks": {"mem_mhz": 1215, "graphics_mhz": 1410}},
    {"gpus": [UUID], "power_limit_w": 262.5, "ecc_mode": True},
    {"gpus": ["1"], "ecc_mode": False, "application_clocks": {"mem_mhz": 877, "graphics_mhz": 1380}},
    {"gpus": "all", "locked_graphics_clocks": {"min_mhz": 1410, "max_mhz": 1980}},
    {"gpus": [2], "locked_memory_clocks": {"min_mhz": 2619, "max_mhz": 2619}},
]
PLAN = gpu_state_plan(SETTINGS)
CALLS = [
    "-am 1",
    "-c EXCLUSIVE_PROCESS",
    "-i 0 -ac 1215,1410",
    "-i 0 -pl 250",
    "-i 0000:3b:00.0 -ac 1215,1410",
    "-i 0000:3b:00.0 -pl 250",
    f"-i {UUID} -pl 262.50",
    "-i 1 -ac 877,1380",
    "-lgc 1410,1980",
    "-i 2 -lmc 2619,2619",
]


def render(plan, tmp_path, nvidia_smi):
    with open(os.path.join(ROLE, "vars", "main.yml"), encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)
    variables.update(__gpu_state_plan=plan, gpu_state_nvidia_smi=nvidia_smi, ansible_managed="Ansible managed")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")),
                             trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(FilterModule().filters())
    script = tmp_path / "gpuhost-gpu-state"
    script.write_text(env.get_template("gpuhost-gpu-state.sh.j2").render(variables), encoding="utf-8")
    script.chmod(0o755)
    return script


def fake_nvidia_smi(tmp_path, fail_on=None):
    """An nvidia-smi that appends its arguments to calls.log and exits 3 when they contain fail_on."""
    log = tmp_path / "calls.log"
    fake = tmp_path / "bin dir" / "nvidia-smi"   # a space in the path: the script must quote it
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n"
                    f"echo \"$*\" >> '{log}'\n"
                    + (f"case \" $* \" in *' {fail_on} '*) exit 3 ;; esac\n" if fail_on else "")
                    + "exit 0\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake, log


def run(script):
    return subprocess.run(["/bin/sh", str(script)], capture_output=True, text=True, check=False, timeout=30)


def test_every_setting_and_gpu_once_in_declared_order(tmp_path):
    fake, log = fake_nvidia_smi(tmp_path)
    script = render(PLAN, tmp_path, str(fake))
    result = run(script)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert log.read_text(encoding="utf-8").splitlines() == CALLS


def test_ecc_mode_is_never_set_at_boot(tmp_path):
    fake, log = fake_nvidia_smi(tmp_path)
    text = render(PLAN, tmp_path, str(fake)).read_text(encoding="utf-8")
    assert "# ECC mode on: set when the role ran, kept by the board" in text
    assert "# ECC mode off: set when the role ran, kept by the board" in text
    assert all(" -e " not in line for line in text.splitlines() if not line.startswith("#"))


@pytest.mark.parametrize("fail_on", ["-pl", "-c", "-lgc"])
def test_a_failing_call_does_not_stop_the_others_and_fails_the_script(tmp_path, fail_on):
    fake, log = fake_nvidia_smi(tmp_path, fail_on=fail_on)
    result = run(render(PLAN, tmp_path, str(fake)))
    assert result.returncode == 1
    assert log.read_text(encoding="utf-8").splitlines() == CALLS
    failing = [c for c in CALLS if f" {fail_on} " in f" {c} "]
    assert failing
    assert result.stderr.splitlines() == [f"gpuhost-gpu-state: {fake} {c} failed with exit code 3" for c in failing]


def test_header_and_shebang(tmp_path):
    fake, _log = fake_nvidia_smi(tmp_path)
    text = render(PLAN, tmp_path, str(fake)).read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n#\n# Ansible managed\n#\n")
    assert text.rstrip().endswith('exit "$failed"')


def test_missing_nvidia_smi_fails_every_call(tmp_path):
    missing = tmp_path / "nowhere" / "nvidia-smi"
    result = run(render(PLAN[:1], tmp_path, str(missing)))
    assert result.returncode == 1
    assert [ln for ln in result.stderr.splitlines() if ln.startswith("gpuhost-gpu-state: ")] == [
        f"gpuhost-gpu-state: {missing} -am 1 failed with exit code 127",
        f"gpuhost-gpu-state: {missing} -c EXCLUSIVE_PROCESS failed with exit code 127",
    ]

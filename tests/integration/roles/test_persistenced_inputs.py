# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role persistenced, the input check in its pre-flight: run alone, the role refuses a daemon user name that is not a
user name before it reads or changes anything; under site.yml (whose plays set __gpuhost_inputs_checked, its input
play running the same check for every host) the role does not check it again.

Each case runs the role's real tasks/preflight.yml with ansible-playbook on the controller (connection local, check
mode), and reads each task's outcome from the default callback's output.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
CHECK_TASK = "Check that the daemon user name is usable"
SNAPSHOT_TASK = "Read the program, unit, user, systemd state and the GPUs (NVML, PCI) in one call (changes nothing)"


def run_preflight(tmp_path: pathlib.Path, **role_vars):
    """Run the role's pre-flight in check mode; return (rc, {task name: localhost's outcome line and what follows})."""
    play = [{
        "name": "pre-flight",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [{"name": "Run the role's pre-flight", "ansible.builtin.include_role": {
            "name": "gpuhost.provision.persistenced", "tasks_from": "preflight"}, "vars": role_vars}],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "1"}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=" + sys.executable, "--check", str(tmp_path / "play.yml")]
    run = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    tasks = {}
    for block in run.stdout.split("TASK [")[1:]:
        header, _sep, rest = block.partition("\n")   # "<role> : <task name>] ****", then the hosts' outcomes
        tasks[header.rsplit("]", 1)[0].split(" : ", 1)[-1]] = rest.strip()
    return run.returncode, tasks


def test_the_role_alone_refuses_a_bad_user_name_before_reading_the_host(tmp_path):
    rc, tasks = run_preflight(tmp_path, persistenced_user="root; touch /tmp/pwned")
    assert rc != 0
    assert "fatal: [localhost]: FAILED!" in tasks[CHECK_TASK]
    assert 'persistenced_user \\"root; touch /tmp/pwned\\" is not a valid user name' in tasks[CHECK_TASK]
    assert SNAPSHOT_TASK not in tasks   # nothing read from the host, nothing changed


def test_the_role_alone_passes_a_good_user_name(tmp_path):
    _rc, tasks = run_preflight(tmp_path, persistenced_user="nvidia-persistenced")
    assert tasks[CHECK_TASK].split()[0] == "ok:"
    assert SNAPSHOT_TASK in tasks


def test_under_site_yml_the_role_does_not_check_again(tmp_path):
    # the input play already refused such a host; the flag is how the role knows that the check ran
    _rc, tasks = run_preflight(tmp_path, persistenced_user="nvidia-persistenced", __gpuhost_inputs_checked=True)
    assert CHECK_TASK not in tasks and "The inputs were checked by site.yml's input play" in tasks
    assert SNAPSHOT_TASK in tasks

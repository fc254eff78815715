# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet stdout callback: the one-line reason of a failed result, and what quiet mode prints, through a real
ansible-playbook run on localhost."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from ansible_collections.gpuhost.provision.plugins.callback.fleet import failure_reason

ROOT = pathlib.Path(__file__).resolve().parents[4]


def run_playbook(tmp_path, playbook, quiet):
    """ansible-playbook on localhost with the fleet callback (GPUHOST_FLEET_QUIET=``quiet``); its CompletedProcess."""
    (tmp_path / "playbook.yml").write_text(playbook, encoding="utf-8")
    environ = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
               "ANSIBLE_STDOUT_CALLBACK": "gpuhost.provision.fleet", "ANSIBLE_NOCOLOR": "1",
               "GPUHOST_FLEET_QUIET": quiet, "ANSIBLE_LOCALHOST_WARNING": "0"}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
            "-e", "ansible_python_interpreter=" + sys.executable, str(tmp_path / "playbook.yml")]
    return subprocess.run(argv, capture_output=True, text=True, env=environ, check=False)


REASONS = {
    "msg, newlines folded": ({"failed": True, "msg": "no candidate\n  for 535\n"}, "no candidate for 535"),
    "argument errors win over the generic msg": (
        {"failed": True, "msg": "Validation of arguments failed:\nvalue of x must be one of: a, b, got: c",
         "argument_errors": ["value of x must be one of: a, b, got: c", "y is required"]},
        "value of x must be one of: a, b, got: c; y is required"),
    "a command's last stderr line with rc": (
        {"failed": True, "msg": "non-zero return code", "rc": 100, "stderr": "W: x\nE: Unable to locate package foo\n"},
        "non-zero return code (rc 100): E: Unable to locate package foo"),
    "the failed item of a loop": (
        {"failed": True, "msg": "One or more items failed", "results": [
            {"failed": False, "item": "a"}, {"failed": True, "msg": "bad unit", "item": "b"}]},
        "bad unit (item b)"),
    "a module that crashed": (
        {"failed": True, "msg": "MODULE FAILURE", "module_stderr": "Traceback\nImportError: no module named pynvml\n"},
        "ImportError: no module named pynvml"),
    "nothing to say": ({"failed": True}, "failed (no message; run with -vv for the whole result)"),
    "a host lost during the task reads as unreachable": (
        {"failed": True, "msg": "Module result deserialization failed: No start of json char found",
         "module_stdout": "", "module_stderr": "", "rc": 137},
        "unreachable: no result came back from the host during this task (rc 137, no output): the host went away, "
        "or its Python could not run"),
    "a module that printed something else than JSON keeps its message": (
        {"failed": True, "msg": "Module result deserialization failed: No start of json char found",
         "module_stdout": "Segmentation fault", "rc": 139},
        "Module result deserialization failed: No start of json char found"),
    "Python class names become type names": (
        {"failed": True, "argument_errors": [
            "argument 'x' is of type <class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'> and we were "
            "unable to convert to float: <class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'> cannot "
            "be converted to a float"]},
        "argument 'x' is of type str and we were unable to convert to float: str cannot be converted to a float"),
}


@pytest.mark.parametrize("case", sorted(REASONS))
def test_failure_reason(case):
    result, expected = REASONS[case]
    assert failure_reason(result) == expected


PLAYBOOK = """
- name: A play for no host (as site.yml's last play when no host failed)
  hosts: "{{ [] }}"
  gather_facts: false
  tasks: []

- name: Fleet callback test
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Noise that quiet mode hides
      ansible.builtin.set_fact:
        x: 1
    - name: A skipped task
      ansible.builtin.debug:
        msg: never
      when: false
    - name: Handled by a rescue
      block:
        - name: Fail inside the block
          ansible.builtin.command:
            argv: [sh, -c, 'echo "first line" >&2; echo "E: the real reason" >&2; exit 3']
      rescue:
        - name: Remember it
          ansible.builtin.set_fact:
            why: handled
    - name: The summary line
      ansible.builtin.debug:
        msg: "summary: {{ why }}"
    - name: Fail for good
      ansible.builtin.fail:
        msg: "{{ inventory_hostname }}: driver 535 is too old for CUDA 12.4: set nvidia_driver_cuda_version"
"""


def run(tmp_path, **env):
    (tmp_path / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    environ = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
               "ANSIBLE_STDOUT_CALLBACK": "gpuhost.provision.fleet", "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", **env}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
            "-e", "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")]
    done = subprocess.run(argv, capture_output=True, text=True, env=environ, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stdout


def test_quiet_mode_prints_the_summary_the_unhandled_failure_and_the_recap(tmp_path):
    out = run(tmp_path, GPUHOST_FLEET_QUIET="1")
    body = out.split("PLAY RECAP")[0].strip().splitlines()
    assert body == ["localhost: summary: handled",
                    "localhost: driver 535 is too old for CUDA 12.4: set nvidia_driver_cuda_version"], out
    assert "localhost                  : ok=3" in out


def test_default_mode_prints_failures_on_one_line_under_the_task_banner(tmp_path):
    out = run(tmp_path)
    assert "TASK [Noise that quiet mode hides]" in out and "skipping: [localhost]" in out
    assert "skipping: no hosts matched" in out   # quiet mode leaves it out (the exact body above)
    # the rescued command's reason: the last line of stderr, no JSON
    assert "localhost: FAILED: non-zero return code (rc 3): E: the real reason" in out, out
    assert "localhost: summary: handled" in out
    assert "localhost: FAILED: driver 535 is too old for CUDA 12.4: set nvidia_driver_cuda_version" in out
    assert "{" not in out.split("PLAY RECAP")[0], out


def test_verbose_mode_prints_the_whole_result(tmp_path):
    out = run(tmp_path, ANSIBLE_VERBOSITY="2")
    assert '"stderr_lines": [' in out, out


ASYNC_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Install the driver packages (long step)
      ansible.builtin.command: sleep 8
      async: 60
      poll: 2
      changed_when: false
"""


@pytest.mark.parametrize("quiet", ["0", "1"])
def test_progress_names_the_step_and_counts_from_its_start(tmp_path, quiet):
    done = run_playbook(tmp_path, ASYNC_PLAYBOOK, quiet)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    lines = re.findall(r"^localhost: still running: (.*) \((\d+) s\)$", out, re.M)
    assert lines, out
    assert {line[0] for line in lines} == {"Install the driver packages (long step)"}, out
    seconds = [int(line[1]) for line in lines]
    # the first poll comes one poll interval (2 s) after the step started, and the clock keeps counting
    assert seconds[0] >= 2 and seconds == sorted(seconds) and seconds[-1] >= 4, out


TABLE_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: A step that fails, handled by the playbook
      block:
        - name: Refuse
          ansible.builtin.fail:
            msg: "CUDA 12.8 needs driver >= 570.26: use nvidia_driver_source: cuda_repo"
      rescue:
        - name: Remember it
          ansible.builtin.set_fact:
            why: "Refuse: {{ ansible_failed_result.msg }}"
    - name: The fleet table
      ansible.builtin.debug:
        msg: ["host | result | reason", "localhost | FAILED | {{ why }}"]
    - name: Fail with the reason in the table
      ansible.builtin.fail:
        msg: "{{ why }}"
"""


@pytest.mark.parametrize(("quiet", "times"), [("1", 1), ("0", 2)])
def test_a_reason_already_in_the_table_is_not_printed_again(tmp_path, quiet, times):
    done = run_playbook(tmp_path, TABLE_PLAYBOOK, quiet)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    # quiet: only the table has it; default: the failure where it happened, then the table
    assert out.count("CUDA 12.8 needs driver >= 570.26") == times, out
    assert "localhost: " + ("" if quiet == "1" else "FAILED: ") + "(the reason is shown above)" in out, out

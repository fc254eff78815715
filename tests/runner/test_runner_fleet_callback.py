# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpuhost.provision.fleet stdout callback selected as AWX does it: ANSIBLE_STDOUT_CALLBACK in the job's
environment. ansible-runner replaces the stdout callback with its event callback and keeps the one named there for
the text output; this checks that the job's stdout is the fleet callback's (one-line failure, quiet mode), on
localhost (no test host needed)."""
from __future__ import annotations

import os
import pathlib
import re
import sys

import ansible_runner

ROOT = pathlib.Path(__file__).resolve().parents[2]

# What Python's warnings module prints ("path.py:18: SomeWarning: text", then the source line, indented): the
# interpreter's, not the callback's, so left out of the comparison below. Nothing else is dropped.
PY_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: ")


def without_python_warnings(lines):
    kept, skip_source = [], False
    for line in lines:
        if PY_WARNING.match(line):
            skip_source = True
            continue
        if skip_source and line.startswith(" "):
            skip_source = False
            continue
        skip_source = False
        kept.append(line)
    return kept


def test_python_warnings_are_the_only_lines_dropped():
    lines = ["/v/lib/ansible/_ssh_agent.py:18: CryptographyDeprecationWarning: DSA is deprecated",
             "  from cryptography.hazmat.primitives.asymmetric.dsa import DSAPrivateKey",
             "localhost: summary of localhost",
             "  localhost: an indented line of the callback",
             "localhost: py.py:3: not a warning"]
    assert without_python_warnings(lines) == lines[2:]


PLAYBOOK = """
- name: Fleet callback under ansible-runner
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Noise
      ansible.builtin.set_fact:
        x: 1
    - name: The summary line
      ansible.builtin.debug:
        msg: "summary of {{ inventory_hostname }}"
    - name: Fail with a reason
      ansible.builtin.fail:
        msg: "the reason,
          on one line"
"""


def test_fleet_callback_through_ansible_runner(tmp_path, monkeypatch):
    # the ansible-playbook of this interpreter's environment
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_FORCE_COLOR": "False",
           "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_STDOUT_CALLBACK": "gpuhost.provision.fleet", "GPUHOST_FLEET_QUIET": "1"}
    inventory = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                                 "ansible_python_interpreter": sys.executable}}}}
    run = ansible_runner.run(private_data_dir=str(tmp_path), playbook="play.yml", inventory=inventory, envvars=env,
                             quiet=True)
    out = run.stdout.read()
    assert run.rc == 2, out
    body = without_python_warnings([line for line in out.split("PLAY RECAP")[0].splitlines() if line.strip()])
    assert body == ["localhost: summary of localhost", "localhost: the reason, on one line"], out
    # the events AWX stores still carry the whole result
    failed = [e for e in run.events if e.get("event") == "runner_on_failed"]
    assert failed and failed[0]["event_data"]["res"]["msg"] == "the reason, on one line"

# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a playbook against the scenario's test hosts from a testinfra test, and see what it changed.

A refusal must leave the host untouched: ``run_and_diff`` snapshots ``podman diff`` of every instance, runs
ansible-playbook with the scenario's inventory (group_vars included) and extra variables, snapshots again and
returns the paths that changed, apart from those in vars/zero_change.yml (Ansible's own temporary files, the
journal: the list the shared check-mode zero-change assertion reads too) and the scenario's own
``gpuhost_zero_change_ignore`` (its inventory's group_vars/all, as check_zero_change.yml reads it).
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import yaml

import molecule_hosts

# the paths every run may change, shared with check_zero_change.yml
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vars", "zero_change.yml"), encoding="utf-8") as _f:
    IGNORE = re.compile("|".join("(?:%s)" % r for r in yaml.safe_load(_f)["gpuhost_zero_change_always_ignore"]))


def scenario_ignore() -> list[str]:
    """The scenario's gpuhost_zero_change_ignore, from the group_vars molecule wrote beside its inventory."""
    path = os.path.join(os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", "")), "group_vars", "all")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return list((yaml.safe_load(handle) or {}).get("gpuhost_zero_change_ignore") or [])


def _diff(name: str) -> set[str]:
    out = subprocess.run(["podman", "diff", "--format", "json", name], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout or "{}")
    return {"%s %s" % (kind, path) for kind in ("added", "changed", "deleted") for path in data.get(kind) or []}


def playbook_command(playbook: str, extra_vars: dict | None = None, check: bool = False) -> tuple[list, dict]:
    """(argv, environment) of ansible-playbook with the scenario's inventory, as run_playbook runs it."""
    project = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(project, ".cache", "collections"),
               ANSIBLE_CONNECTION_PLUGINS=os.path.join(project, "molecule", "_shared", "connection_plugins"),
               ANSIBLE_PIPELINING="True", ANSIBLE_FORCE_COLOR="False", ANSIBLE_NOCOLOR="1",
               # results as JSON on one line each, whatever the scenario's ansible.cfg says, so tests can match them
               ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    cfg = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "ansible.cfg")
    if os.path.isfile(cfg):
        env["ANSIBLE_CONFIG"] = cfg
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(project, playbook)]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    if check:
        argv += ["--check", "--diff"]
    return argv, env


def run_playbook(playbook: str, extra_vars: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    argv, env = playbook_command(playbook, extra_vars, check)
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)


def run_and_diff(playbook: str, extra_vars: dict | None = None, check: bool = False):
    """(completed process, sorted list of '<kind> <path>' that changed on any instance)."""
    names = molecule_hosts.instances()
    scenario = re.compile("|".join("(?:%s)" % r for r in scenario_ignore()) or "(?!)")
    before = {name: _diff(name) for name in names}
    result = run_playbook(playbook, extra_vars, check)
    changed = sorted("%s: %s" % (name, entry) for name in names for entry in _diff(name) - before[name]
                     if not IGNORE.match(entry.split(" ", 1)[1]) and not scenario.match(entry.split(" ", 1)[1]))
    return result, changed

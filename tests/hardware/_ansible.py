# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a gpuhost.provision module through ``ansible`` on localhost (hardware tests and timings)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREE = os.path.join(REPO, ".cache", "collections")
LINK = os.path.join(TREE, "ansible_collections", "gpuhost", "provision")


def ansible_argv():
    exe = shutil.which("ansible")
    return [exe] if exe else [sys.executable, "-m", "ansible.cli.adhoc"]


def ensure_tree():
    """The repository as ansible_collections/gpuhost/provision (the same link tests/unit/conftest.py makes)."""
    if not os.path.lexists(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(REPO, LINK)
    return TREE


def ansible_env():
    ensure_tree()
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=TREE, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_STDOUT_CALLBACK="minimal", LANG="C.UTF-8")
    return env


def run_ansible(module, args="", check=False, diff=False):
    """Run one module on localhost; return (status, result dict)."""
    argv = ansible_argv() + ["localhost", "-c", "local", "-i", "localhost,", "-m", module,
                             "-e", "ansible_python_interpreter=%s" % sys.executable]
    if args:
        argv += ["-a", args]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    out = proc.stdout
    marker = out.find(" => {")
    if marker < 0:
        raise AssertionError("no result from %s: rc=%s\n%s\n%s" % (" ".join(argv), proc.returncode, out, proc.stderr))
    status = out[:marker].split("|")[-1].strip().rstrip("!")
    return status, json.loads(out[marker + 4:])


def smi(*args):
    return subprocess.run(["nvidia-smi"] + list(args), capture_output=True, text=True, timeout=120, check=False).stdout

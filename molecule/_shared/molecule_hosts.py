# SPDX-License-Identifier: GPL-3.0-or-later
"""Testinfra targets for the scenario being verified, through testinfra's podman backend.

Molecule's testinfra verifier goes through the Ansible backend, which starts Ansible for every command;
the podman backend runs ``podman exec`` directly and is about ten times faster. A test module uses it with
``from molecule_hosts import testinfra_hosts`` (the Makefile puts this directory on PYTHONPATH).
"""
from __future__ import annotations

import os

import yaml


def instances() -> list[str]:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory or not os.path.exists(inventory):
        raise RuntimeError("MOLECULE_INVENTORY_FILE is not set: run these tests through `molecule verify`")
    with open(inventory, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    hosts = (data.get("all") or {}).get("hosts") or {}
    return sorted(hosts)


testinfra_hosts = [f"podman://{name}" for name in instances()]

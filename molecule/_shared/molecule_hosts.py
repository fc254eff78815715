# SPDX-License-Identifier: GPL-3.0-or-later
"""Testinfra targets for the scenario being verified, through testinfra's podman backend.

Molecule's testinfra verifier goes through the Ansible backend, which starts Ansible for every command;
the podman backend runs ``podman exec`` directly and is about ten times faster. A test module uses it with
``from molecule_hosts import testinfra_hosts`` (the Makefile puts this directory on PYTHONPATH). As root, the
``podman://`` backend enters the container's namespaces instead of starting ``podman exec``
(container_exec.py: the same namespaces, root, capabilities and environment; GPUHOST_CONTAINER_EXEC=podman
keeps ``podman exec``).
"""
from __future__ import annotations

import os
import subprocess

import testinfra.backend
import yaml
from testinfra.backend.podman import PodmanBackend

import container_exec


class EnteredPodmanBackend(PodmanBackend):
    """testinfra's podman backend, a command run through container_exec when it can be."""

    def run(self, command, *args, **kwargs):
        if self.user is not None or not container_exec.enabled():
            return super().run(command, *args, **kwargs)
        cmd = self.get_command(command, *args)
        proc = container_exec.run(self.name, ["/bin/sh", "-c", cmd], stdin=subprocess.DEVNULL)
        return self.result(proc.returncode, self.encode(cmd), proc.stdout, proc.stderr)


testinfra.backend.BACKENDS["podman"] = f"{__name__}.EnteredPodmanBackend"


def instances() -> list[str]:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory or not os.path.exists(inventory):
        raise RuntimeError("MOLECULE_INVENTORY_FILE is not set: run these tests through `molecule verify`")
    with open(inventory, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    hosts = (data.get("all") or {}).get("hosts") or {}
    return sorted(hosts)


testinfra_hosts = [f"podman://{name}" for name in instances()]


def managed_unit_lines(host, path):
    """The lines of a unit file a role wrote: a regular file (not a link), root's, mode 0644, that starts with the
    ansible_managed header."""
    unit = host.file(path)
    assert unit.is_file and not unit.is_symlink, "%s is not a regular file" % path
    owner = (unit.user, unit.group, unit.mode)
    assert owner == ("root", "root", 0o644), "%s: owner, group and mode %r" % (path, owner)
    text = unit.content_string
    assert text.startswith("#\n# Ansible managed"), "%s does not start with the ansible_managed header: %r" % (
        path, text[:80])
    return text.splitlines()

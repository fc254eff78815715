# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""containers.podman.podman with pipelining allowed (benchmarks only).

The collection's podman connection sets has_pipelining = False, so ANSIBLE_PIPELINING changes nothing over
it (and `podman exec` needs -i for stdin). This subclass lets Ansible pipe the module into `podman exec -i ... python3` on stdin instead of
copying it into a temporary directory first, which is what pipelining does over SSH on real hosts. P2
uses it to measure what pipelining saves per task.
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: podman_pipelining
short_description: containers.podman.podman with pipelining allowed (gpuhost.provision benchmarks)
description: [The podman connection of containers.podman, with has_pipelining true.]
extends_documentation_fragment: []
options:
  remote_addr:
    description: The ID or name of the container.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_podman_host
  remote_user:
    description: User inside the container.
    vars:
      - name: ansible_user
  podman_executable:
    description: podman binary.
    default: podman
    vars:
      - name: ansible_podman_executable
  podman_extra_args:
    description: Extra arguments for podman.
    default: ''
    vars:
      - name: ansible_podman_extra_args
  pipelining:
    description: Pipe modules through stdin.
    default: true
    type: boolean
    env:
      - name: ANSIBLE_PIPELINING
    vars:
      - name: ansible_pipelining
"""

from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    transport = "podman_pipelining"
    has_pipelining = True

    def _podman(self, cmd, cmd_args=None, in_data=None, use_container_id=True):
        # `podman exec` passes stdin only with -i: add it when there is a module to pipe in.
        if in_data is not None and cmd == ["exec"] or (isinstance(cmd, list) and cmd[:1] == ["exec"] and in_data is not None):
            cmd = ["exec", "-i"] + list(cmd[1:])
        return super()._podman(cmd, cmd_args, in_data, use_container_id)

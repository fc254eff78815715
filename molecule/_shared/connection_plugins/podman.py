# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test hosts' connection: containers.podman's ``podman`` connection with pipelining.

Molecule's podman driver names the connection ``podman``; molecule/base.yml puts this directory first on
ANSIBLE_CONNECTION_PLUGINS, so the name resolves here. Upstream turned pipelining off (containers.podman PR 275)
because ``podman exec`` lost or cut standard input in podman 1.7 (podman issues 4326 and 5046, fixed in 1.8); the
plugin also never passed ``-i``, so a pipelined module got no input. With ``-i`` each task costs one ``podman exec``
instead of a ``podman mount``, a temporary directory, a copy and one or two more execs, and the container is
mounted only when a file is copied in or out. GPUHOST_PODMAN_PIPELINING=0 gives upstream's behaviour back (for
bench/podman_connection.py).
"""
from __future__ import annotations

import os
import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.containers.podman.plugins.connection import podman as upstream

DOCUMENTATION = upstream.DOCUMENTATION
PIPELINING = os.environ.get("GPUHOST_PODMAN_PIPELINING", "1") != "0"


class Connection(upstream.Connection):
    """Pipelined ``podman exec -i``; the container is mounted on the first file transfer only."""

    has_pipelining = PIPELINING

    def _connect(self):
        if not PIPELINING:
            return super()._connect()
        self._connected = True
        return self

    def _mounted(self):
        if PIPELINING and self._mount_point is None:
            super()._connect()

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if not PIPELINING:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        # the base class's bookkeeping (the connection's display), not upstream's exec without -i
        super(upstream.Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        argv = ["exec"] + (["-i"] if in_data is not None else []) + (["--user", self.user] if self.user else [])
        return self._podman(argv, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)

    def put_file(self, in_path, out_path):
        self._mounted()
        return super().put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        self._mounted()
        return super().fetch_file(in_path, out_path)

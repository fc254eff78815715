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

As root, a command enters the container's namespaces with `nsenter` instead of starting `podman exec`, and a file is
copied in or out through such a command (`container_exec.py` beside this directory says what is the same and what
differs); GPUHOST_CONTAINER_EXEC=podman keeps `podman exec`.
"""
from __future__ import annotations

import os
import shlex
import sys

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible_collections.containers.podman.plugins.connection import podman as upstream

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import container_exec  # noqa: E402  pylint: disable=wrong-import-position

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
        args = shlex.split(to_native(cmd, errors="surrogate_or_strict"))
        if self._entered():
            return self._enter(args, in_data)
        argv = ["exec"] + (["-i"] if in_data is not None else []) + (["--user", self.user] if self.user else [])
        return self._podman(argv, args, in_data)

    def _entered(self):
        return PIPELINING and self.user in (None, "", "root") and container_exec.enabled()

    def _enter(self, args, in_data=None):
        upstream.display.vvv("RUN %s in %s" % (args, self._container_id), host=self._container_id)
        try:
            proc = container_exec.run(self._container_id, [to_bytes(a, errors="surrogate_or_strict") for a in args],
                                      self.get_option("podman_executable"), input=in_data)
        except RuntimeError as exc:
            raise AnsibleError(str(exc)) from exc
        return proc.returncode, proc.stdout, proc.stderr

    def put_file(self, in_path, out_path):
        if self._entered():
            super(upstream.Connection, self).put_file(in_path, out_path)
            with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as handle:
                rc, _out, err = self._enter(["/bin/sh", "-c", 'cat > "$1"', "put", out_path], handle.read())
            if rc != 0:
                raise AnsibleError("Failed to copy %s to %s in container %s: %s"
                                   % (in_path, out_path, self._container_id, to_native(err).strip()))
            return None
        self._mounted()
        return super().put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        if self._entered():
            super(upstream.Connection, self).fetch_file(in_path, out_path)
            rc, out, err = self._enter(["cat", "--", in_path])
            if rc != 0:
                raise AnsibleError("Failed to fetch %s from container %s: %s"
                                   % (in_path, self._container_id, to_native(err).strip()))
            with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as handle:
                handle.write(out)
            return None
        self._mounted()
        return super().fetch_file(in_path, out_path)

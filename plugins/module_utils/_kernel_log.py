# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Xid lines from the kernel log since boot, with or without systemd (private module_utils, not an API).

The NVIDIA driver reports GPU errors as ``NVRM: Xid (PCI:0000:17:00): 79, ...`` kernel messages. Where systemd
runs, the journal has them for the current boot. Without it (containers, Kubernetes pods, hosts with another
init) the kernel's ring buffer is read directly from ``/dev/kmsg``, else through ``dmesg``. The ring buffer
holds what happened since boot unless it wrapped on a very busy host. When nothing can be read, the caller gets
the reason instead of an empty list, so that "no Xid" and "could not look" stay apart.
"""
from __future__ import annotations

import errno
import os

from ansible_collections.gpuhost.provision.plugins.module_utils._common import C_LOCALE as ENV

XID_MARK = "NVRM: Xid"
KMSG = "/dev/kmsg"   # overridable by tests


def _kmsg_lines(path):
    """Every record of the kernel ring buffer, as text (raises OSError when the device cannot be read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    lines = []
    try:
        while True:
            try:
                record = os.read(fd, 8192)
            except BlockingIOError:
                break                       # read everything there is
            except OSError as exc:
                if exc.errno == errno.EPIPE:
                    continue                # the record was overwritten while reading: take the next one
                raise
            if not record:
                break
            text = record.decode("utf-8", "replace")
            # "<prio>,<seq>,<usec>,<flags>[,...];<message>\n[ KEY=value continuation lines]"
            head, _sep, rest = text.partition(";")
            lines.append(rest.split("\n", 1)[0] if _sep else head.rstrip("\n"))
    finally:
        os.close(fd)
    return lines


def _why(tool, rc, err):
    line = (err.strip().splitlines() or ["exit status %d" % rc])[-1].strip()
    return line if line.startswith(tool) else "%s: %s" % (tool, line)


def read_xid(module, systemd_running, kmsg=None):
    """{"source": journal|kmsg|dmesg|None, "lines": [...], "error": None or why nothing could be read}."""
    tried = []
    journalctl = module.get_bin_path("journalctl") if systemd_running else None
    if journalctl:
        rc, out, err = module.run_command([journalctl, "--dmesg", "--boot", "--output=cat", "--no-pager",
                                           "--grep", XID_MARK], environ_update=ENV)
        if rc in (0, 1):    # 1: nothing matched
            return {"source": "journal", "lines": [line for line in out.splitlines() if XID_MARK in line], "error": None}
        tried.append(_why("journalctl", rc, err))
    try:
        lines = _kmsg_lines(kmsg or KMSG)
        return {"source": "kmsg", "lines": [line for line in lines if XID_MARK in line], "error": None}
    except OSError as exc:
        tried.append("%s: %s" % (kmsg or KMSG, exc.strerror or exc))
    dmesg = module.get_bin_path("dmesg")
    if dmesg:
        rc, out, err = module.run_command([dmesg], environ_update=ENV)
        if rc == 0:
            return {"source": "dmesg", "lines": [line for line in out.splitlines() if XID_MARK in line], "error": None}
        tried.append(_why("dmesg", rc, err))
    else:
        tried.append("dmesg: not installed")
    return {"source": None, "lines": [], "error": "kernel log not readable (%s)" % "; ".join(tried)}

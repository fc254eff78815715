# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers that read, without changing anything, the state a role decides on (not a public API).

A role that reads files, users and units in one module call, then skips every task whose target is already in
the wanted state, costs one module execution on a converged host instead of one per task (docs/performance.md).
"""
from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat

SHADOW_FILE = "/etc/shadow"   # overridable by tests


def file_state(path):
    """What ``path`` is, without following a final symlink: exists, type, sha1 (regular files), mode, owner,
    group, link target. Unreadable files are reported with ``sha1`` null and ``error``."""
    state = {"path": path, "exists": False, "type": None, "sha1": None, "mode": None, "owner": None,
             "group": None, "link_target": None}
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return state
    except OSError as exc:
        state["error"] = exc.strerror
        return state
    state["exists"] = True
    state["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
    state["owner"] = _name(pwd.getpwuid, st.st_uid)
    state["group"] = _name(grp.getgrgid, st.st_gid)
    if stat.S_ISLNK(st.st_mode):
        state["type"] = "link"
        state["link_target"] = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        state["type"] = "directory"
    elif stat.S_ISREG(st.st_mode):
        state["type"] = "file"
        try:
            digest = hashlib.sha1()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(65536), b""):
                    digest.update(block)
            state["sha1"] = digest.hexdigest()
        except OSError as exc:
            state["error"] = exc.strerror
    else:
        state["type"] = "other"
    return state


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def user_state(name):
    """The passwd entry of ``name`` and whether its password is locked (shadow field starting with ``!``, which
    is what ``usermod -L`` and Ansible's ``password_lock`` produce). ``locked`` is null when the shadow file
    cannot be read."""
    state = {"name": name, "exists": False, "uid": None, "gid": None, "comment": None, "home": None,
             "shell": None, "locked": None}
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return state
    state.update(exists=True, uid=entry.pw_uid, gid=entry.pw_gid, comment=entry.pw_gecos, home=entry.pw_dir,
                 shell=entry.pw_shell)
    try:
        with open(SHADOW_FILE, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if fields[0] == name and len(fields) > 1:
                    state["locked"] = fields[1].startswith("!")
                    break
    except OSError:
        pass
    return state


def file_current(state, sha1, mode="0644", owner="root", group="root"):
    """Whether ``state`` (file_state's answer) is a regular file with checksum ``sha1`` and the given mode and
    owner (None: any): what a template or copy task would leave unchanged."""
    state = state or {}
    return (state.get("type") == "file" and bool(sha1) and state.get("sha1") == sha1 and state.get("mode") == mode
            and owner in (None, state.get("owner")) and group in (None, state.get("group")))

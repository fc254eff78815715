# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers for systemd unit files (not a public API).

Everything here works on a filesystem tree (``root``), so that the same code serves a running host
(``root='/'``) and an offline image tree. Helpers raise :class:`SystemdError` subclasses; only modules turn
them into ``fail_json``.
"""
from __future__ import annotations

import errno
import os
import re
import stat

# Where masks live: `systemctl mask` writes /etc, `systemctl mask --runtime` writes /run.
MASK_DIRS = ("etc/systemd/system", "run/systemd/system")

UNIT_SUFFIXES = (
    "service", "socket", "device", "mount", "automount", "swap",
    "target", "path", "timer", "slice", "scope",
)
UNIT_NAME_MAX = 255
# systemd's unit name alphabet (src/basic/unit-name.c VALID_CHARS) plus '@' for templates/instances.
_VALID_NAME = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")

# What a path in a mask directory is.
KIND_ABSENT = "absent"
KIND_MASK_SYMLINK = "mask_symlink"      # symlink to /dev/null
KIND_MASK_EMPTY = "mask_empty"          # empty regular file
KIND_UNIT_FILE = "unit_file"            # non-empty regular file: a real unit, never touched
KIND_SYMLINK = "symlink"                # symlink to something other than /dev/null
KIND_OTHER = "other"                    # directory, device, fifo, ...

MASK_KINDS = (KIND_MASK_SYMLINK, KIND_MASK_EMPTY)


class SystemdError(Exception):
    """Base class for errors raised by this module_util."""


class InvalidUnitName(SystemdError):
    """A unit name that systemd would refuse, or that could escape the unit directory."""


class RootNotDirectory(SystemdError):
    """The ``root`` tree does not exist or is not a directory."""


class UnitPathOutsideRoot(SystemdError):
    """A unit directory inside ``root`` resolves to a place outside it (symlinked /etc in an image tree)."""


class UnmaskPermissionError(SystemdError):
    """A mask cannot be removed for lack of permission (or a read-only filesystem)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class UnmaskRemoveError(SystemdError):
    """Removing a mask failed for another reason."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def normalize_unit_name(name: object) -> str:
    """Validate one unit name and add ``.service`` when it has no unit suffix (as systemctl does).

    Raises :class:`InvalidUnitName` for empty names, path separators, characters systemd does not allow,
    names starting with ``.`` and names that are too long.
    """
    if not isinstance(name, str):
        raise InvalidUnitName("unit name %r is not a string" % (name,))
    shown = repr(name)
    if name == "" or name.strip() == "":
        raise InvalidUnitName("unit name is empty; give a name such as nvidia-persistenced.service")
    if "/" in name or "\x00" in name:
        raise InvalidUnitName(
            "unit name %s contains a path separator; give the unit name only, "
            "and use root for an offline tree" % shown
        )
    if not _VALID_NAME.match(name):
        raise InvalidUnitName(
            "unit name %s contains characters systemd does not allow; "
            "use only letters, digits and ':-_.\\@'" % shown
        )
    if name.startswith(".") or name.startswith("-"):
        raise InvalidUnitName("unit name %s must not start with '.' or '-'" % shown)
    suffix = name.rsplit(".", 1)[1] if "." in name else ""
    if suffix not in UNIT_SUFFIXES:
        name = name + ".service"
    prefix = name.rsplit(".", 1)[0]
    if prefix == "" or prefix.endswith("."):
        raise InvalidUnitName("unit name %s has an empty name before its suffix" % shown)
    if len(name) > UNIT_NAME_MAX:
        raise InvalidUnitName(
            "unit name %s is longer than %d characters" % (shown[:40] + "...", UNIT_NAME_MAX)
        )
    return name


def normalize_unit_names(names: list) -> list:
    """Normalise a list of names, dropping duplicates while keeping the order."""
    if not names:
        raise InvalidUnitName("name is empty; give one unit name or a list of unit names")
    result = []
    for name in names:
        unit = normalize_unit_name(name)
        if unit not in result:
            result.append(unit)
    return result


def classify_path(path: str) -> str:
    """Say what ``path`` is, without following a final symlink."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return KIND_ABSENT
    except NotADirectoryError:
        return KIND_ABSENT
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        if os.path.normpath(target) == "/dev/null":
            return KIND_MASK_SYMLINK
        return KIND_SYMLINK
    if stat.S_ISREG(st.st_mode):
        return KIND_MASK_EMPTY if st.st_size == 0 else KIND_UNIT_FILE
    return KIND_OTHER


def check_root(root: str) -> str:
    """Return ``root`` made absolute; raise :class:`RootNotDirectory` when it is not a directory."""
    if not os.path.isdir(root):
        raise RootNotDirectory(
            "root %s is not a directory; give / or the path of an offline root tree" % root
        )
    return os.path.abspath(root)


def unit_dirs(root: str) -> list:
    """The mask directories under ``root``, refusing ones that resolve outside it."""
    real_root = os.path.realpath(root)
    dirs = []
    for rel in MASK_DIRS:
        path = os.path.join(root, rel)
        real = os.path.realpath(path)
        if real_root != "/" and real != real_root and not real.startswith(real_root + os.sep):
            raise UnitPathOutsideRoot(
                "%s resolves to %s, outside root %s; fix the tree's symlinks first" % (path, real, root)
            )
        dirs.append(path)
    return dirs


def find_unit_paths(root: str, unit: str) -> list:
    """Return ``[(path, kind), ...]`` for ``unit`` in each mask directory where something exists."""
    found = []
    for directory in unit_dirs(root):
        path = os.path.join(directory, unit)
        kind = classify_path(path)
        if kind != KIND_ABSENT:
            found.append((path, kind))
    return found


def describe_kind(kind: str) -> str:
    return {
        KIND_MASK_SYMLINK: "mask (symlink to /dev/null)",
        KIND_MASK_EMPTY: "mask (empty file)",
        KIND_UNIT_FILE: "real unit file, not a mask: left alone",
        KIND_SYMLINK: "symlink that does not point to /dev/null: not a mask, left alone",
        KIND_OTHER: "neither a file nor a symlink: not a mask, left alone",
    }.get(kind, kind)


def can_remove(path: str) -> bool:
    """Whether the current user may unlink ``path`` (write and search permission on its directory)."""
    return os.access(os.path.dirname(path), os.W_OK | os.X_OK)


def remove_mask(path: str) -> None:
    """Remove one mask, re-checking that it still is one. Never removes a real unit file."""
    kind = classify_path(path)
    if kind == KIND_ABSENT:
        return
    if kind not in MASK_KINDS:
        raise UnmaskRemoveError("%s changed while unmasking and is no longer a mask; left alone" % path, path)
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise UnmaskPermissionError(
                "cannot remove mask %s: %s; run with become: true (root is needed)" % (path, exc.strerror),
                path,
            ) from exc
        raise UnmaskRemoveError("cannot remove mask %s: %s" % (path, exc.strerror), path) from exc


def systemd_running(root: str, run_dir: str = "/run/systemd/system") -> bool:
    """systemd manages the host (sd_booted) and ``root`` is that host's tree."""
    return os.path.realpath(root) == "/" and os.path.isdir(run_dir)


# Where packages install units, in systemd's search order (systemd.unit(5), "System Unit Search Path").
VENDOR_DIRS = ("usr/local/lib/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")


def find_vendor_unit(root: str, unit: str):
    """The unit file a package installed for ``unit`` (the first in search order), or None.

    Returns ``{"path", "exec_start", "static"}``: the first ``ExecStart=`` line (stripped) and whether the unit
    has no ``[Install]`` section (a static unit, started by another unit or by udev, never enabled).
    """
    for rel in VENDOR_DIRS:
        path = os.path.join(root, rel, unit)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        exec_start = next((line.strip() for line in text.splitlines() if line.strip().startswith("ExecStart=")), "")
        shown = "/" + os.path.relpath(path, root) if os.path.realpath(root) != "/" else path
        return {"path": shown, "exec_start": exec_start, "static": "[Install]" not in text}
    return None

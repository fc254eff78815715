# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Installed kernels, the one that boots next, and which of them has an nvidia kernel module.

Private module_utils: not an API. Reads files only (no commands), so that tests can point it at fake trees.
A kernel "can boot" when its image is installed: ``/boot/vmlinuz-<release>`` (Debian, Ubuntu, EL) or
``/lib/modules/<release>/vmlinuz`` (EL 9 and later keep a copy there); a leftover ``/lib/modules`` directory
without an image does not count.
"""
from __future__ import annotations

import os
import re

# Overridable by tests (module-internal).
MODULES_ROOT = "/lib/modules"
BOOT_DIR = "/boot"
# The symlinks Debian's linux-base (and Ubuntu) keep pointing at the newest installed kernel image.
DEFAULT_LINKS = ("/vmlinuz", "/boot/vmlinuz")

# File names of the nvidia kernel module: DKMS installs it under updates/dkms/, EL's kmod packages under
# extra/, Ubuntu's precompiled linux-modules-nvidia packages under kernel/nvidia-<branch>*/. Debian renames
# the module to nvidia-current (its modprobe configuration aliases nvidia to it).
MODULE_RE = re.compile(r"^nvidia(-current)?\.ko(\.xz|\.zst|\.gz)?$")


def kernel_sort_key(release):
    """Order kernel releases as versions: '6.1.0-9-amd64' < '6.1.0-10-amd64'."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-+_~]", release)]


def installed_kernels(modules_root=None, boot_dir=None):
    """Releases with a kernel image installed, oldest first."""
    modules_root = modules_root or MODULES_ROOT
    boot_dir = boot_dir or BOOT_DIR
    try:
        entries = os.listdir(modules_root)
    except OSError:
        return []
    found = [release for release in entries
             if os.path.isfile(os.path.join(boot_dir, "vmlinuz-%s" % release))
             or os.path.isfile(os.path.join(modules_root, release, "vmlinuz"))]
    return sorted(found, key=kernel_sort_key)


def module_file(release, modules_root=None):
    """Path of the nvidia kernel module installed for ``release``, or None."""
    top = os.path.join(modules_root or MODULES_ROOT, release)
    for path, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in ("build", "source"))
        for name in sorted(files):
            if MODULE_RE.match(name):
                return os.path.join(path, name)
    return None


def default_kernel(kernels, links=None):
    """The kernel that boots next: where /vmlinuz (or /boot/vmlinuz) points, else the newest installed one.

    GRUB's default on Debian, Ubuntu and EL is the newest kernel unless an operator pinned another entry.
    """
    for link in links if links is not None else DEFAULT_LINKS:
        if os.path.islink(link):
            name = os.path.basename(os.readlink(link))
            release = name[len("vmlinuz-"):] if name.startswith("vmlinuz-") else None
            if release in kernels:
                return release
    return kernels[-1] if kernels else None


def kernel_module_report(running=None, modules_root=None, boot_dir=None, links=None):
    """Every bootable kernel with its module file, the boot kernel and the kernels without a module.

    ``kernels``: [{release, module (path or None), running, boot}]; ``boot_kernel``: release or None;
    ``kernels_without_module``: releases, oldest first.
    """
    kernels = installed_kernels(modules_root, boot_dir)
    boot = default_kernel(kernels, links)
    rows = [{"release": release, "module": module_file(release, modules_root), "running": release == running,
             "boot": release == boot} for release in kernels]
    return {
        "kernels": rows,
        "boot_kernel": boot,
        "kernels_without_module": [row["release"] for row in rows if row["module"] is None],
    }

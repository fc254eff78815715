# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""NVIDIA's CUDA toolkit -> minimum Linux x86_64 driver table, as data, and its resolution.

Private module_utils: not an API. Pure Python, no I/O, so that it is easy to test.

Accepted CUDA version forms (anything else raises ``CudaVersionError``):

* ``12``      major only: the lowest 12.x release in the table (12.0 GA)
* ``12.4``    major.minor: that release's GA entry
* ``12.4.1``  major.minor.update: update 1 of 12.4; if the table lacks that update, the newest known
              entry of 12.4 at or below it is used and a warning says so.

Driver versions have two or three numeric parts (``570.26``, ``570.124.06``) and compare numerically,
part by part (``570.124.06`` > ``570.26``). A package epoch (``1:``) and a package revision (``-0ubuntu1``)
are stripped by ``parse_driver_version``.
"""
from __future__ import annotations

import re

# Source: NVIDIA CUDA Toolkit Release Notes, Table 3 "CUDA Toolkit and Corresponding Driver Versions"
# (Linux x86_64 column), https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html , read 2026-11.
# The GA rows and 13.0 U2 / 13.2 U2 below are the figures of that table as quoted in DESIGN.md.
# Other update rows (e.g. 12.8 U1, 12.4 U1) were NOT verified against the source when this was written,
# so they are left out: an update that is not in the table resolves to the newest known entry of the
# same minor release at or below it, with a warning (see resolve_min_driver).
TABLE_SOURCE = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html"
TABLE_READ = "2026-11"

# (major, minor, update) -> minimum Linux x86_64 driver, newest first.
TOOLKIT_MIN_DRIVER = (
    ((13, 2, 2), "595.71.05"),
    ((13, 2, 0), "595.45.04"),
    ((13, 1, 0), "590.44.01"),
    ((13, 0, 2), "580.95.05"),
    ((13, 0, 0), "580.65.06"),
    ((12, 9, 0), "575.51.03"),
    ((12, 8, 0), "570.26"),
    ((12, 6, 0), "560.28.03"),
    ((12, 5, 0), "555.42.02"),
    ((12, 4, 0), "550.54.14"),
    ((12, 3, 0), "545.23.06"),
    ((12, 2, 0), "535.54.03"),
    ((12, 1, 0), "530.30.02"),
    ((12, 0, 0), "525.60.13"),
    ((11, 8, 0), "520.61.05"),
    ((11, 7, 0), "515.43.04"),
    ((11, 6, 0), "510.39.01"),
    ((11, 5, 0), "495.29.05"),
    ((11, 4, 0), "470.42.01"),
    ((11, 3, 0), "465.19.01"),
    ((11, 2, 0), "460.27.03"),
    ((11, 1, 0), "455.23"),
    ((11, 0, 0), "450.51.06"),
    ((10, 2, 0), "440.33"),
    ((10, 1, 0), "418.39"),
    ((10, 0, 0), "410.48"),
)

# Minor-version compatibility (CUDA 11 and later): an application built with any toolkit of the family
# runs, with a limited feature set, on a driver at or above the family minimum.
# Source: https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html (Table 1,
# read 2026-11: 13.x >= 580, 12.x >= 525, 11.x >= 450 with the footnote that the 11.x family needs
# 450.80.02). No minor-version compatibility before CUDA 11. Branch-only minima ('580') are returned as
# such in required_min_driver and compare as 580.0.0.
MINOR_COMPAT_MIN_DRIVER = {
    13: "580",
    12: "525",
    11: "450.80.02",
}

_CUDA_RE = re.compile(r"^(\d+)(?:\.(\d+)(?:\.(\d+))?)?$")
_DRIVER_RE = re.compile(r"^(?:\d+:)?(\d+)\.(\d+)(?:\.(\d+))?(?:[-~+][0-9A-Za-z.~+-]*)?$")


class CudaCompatError(Exception):
    """Base class: ``str(exc)`` is a one-line message that says what to do."""


class CudaVersionError(CudaCompatError):
    pass


class DriverVersionError(CudaCompatError):
    pass


def parse_cuda_version(value):
    """``'12'`` -> (12, None, None); ``'12.4'`` -> (12, 4, None); ``'12.4.1'`` -> (12, 4, 1)."""
    text = "" if value is None else str(value).strip()
    match = _CUDA_RE.match(text)
    if not match:
        raise CudaVersionError(
            "cuda_version %r is not a CUDA version: use major[.minor[.update]] digits only, "
            "e.g. '12', '12.4' or '12.4.1' (quote it in YAML)" % (text,)
        )
    major, minor, update = match.groups()
    return (int(major), None if minor is None else int(minor), None if update is None else int(update))


def format_cuda_version(parts):
    """(12, 4, 0) -> '12.4'; (12, 4, 1) -> '12.4.1'; (12, None, None) -> '12'."""
    major, minor, update = (tuple(parts) + (None, None))[:3]
    if minor is None:
        return "%d" % major
    if not update:
        return "%d.%d" % (major, minor)
    return "%d.%d.%d" % (major, minor, update)


def parse_driver_version(value):
    """'570.124.06' -> (570, 124, 6); '570.26' -> (570, 26); '1:535.216.01-1' -> (535, 216, 1)."""
    text = "" if value is None else str(value).strip()
    match = _DRIVER_RE.match(text)
    if not match:
        raise DriverVersionError(
            "driver version %r is not an NVIDIA driver version: use two or three numeric parts, "
            "e.g. '570.26' or '570.124.06'" % (text,)
        )
    return tuple(int(p) for p in match.groups() if p is not None)


def normalize_driver_version(value):
    """Strip epoch and package revision: '1:535.216.01-1' -> '535.216.01' (leading zeros kept)."""
    text = str(value).strip()
    parse_driver_version(text)
    text = text.split(":", 1)[1] if ":" in text.split(".", 1)[0] else text
    return re.split(r"[-~+]", text, maxsplit=1)[0]


def _key(version):
    if isinstance(version, tuple):
        parts = version
    elif re.match(r"^\d+$", str(version)):
        parts = (int(version),)     # a branch minimum of the minor-compatibility table, e.g. '580'
    else:
        parts = parse_driver_version(version)
    return tuple(parts) + (0,) * (3 - len(parts))


def compare_driver_versions(a, b):
    """-1, 0 or 1, comparing numerically part by part (missing parts count as 0)."""
    ka, kb = _key(a), _key(b)
    return (ka > kb) - (ka < kb)


def driver_at_least(driver, minimum):
    return compare_driver_versions(driver, minimum) >= 0


def _known_releases():
    return sorted({entry[0][:2] for entry in TOOLKIT_MIN_DRIVER})


class Resolution(object):
    """Result of resolving a CUDA version: the table entry used and the minimum driver."""

    def __init__(self, cuda_version, entry, min_driver, compatibility, warnings=None):
        self.cuda_version = cuda_version        # normalised text, as asked ('12', '12.4', '12.4.1')
        self.entry = entry                      # (major, minor, update) of the table row used
        self.min_driver = min_driver            # '550.54.14'
        self.compatibility = compatibility      # 'toolkit' or 'minor'
        self.warnings = list(warnings or [])

    def as_dict(self):
        return {
            "cuda_version": self.cuda_version,
            "table_entry": format_cuda_version(self.entry),
            "required_min_driver": self.min_driver,
            "compatibility": self.compatibility,
        }


def _toolkit_entry(parts):
    major, minor, update = parts
    rows = [row for row in TOOLKIT_MIN_DRIVER if row[0][0] == major]
    if not rows:
        newest = TOOLKIT_MIN_DRIVER[0][0][0]
        oldest = TOOLKIT_MIN_DRIVER[-1][0][0]
        if major > newest:
            raise CudaVersionError(
                "CUDA %d is newer than the compatibility table (read %s, newest CUDA %d): "
                "update plugins/module_utils/_cuda_compat.py from %s" % (major, TABLE_READ, newest, TABLE_SOURCE)
            )
        raise CudaVersionError(
            "CUDA %d is older than the compatibility table (oldest CUDA %d): use driver_version "
            "to check a driver directly" % (major, oldest)
        )
    warnings = []
    if minor is None:
        row = min(rows, key=lambda r: r[0])
        return row, warnings
    rows = [row for row in rows if row[0][1] == minor]
    if not rows:
        known = ", ".join("%d.%d" % r for r in _known_releases() if r[0] == major)
        raise CudaVersionError(
            "CUDA %d.%d is not a CUDA release in the table (read %s); known %d.x releases: %s"
            % (major, minor, TABLE_READ, major, known)
        )
    wanted = 0 if update is None else update
    below = [row for row in rows if row[0][2] <= wanted]
    row = max(below, key=lambda r: r[0])
    if row[0][2] != wanted:
        warnings.append(
            "CUDA %d.%d update %d is not in the table (read %s); using the newest known entry at or "
            "below it, %s (driver >= %s): check %s"
            % (major, minor, wanted, TABLE_READ, _entry_name(row[0]), row[1], TABLE_SOURCE)
        )
    return row, warnings


def _entry_name(parts):
    major, minor, update = parts
    return "%d.%d %s" % (major, minor, "GA" if not update else "Update %d" % update)


def resolve_min_driver(cuda_version, compatibility="toolkit"):
    """The minimum Linux x86_64 driver for a CUDA version, as a ``Resolution``."""
    if compatibility not in ("toolkit", "minor"):
        raise CudaCompatError("compatibility must be 'toolkit' or 'minor', not %r" % (compatibility,))
    parts = parse_cuda_version(cuda_version)
    text = ".".join("%d" % p for p in parts if p is not None)
    row, warnings = _toolkit_entry(parts)
    min_driver = row[1]
    if compatibility == "minor":
        family = MINOR_COMPAT_MIN_DRIVER.get(parts[0])
        if family is None:
            warnings.append(
                "CUDA %d has no minor-version compatibility (it starts with CUDA 11): "
                "using the toolkit minimum driver %s" % (parts[0], min_driver)
            )
        elif compare_driver_versions(family, min_driver) < 0:
            min_driver = family
    return Resolution(text, row[0], min_driver, compatibility, warnings)


def max_cuda_version(driver_version, compatibility="toolkit"):
    """Highest CUDA release a driver runs, as text ('13.0', '12.8', '13.0.2'), or None.

    toolkit: the highest table entry whose minimum driver is at or below the driver.
    minor: additionally every release of a family whose minor-compatibility minimum the driver meets.
    """
    best = None
    for parts, minimum in TOOLKIT_MIN_DRIVER:
        ok = driver_at_least(driver_version, minimum)
        if not ok and compatibility == "minor":
            family = MINOR_COMPAT_MIN_DRIVER.get(parts[0])
            ok = family is not None and driver_at_least(driver_version, family)
        if ok and (best is None or parts > best):
            best = parts
    return None if best is None else format_cuda_version(best)


def is_compatible(driver_version, cuda_version, compatibility="toolkit"):
    resolution = resolve_min_driver(cuda_version, compatibility)
    return driver_at_least(driver_version, resolution.min_driver), resolution

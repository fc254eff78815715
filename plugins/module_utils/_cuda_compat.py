# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""NVIDIA's CUDA toolkit -> minimum Linux x86_64 driver table, as data, and its resolution.

Private module_utils: not an API. Pure Python, no I/O, so that it is easy to test.

A CUDA version is ``major``, ``major.minor`` or ``major.minor.third``. What the third number means
depends on the series, and each series is parsed by its own rule (``release_label``):

* up to 13.3 it is the update number: 12.4.0 is 12.4 GA, 12.4.1 is 12.4 Update 1; 11.0 is the exception
  NVIDIA made, 11.0.2 was its GA and 11.0.3 its Update 1 (11.0.1 was the release candidate);
* from 13.4 it is a build number: 13.4.0 developer preview, 13.4.1 GA, 13.4.2 Update 1;
* the 10.x toolkits carry a build number (10.2.89) and one minimum covers every build of a minor.

``major.minor`` means that minor's GA; ``major`` the first release of that major in the table. A release
without a row of its own (NVIDIA published 12.8.2 but no row for it) uses the newest row of the same minor
at or below it, with a warning. From 13.4 NVIDIA publishes a driver *branch* per minor instead of an exact
minimum; a branch minimum ('615') is met by every driver of that branch or a newer one.

Driver versions have two or three numeric parts (``570.26``, ``570.124.06``) and compare numerically,
part by part (``570.124.06`` > ``570.26``). A package epoch (``1:``) and a package revision (``-0ubuntu1``)
are stripped by ``parse_driver_version``.

The built-in table can be extended or corrected without a release of the collection: ``CudaTable.extend``
takes ``{"13.6": "630.10.01"}`` or ``{"13.6": "630"}`` (the ``cuda_table`` option of the modules).
"""
from __future__ import annotations

import re

# Sources, all "CUDA Toolkit and Corresponding Driver Versions" (exact minima, up to 13.3) or "CUDA Toolkit
# and Corresponding Driver Branch" (13.0 and later), Linux x86_64 column, read 2026-12:
#   https://docs.nvidia.com/cuda/archive/13.1.0/cuda-toolkit-release-notes/index.html  (13.1 GA)
#   https://docs.nvidia.com/cuda/archive/13.2.0/cuda-toolkit-release-notes/index.html  (13.2 GA)
#   https://docs.nvidia.com/cuda/archive/13.2.2/cuda-toolkit-release-notes/index.html  (13.2 Update 2)
#   https://docs.nvidia.com/cuda/archive/13.4.1/cuda-toolkit-release-notes/index.html  (13.4 GA, branch table,
#       "versioned 13.4.1 ... the third digit is a build number")
#   https://docs.nvidia.com/cuda/archive/13.4.2/cuda-toolkit-release-notes/index.html  (13.4 Update 1)
# How the table is kept and extended: docs/cuda-table.md.
TABLE_SOURCE = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html"
TABLE_READ = "2026-12"

# (major, minor, third) -> minimum Linux x86_64 driver, newest first. third is the number of the release
# as NVIDIA versions it (see release_label); None means every release of that minor (branch table, 10.x).
TOOLKIT_MIN_DRIVER = (
    ((13, 4, None), "615"),
    ((13, 3, 1), "610.43.02"), ((13, 3, 0), "610.43.02"),
    ((13, 2, 2), "595.71.05"), ((13, 2, 1), "595.58.03"), ((13, 2, 0), "595.45.04"),
    ((13, 1, 1), "590.48.01"), ((13, 1, 0), "590.44.01"),
    ((13, 0, 2), "580.95.05"), ((13, 0, 1), "580.82.07"), ((13, 0, 0), "580.65.06"),
    ((12, 9, 1), "575.57.08"), ((12, 9, 0), "575.51.03"),
    ((12, 8, 1), "570.124.06"), ((12, 8, 0), "570.26"),
    ((12, 6, 3), "560.35.05"), ((12, 6, 2), "560.35.03"), ((12, 6, 1), "560.35.03"), ((12, 6, 0), "560.28.03"),
    ((12, 5, 1), "555.42.06"), ((12, 5, 0), "555.42.02"),
    ((12, 4, 1), "550.54.15"), ((12, 4, 0), "550.54.14"),
    ((12, 3, 1), "545.23.08"), ((12, 3, 0), "545.23.06"),
    ((12, 2, 2), "535.104.05"), ((12, 2, 1), "535.86.09"), ((12, 2, 0), "535.54.03"),
    ((12, 1, 1), "530.30.02"), ((12, 1, 0), "530.30.02"),
    ((12, 0, 1), "525.85.12"), ((12, 0, 0), "525.60.13"),
    ((11, 8, 0), "520.61.05"),
    ((11, 7, 1), "515.48.07"), ((11, 7, 0), "515.43.04"),
    ((11, 6, 2), "510.47.03"), ((11, 6, 1), "510.47.03"), ((11, 6, 0), "510.39.01"),
    ((11, 5, 2), "495.29.05"), ((11, 5, 1), "495.29.05"), ((11, 5, 0), "495.29.05"),
    ((11, 4, 4), "470.82.01"), ((11, 4, 3), "470.82.01"), ((11, 4, 2), "470.57.02"), ((11, 4, 1), "470.57.02"),
    ((11, 4, 0), "470.42.01"),
    ((11, 3, 1), "465.19.01"), ((11, 3, 0), "465.19.01"),
    ((11, 2, 2), "460.32.03"), ((11, 2, 1), "460.32.03"), ((11, 2, 0), "460.27.03"),
    ((11, 1, 1), "455.32"), ((11, 1, 0), "455.23"),
    ((11, 0, 3), "450.51.06"), ((11, 0, 2), "450.51.05"),
    ((10, 2, None), "440.33"), ((10, 1, None), "418.39"), ((10, 0, None), "410.48"),
)

# "CUDA Toolkit and Corresponding Driver Branch" as published with 13.4. Only 13.4 needs it as a row (its
# exact minima are not published); for 13.0-13.3 the exact rows above are stricter and win. A unit test
# checks that every exact row of those minors lies on the branch named here.
DRIVER_BRANCH = {(13, 4): 615, (13, 3): 610, (13, 2): 595, (13, 1): 590, (13, 0): 580}

# First minor whose third number is a build number (13.4.1 = GA); the ones before count updates.
BUILD_NUMBERED_FROM = (13, 4)

# Minor-version compatibility (CUDA 11 and later): an application built with any toolkit of the family
# runs, with a limited feature set, on a driver at or above the family minimum.
# Source: https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html, Table 1,
# read 2026-12: 13.x >= 580 (no upper range); 12.x >= 525 with "upper range < 580 (newer drivers still
# supported through backward compatibility)"; 11.x >= 450 and < 525 likewise, with the note that the 11.x
# family needs 450.80.02. The upper ranges only say which rule applies above them (backward compatibility,
# which every newer driver meets), so they do not change a minimum or the newest runnable release.
# No minor-version compatibility before CUDA 11.
MINOR_COMPAT_MIN_DRIVER = {
    13: "580",
    12: "525",
    11: "450.80.02",
}

_CUDA_RE = re.compile(r"^(\d+)(?:\.(\d+)(?:\.(\d+))?)?$")
_DRIVER_RE = re.compile(r"^(?:\d+:)?(\d+)\.(\d+)(?:\.(\d+))?(?:[-~+][0-9A-Za-z.~+-]*)?$")
_PLAIN_DRIVER_RE = re.compile(r"^\d+\.\d+(?:\.\d+)?$")
_BRANCH_RE = re.compile(r"^[Rr]?(\d{3,4})$")


class CudaCompatError(Exception):
    """Base class: ``str(exc)`` is a one-line message that says what to do."""


class CudaVersionError(CudaCompatError):
    pass


class DriverVersionError(CudaCompatError):
    pass


class CudaTableError(CudaCompatError):
    """A bad entry in a user's extension of the table."""


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


def build_numbered(major, minor):
    return (major, minor) >= BUILD_NUMBERED_FROM


def ga_third(major, minor):
    """The third number of a minor's GA release: 0 (12.4.0), 2 (11.0.2), 1 (13.4.1); None for 10.x."""
    if major <= 10:
        return None
    if build_numbered(major, minor):
        return 1
    return 2 if (major, minor) == (11, 0) else 0


def release_label(major, minor, third):
    """'12.4 Update 1' for (12, 4, 1), '13.4 Update 1' for (13, 4, 2), '13.4 developer preview' for (13, 4, 0)."""
    base = "%d.%d" % (major, minor)
    if third is None:
        return "%s (every release)" % base
    ga = ga_third(major, minor)
    if ga is None:
        return "%s.%d" % (base, third)
    if third == ga:
        return base + " GA"
    if third < ga:
        return base + (" developer preview" if build_numbered(major, minor) else " release candidate")
    return "%s Update %d" % (base, third - ga)


def format_cuda_version(parts):
    """(12, 4, 0) -> '12.4'; (12, 4, 1) -> '12.4.1'; (13, 4, None) -> '13.4'; (12, None, None) -> '12'."""
    major, minor, third = (tuple(parts) + (None, None))[:3]
    if minor is None:
        return "%d" % major
    if third is None or (third == 0 and not build_numbered(major, minor)):
        return "%d.%d" % (major, minor)
    return "%d.%d.%d" % (major, minor, third)


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
        parts = (int(version),)     # a branch minimum, e.g. '580': every 580.x driver meets it
    else:
        parts = parse_driver_version(version)
    return tuple(parts) + (0,) * (3 - len(parts))


def compare_driver_versions(a, b):
    """-1, 0 or 1, comparing numerically part by part (missing parts count as 0)."""
    ka, kb = _key(a), _key(b)
    return (ka > kb) - (ka < kb)


def driver_at_least(driver, minimum):
    return compare_driver_versions(driver, minimum) >= 0


def _minimum_text(key, value):
    """A table value as text: '630.10.01' or a branch '630' ('R630' and 630 accepted); raises CudaTableError."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CudaTableError(
            "cuda_table entry %r: %r is not a driver version or branch: quote it, e.g. '630.10.01' or '630'"
            % (key, value))
    text = str(value).strip()
    branch = _BRANCH_RE.match(text)
    if branch:
        return str(int(branch.group(1)))
    if _PLAIN_DRIVER_RE.match(text):
        return text
    raise CudaTableError(
        "cuda_table entry %r: %r is not a driver version or branch: use e.g. '630.10.01' or '630'" % (key, value))


class CudaTable(object):
    """The table rows, built in or extended: ``{(major, minor, third): minimum}``."""

    def __init__(self, rows=None, extended=False):
        self.rows = dict(TOOLKIT_MIN_DRIVER if rows is None else rows)
        self.extended = extended

    def extend(self, entries):
        """A new table with ``{"13.6": "630", "13.5.1": "620.10.01"}`` merged over this one.

        ``"X.Y"`` replaces or adds that minor's GA row (from 13.4 on, and for 10.x, the row for every
        release of the minor); ``"X.Y.Z"`` one release. Raises CudaTableError naming the first bad entry.
        """
        if not entries:
            return self
        if not isinstance(entries, dict):
            raise CudaTableError("cuda_table must be a mapping of CUDA version to minimum driver or branch, "
                                 "e.g. {'13.6': '630'}, not %r" % (entries,))
        rows = dict(self.rows)
        for key, value in sorted(entries.items(), key=lambda item: str(item[0])):
            if not isinstance(key, str):
                raise CudaTableError("cuda_table entry %r: quote the CUDA version (YAML reads 13.10 as 13.1)" % (key,))
            match = _CUDA_RE.match(key.strip())
            if not match or match.group(2) is None:
                raise CudaTableError("cuda_table entry %r: the key must be a CUDA release major.minor[.third], "
                                     "e.g. '13.6' or '13.6.1'" % (key,))
            major, minor = int(match.group(1)), int(match.group(2))
            third = int(match.group(3)) if match.group(3) is not None else None
            if third is None:
                third = None if build_numbered(major, minor) else ga_third(major, minor)
            rows[(major, minor, third)] = _minimum_text(key, value)
        return CudaTable(rows, extended=True)

    def minor_rows(self, major, minor):
        return {k: v for k, v in self.rows.items() if k[:2] == (major, minor)}

    def majors(self):
        return sorted({k[0] for k in self.rows})

    def known_releases(self, major):
        return sorted({k[:2] for k in self.rows if k[0] == major})

    def sorted_rows(self):
        """Rows oldest first; a row for every release of a minor sorts after that minor's exact rows."""
        return sorted(self.rows.items(), key=lambda kv: (kv[0][0], kv[0][1], float("inf") if kv[0][2] is None else kv[0][2]))


BUILTIN = CudaTable()


def table_from(entries):
    """The built-in table extended by a user's ``cuda_table`` option (None or {} -> the built-in one)."""
    return BUILTIN.extend(entries)


class Resolution(object):
    """Result of resolving a CUDA version: the table entry used and the minimum driver."""

    def __init__(self, cuda_version, entry, min_driver, compatibility, warnings=None):
        self.cuda_version = cuda_version        # normalised text, as asked ('12', '12.4', '12.4.1')
        self.entry = entry                      # (major, minor, third) of the table row used
        self.min_driver = min_driver            # '550.54.14', or a branch '615'
        self.compatibility = compatibility      # 'toolkit' or 'minor'
        self.warnings = list(warnings or [])

    def as_dict(self):
        return {
            "cuda_version": self.cuda_version,
            "table_entry": format_cuda_version(self.entry),
            "required_min_driver": self.min_driver,
            "compatibility": self.compatibility,
        }

    def as_request(self, asked):
        """The resolution as data a later step takes instead of resolving ``asked`` again (``from_request``)."""
        return dict(self.as_dict(), asked=asked, entry=list(self.entry), warnings=list(self.warnings))

    @classmethod
    def from_request(cls, request, asked, compatibility):
        """The ``Resolution`` an earlier step made of ``asked`` (``as_request``), or None where it answered another
        question (another CUDA version or compatibility) or is not such an answer."""
        try:
            if request.get("asked") != asked or request.get("compatibility") != compatibility:
                return None
            entry = tuple(None if part is None else int(part) for part in request["entry"])
            return cls(str(request["cuda_version"]), entry, str(request["required_min_driver"]), compatibility,
                       request.get("warnings") or [])
        except (AttributeError, KeyError, TypeError, ValueError):
            return None


def _extend_hint(text):
    return ("add its minimum driver or branch from NVIDIA's release notes (%s) to the cuda_table option "
            "(role variable nvidia_driver_cuda_table, validate.yml validate_cuda_table), e.g. {'%s': '<branch>'}"
            % (TABLE_SOURCE, text))


def _unknown(table, major, minor):
    majors = table.majors()
    text = "%d" % major if minor is None else "%d.%d" % (major, minor)
    if major < majors[0]:
        raise CudaVersionError("CUDA %s is older than the compatibility table (oldest CUDA %d): use driver_version "
                               "to check a driver directly" % (text, majors[0]))
    if major > majors[-1]:
        raise CudaVersionError("CUDA %s is newer than the compatibility table (read %s, newest CUDA %d): %s"
                               % (text, TABLE_READ, majors[-1], _extend_hint(text if minor is not None else "%d.0" % major)))
    known = ", ".join("%d.%d" % r for r in table.known_releases(major))
    raise CudaVersionError("CUDA %s is not a CUDA release in the table (read %s; known %d.x releases: %s): %s"
                           % (text, TABLE_READ, major, known, _extend_hint(text)))


def _toolkit_entry(table, parts):
    major, minor, third = parts
    if minor is None:
        releases = table.known_releases(major)
        if not releases:
            _unknown(table, major, None)
        minor = releases[0][1]
        third = None
    rows = table.minor_rows(major, minor)
    if not rows:
        _unknown(table, major, minor)
    asked = third
    wanted = ga_third(major, minor) if third is None else third
    exact = sorted((k, v) for k, v in rows.items() if k[2] is not None)
    whole_minor = [(k, v) for k, v in rows.items() if k[2] is None]
    warnings = []
    below = [row for row in exact if wanted is not None and row[0][2] <= wanted]
    if below:
        row = below[-1]
        if row[0][2] != wanted:
            warnings.append(
                "CUDA %s is not in the table (read %s); using the newest row of %d.%d at or below it, %s "
                "(driver >= %s): check %s" % (format_cuda_version((major, minor, wanted)), TABLE_READ, major, minor,
                                              release_label(*row[0]), row[1], TABLE_SOURCE))
        return row, warnings
    if whole_minor:
        return whole_minor[0], warnings
    row = exact[0]
    warnings.append("CUDA %s (%s) predates the first row of %d.%d in the table; using %s (driver >= %s)"
                    % (format_cuda_version((major, minor, asked)), release_label(major, minor, asked), major, minor,
                       release_label(*row[0]), row[1]))
    return row, warnings


def resolve_min_driver(cuda_version, compatibility="toolkit", table=None):
    """The minimum Linux x86_64 driver for a CUDA version, as a ``Resolution``."""
    if compatibility not in ("toolkit", "minor"):
        raise CudaCompatError("compatibility must be 'toolkit' or 'minor', not %r" % (compatibility,))
    table = BUILTIN if table is None else table
    parts = parse_cuda_version(cuda_version)
    text = ".".join("%d" % p for p in parts if p is not None)
    row, warnings = _toolkit_entry(table, parts)
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


def max_cuda_version(driver_version, compatibility="toolkit", table=None):
    """Highest CUDA release a driver runs, as text ('13.0', '12.8', '13.0.2', '13.4'), or None.

    toolkit: the highest table row whose minimum driver is at or below the driver ('13.4' for a row that
    covers every release of the minor: a 615 driver runs 13.4.x).
    minor: additionally every release of a family whose minor-compatibility minimum the driver meets.
    """
    table = BUILTIN if table is None else table
    best = None
    for parts, minimum in table.sorted_rows():
        ok = driver_at_least(driver_version, minimum)
        if not ok and compatibility == "minor":
            family = MINOR_COMPAT_MIN_DRIVER.get(parts[0])
            ok = family is not None and driver_at_least(driver_version, family)
        if ok:
            best = parts
    return None if best is None else format_cuda_version(best)


def is_compatible(driver_version, cuda_version, compatibility="toolkit", table=None):
    resolution = resolve_min_driver(cuda_version, compatibility, table)
    return driver_at_least(driver_version, resolution.min_driver), resolution

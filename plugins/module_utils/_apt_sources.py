# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's APT sources, read only: one-line (``sources.list``) and deb822 (``*.sources``) entries, and the stanzas
of a sources file that adds the components the NVIDIA driver needs (Debian contrib/non-free/non-free-firmware, Ubuntu
restricted/universe) for the same mirrors and suites.

Private module_utils: not an API. Used by ``nvidia_driver_plan`` through ``_driver_plan``.
"""
from __future__ import annotations

import glob
import os
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._package_parsers import deb822_paragraphs

# Overridable by tests (module-internal).
APT_SOURCES_LIST = "/etc/apt/sources.list"
APT_SOURCES_DIR = "/etc/apt/sources.list.d"
WANTED_COMPONENTS = {
    "debian": ("contrib", "non-free", "non-free-firmware"),
    "ubuntu": ("restricted", "universe"),
}


def parse_one_line_sources(text):
    """'deb [signed-by=/k] http://m/debian bookworm main contrib' -> entries."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if not match:
            continue
        kind, opts, uri, suite, comps = match.groups()
        options = dict(o.split("=", 1) for o in (opts or "").split() if "=" in o)
        entries.append({"types": [kind], "uris": [uri], "suites": [suite], "components": comps.split(),
                        "signed_by": options.get("signed-by")})
    return entries


def parse_deb822_sources(text):
    """deb822 ``.sources`` stanzas -> entries (disabled ones left out; an inline key is not a Signed-By path)."""
    entries = []
    for fields in deb822_paragraphs(text):
        if not fields.get("uris") or fields.get("enabled", "yes").lower() == "no":
            continue
        signed = fields.get("signed-by", "")
        entries.append({"types": fields.get("types", "deb").split(), "uris": fields["uris"].split(),
                        "suites": fields.get("suites", "").split(), "components": fields.get("components", "").split(),
                        "signed_by": signed if signed and "\n" not in signed else None})
    return entries


def host_sources(own_file):
    """Every entry of the host's APT sources, leaving out ``own_file`` (the file the role owns)."""
    own = os.path.realpath(own_file)
    entries = []
    paths = [APT_SOURCES_LIST] + sorted(glob.glob(os.path.join(APT_SOURCES_DIR, "*.list"))
                                        + glob.glob(os.path.join(APT_SOURCES_DIR, "*.sources")))
    for path in paths:
        if os.path.realpath(path) == own or not os.path.isfile(path):
            continue
        with open(path) as handle:
            text = handle.read()
        entries.extend(parse_deb822_sources(text) if path.endswith(".sources") else parse_one_line_sources(text))
    return entries


def missing_component_stanzas(entries, family, codename, extra=()):
    """Stanzas adding the wanted components (and ``extra`` ones) to every archive suite of this release that lacks them."""
    wanted = WANTED_COMPONENTS.get(family, ()) + tuple(extra)
    suites_of_release = re.compile(r"^%s(-updates|-security|/updates)?$" % re.escape(codename or ""))
    have = {}
    for entry in entries:
        if "deb" not in entry["types"]:
            continue
        for uri in entry["uris"]:
            for suite in entry["suites"]:
                if not suites_of_release.match(suite):
                    continue
                key = (uri, suite)
                slot = have.setdefault(key, {"components": set(), "signed_by": entry["signed_by"]})
                slot["components"].update(entry["components"])
    groups = {}
    for (uri, suite), slot in sorted(have.items()):
        if "main" not in slot["components"]:
            continue
        missing = tuple(c for c in wanted if c not in slot["components"])
        if not missing:
            continue
        groups.setdefault((uri, slot["signed_by"], missing), []).append(suite)
    return [{"types": "deb", "uris": uri, "suites": suites, "components": list(missing), "signed_by": signed}
            for (uri, signed, missing), suites in sorted(groups.items(), key=lambda kv: kv[0][0])]

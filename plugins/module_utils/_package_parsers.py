# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The package managers' answers as data: ``apt-cache policy``, ``apt-cache show`` and ``showpkg``, ``dpkg-query``,
``apt-get -s`` and ``dnf`` simulations, deb822 paragraphs and the APT source stanzas of a private index. Pure
functions over text; ``_packages`` runs the commands.

Private module_utils: not an API.
"""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line


def render_deb822(stanzas, trusted=False):
    out = []
    for stanza in stanzas:
        lines = ["Types: %s" % stanza["types"], "URIs: %s" % stanza["uris"], "Suites: %s" % " ".join(stanza["suites"])]
        if stanza["components"]:
            # a flat repository (suite ending in /) has no Components field (sources.list(5))
            lines.append("Components: %s" % " ".join(stanza["components"]))
        if stanza.get("signed_by"):
            lines.append("Signed-By: %s" % stanza["signed_by"])
        if trusted:
            lines.append("Trusted: yes")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def parse_apt_policy(text):
    """apt-cache policy output -> {package: {installed, candidate, versions: [..], origins: {version: [URIs]}}}.

    ``origins``: the URIs of the sources that offer each version (``500 http://m/debian bookworm/non-free amd64
    Packages``), or paths (``/var/lib/dpkg/status`` for the installed one)."""
    result = {}
    current = None
    in_table = False
    version = None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            current = {"installed": None, "candidate": None, "versions": [], "origins": {}}
            result[line.rstrip()[:-1]] = current
            in_table = False
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith("Installed:"):
            value = stripped.split(":", 1)[1].strip()
            current["installed"] = None if value == "(none)" else value
        elif stripped.startswith("Candidate:"):
            value = stripped.split(":", 1)[1].strip()
            current["candidate"] = None if value == "(none)" else value
        elif stripped.startswith("Version table:"):
            in_table = True
        elif in_table:
            match = re.match(r"^\s+(?:\*\*\*\s+)?(\S+)\s+-?\d+$", line)
            origin = re.match(r"^\s+-?\d+\s+(\S+)", line)
            if match:
                version = match.group(1)
                current["versions"].append(version)
                current["origins"].setdefault(version, [])
            elif origin and version is not None:
                current["origins"][version].append(origin.group(1))
    return result


def same_uri(a, b):
    """Do two repository URIs name the same place (a trailing slash aside)?"""
    return str(a or "").rstrip("/") == str(b or "").rstrip("/")


def parse_dpkg_status(out, names):
    """``dpkg-query -W -f='${Package}\\t${Version}\\t${db:Status-Abbrev}\\n'`` -> {name: (installed version, held)}."""
    state = dict((name, (None, False)) for name in names)
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[0] in state:
            abbrev = fields[2].ljust(2)
            # first letter: wanted (h = hold); second: status (i = installed)
            state[fields[0]] = (fields[1] if abbrev[1] == "i" else None, abbrev[0] == "h")
    return state


def parse_name_version_lines(out):
    """'name<TAB>version' lines (repoquery, rpm -q) -> {name: [versions in order, no repeats]}."""
    found = {}
    for line in out.splitlines():
        fields = line.strip().split("\t")
        if len(fields) == 2 and fields[1] not in found.setdefault(fields[0], []):
            found[fields[0]].append(fields[1])
    return found


# One line of apt's answer is enough to act on; a whole resolver dump is not (bounded like every refusal here).
REASON_LIMIT = 400


def bounded(text, limit=REASON_LIMIT):
    """``text`` on one line, cut at ``limit`` characters (with an ellipsis)."""
    text = one_line(text)
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def parse_relations(text):
    """A Depends field -> [[(name, operator or None, version or None), ...alternatives], ...].

    Architecture qualifiers (``:any``), architecture lists (``[amd64]``) and build profiles (``<!nocheck>``) are
    dropped: the plan asks which package, at which version."""
    groups = []
    for part in (text or "").split(","):
        alternatives = []
        for alt in part.split("|"):
            alt = re.sub(r"\[[^\]]*\]|<[!a-z][^<>]*>", "", alt).strip()
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9+._-]*)(?::\S+)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?$", alt)
            if match:
                alternatives.append((match.group(1), match.group(2), match.group(3)))
        if alternatives:
            groups.append(alternatives)
    return groups


def deb822_paragraphs(text, fold="\n"):
    """Control-file paragraphs (apt-cache show, .sources files) -> [{lower-case field: value}]; continuation lines
    are joined to their field with ``fold``; comment lines are skipped."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text or ""):
        fields = {}
        key = None
        for raw in block.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t"):
                if key:
                    fields[key] += fold + raw.strip()
                continue
            if ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        paragraphs.append(fields)
    return paragraphs


def parse_apt_show(text):
    """``apt-cache show`` output (one deb822 stanza per package version) -> {name: [stanza, ...]} where a stanza is
    {version, source, source_version, depends, provides}: ``source`` is the source package (the binary's own name
    when the field is absent), ``depends`` Pre-Depends and Depends as parse_relations() groups, ``provides`` the
    names it provides. Recommends are not read: the role installs without them."""
    found = {}
    for fields in deb822_paragraphs(text, " "):
        if not fields.get("package") or not fields.get("version"):
            continue
        source = re.match(r"^(\S+)(?:\s*\(([^)]+)\))?", fields.get("source") or fields["package"])
        stanza = {"version": fields["version"], "source": source.group(1),
                  "source_version": source.group(2) or fields["version"],
                  "depends": parse_relations(fields.get("pre-depends")) + parse_relations(fields.get("depends")),
                  "provides": [alt[0] for group in parse_relations(fields.get("provides")) for alt in group]}
        versions = found.setdefault(fields["package"], [])
        if all(known["version"] != stanza["version"] for known in versions):
            versions.append(stanza)
    return found


# dpkg-query's fields for what the dpkg database says of each installed package: the same questions as apt-cache
# show and showpkg ask of the index, answered without reading the index.
DPKG_CONTROL_FORMAT = ("-f=${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}"
                       "\\t${Pre-Depends}\\t${Depends}\\t${Provides}\\n")


def parse_dpkg_control(out):
    """dpkg-query -W DPKG_CONTROL_FORMAT -> ({name: [stanza]}, {virtual: [(package, version)]}) of the installed
    packages (status installed, held or not), in parse_apt_show's and parse_apt_showpkg's shapes."""
    stanzas, providers = {}, {}
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) != 8 or fields[0][1:2] != "i":
            continue
        _abbrev, name, version, source, source_version, pre, depends, provides = fields
        names = [alt[0] for group in parse_relations(provides) for alt in group]
        stanzas[name] = [{"version": version, "source": source or name, "source_version": source_version or version,
                          "depends": parse_relations(pre) + parse_relations(depends), "provides": names}]
        for virtual in names:
            providers.setdefault(virtual, []).append((name, version))
    return stanzas, providers


def parse_apt_showpkg(text):
    """``apt-cache showpkg`` output -> {name: [(providing package, version), ...]} from each "Reverse Provides:"."""
    found = {}
    current = None
    in_provides = False
    for line in (text or "").splitlines():
        if line.startswith("Package: "):
            current = found.setdefault(line.split(":", 1)[1].strip(), [])
            in_provides = False
        elif line.startswith("Reverse Provides:"):
            in_provides = current is not None
        elif in_provides:
            fields = line.split()
            if len(fields) >= 2 and (fields[0], fields[1]) not in current:
                current.append((fields[0], fields[1]))
            elif not line.strip():
                in_provides = False
    return found


def parse_apt_simulation(rc, out, err):
    """``apt-get -s install ...`` -> {ok, changes: [{name, from, to}], removals: [{name, version}], held: [names],
    reason}. ``reason`` is apt's own refusal on one line (the first unmet dependency, then its ``E:`` line), or
    None when apt would go ahead."""
    changes, removals, held = [], [], []
    lines = (out or "").splitlines()
    for index, line in enumerate(lines):
        inst = re.match(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+)", line)
        remv = re.match(r"^Remv (\S+)(?: \[(\S+)\])?", line)
        if inst:
            changes.append({"name": inst.group(1), "from": inst.group(2), "to": inst.group(3)})
        elif remv:
            removals.append({"name": remv.group(1), "version": remv.group(2)})
        elif line.startswith("The following held packages will be changed:"):
            for following in lines[index + 1:]:
                if not following.startswith(" "):
                    break
                held.extend(following.split())
    text = "\n".join([out or "", err or ""])
    errors = [line for line in text.splitlines() if line.startswith("E:")]
    unmet = [line.strip() for line in text.splitlines() if re.match(r"^ \S+ : (Pre-)?Depends: ", line)]
    reason = None
    if rc != 0 or errors:
        reason = bounded("; ".join((unmet[:1] + errors[:1]) or [one_line(err or out) or "rc %s" % rc]))
    return {"ok": reason is None, "changes": changes, "removals": removals, "held": held, "reason": reason}


def parse_dnf_simulation(rc, out, err):
    """``dnf install --assumeno ...`` -> the same shape as parse_apt_simulation (no removals or holds on dnf).

    dnf answers "Operation aborted." (exit 1) when the transaction resolves and --assumeno declined it; a
    transaction that cannot resolve prints "Error:" and "Problem:" lines instead."""
    text = "\n".join([out or "", err or ""])
    problems = [line.strip() for line in text.splitlines()
                if re.match(r"^\s*(Error:|Problem( \d+)?:|- (nothing provides|package|conflicting|cannot install))",
                            line)]
    changes = []
    for line in text.splitlines():
        match = re.match(r"^ (\S+)\s+\S+\s+(?:\d+:)?(\S+-\S+)\s+\S+\s+\d", line)
        if match:
            changes.append({"name": match.group(1), "from": None, "to": match.group(2)})
    reason = bounded("; ".join(problems[:3])) if problems else None
    if reason is None and rc not in (0, 1):
        reason = bounded(one_line(err or out) or "rc %s" % rc)
    return {"ok": reason is None, "changes": changes, "removals": [], "held": [], "reason": reason}

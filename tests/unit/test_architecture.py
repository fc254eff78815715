# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What docs/architecture.md states and a script can check: the filters and module_utils it names exist, module_utils
files stay under its size limit, and roles talk through documented inputs only (no role reads another role's report
or internal names, and only _common writes _common's cache keys)."""
from __future__ import annotations

import importlib
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
REPORTS = {role: role + "_report" for role in ROLES if not role.startswith("_")}
COMMON_CACHE_KEYS = ("__gpuhost_gpu_facts_read", "__gpuhost_systemd_running")
MODULE_UTILS_LIMIT = 650


def _layer(name):
    return next(line for line in DOC.splitlines() if line.startswith("| `%s" % name))


def _yaml_files(role):
    return sorted(p for p in (ROOT / "roles" / role).rglob("*") if p.suffix in (".yml", ".yaml", ".j2"))


def _filter_plugins():
    """{filter name: plugin file} of every FilterModule in plugins/filter/."""
    found = {}
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module("ansible_collections.gpuhost.provision.plugins.filter." + path.stem)
        for name in module.FilterModule().filters():
            assert name not in found, "%s is a filter of both %s and %s" % (name, found[name], path.name)
            found[name] = path.name
    return found


def test_the_filters_it_names_exist():
    named = set(re.findall(r"`([a-z0-9_]+)`", _layer("plugins/filter/").split("|")[2]))
    assert len(named) > 15
    filters = _filter_plugins()
    assert sorted(n for n in named if n not in filters) == []
    # and every filter is named there
    unnamed = sorted(n for n in filters if n not in named)
    assert unnamed == [], "name these filters in docs/architecture.md's plugins/filter row"


def test_every_filter_has_its_documentation_file():
    # ansible-doc reads a filter's documentation from plugins/filter/<filter>.yml beside the plugin file
    filters = _filter_plugins()
    sidecars = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
                for p in (ROOT / "plugins" / "filter").glob("*.yml")}
    assert sorted(n for n in filters if n not in sidecars) == []
    assert sorted(n for n in sidecars if n not in filters) == []
    assert sorted(n for n, doc in sidecars.items() if doc["DOCUMENTATION"]["name"] != n) == []
    assert sorted(n for n, doc in sidecars.items() if not (doc.get("EXAMPLES") and doc.get("RETURN"))) == []


def test_the_module_utils_it_names_exist_and_stay_under_the_limit():
    named = set(re.findall(r"`(_[a-z0-9_]+\.py)`", _layer("plugins/module_utils/")))
    assert len(named) > 15
    assert sorted(n for n in named if not (ROOT / "plugins" / "module_utils" / n).is_file()) == []
    assert "none over %d lines" % MODULE_UTILS_LIMIT in _layer("plugins/module_utils/")
    too_long = sorted("%s: %d" % (p.name, n) for p in (ROOT / "plugins" / "module_utils").glob("*.py")
                      for n in [len(p.read_text(encoding="utf-8").splitlines())] if n > MODULE_UTILS_LIMIT)
    assert too_long == []


@pytest.mark.parametrize("role", ROLES)
def test_a_role_reads_no_other_role_s_report_or_internal_names(role):
    others = [r for r in ROLES if r != role]
    found = []
    for path in _yaml_files(role):
        text = path.read_text(encoding="utf-8")
        for other in others:
            names = [REPORTS.get(other)] if other in REPORTS else []
            # another role's internal names (__<role>_...); _common's documented returns are read by its callers
            if other != "_common":
                names.append("__%s_" % other)
            for name in filter(None, names):
                for match in re.finditer(r"(?<![A-Za-z0-9_])%s(?![a-z])" % re.escape(name), text):
                    found.append("%s: %s" % (path.relative_to(ROOT), text[match.start():match.start() + 40]))
    assert found == []


@pytest.mark.parametrize("role", [r for r in ROLES if r != "_common"])
def test_only_common_writes_its_cache_keys(role):
    writes = []
    for path in _yaml_files(role):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(re.match(r"\s*%s\s*:" % key, line) for key in COMMON_CACHE_KEYS):
                writes.append("%s:%d" % (path.relative_to(ROOT), number))
    assert writes == []


def test_the_checks_see_a_violation(tmp_path):
    # the patterns above find what they look for
    text = "x: \"{{ nvidia_driver_report.installed }}\"\n    __gpuhost_systemd_running: true\n"
    assert re.search(r"(?<![A-Za-z0-9_])nvidia_driver_report(?![a-z])", text)
    assert re.match(r"\s*__gpuhost_systemd_running\s*:", text.splitlines()[1])
    assert not re.search(r"(?<![A-Za-z0-9_])mps_report(?![a-z])", "container_toolkit_mps_reports: 1")

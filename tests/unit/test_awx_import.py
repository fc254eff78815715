# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""awx/import/gpuhost-provision.json against awxkit, AWX's own client (`awx import < file` reads it).

awxkit imports the resources it exports (EXPORTABLE_RESOURCES), finds each object by its page class's NATURAL_KEY
and creates them in the order of its dependency graph (has_create.page_creation_order); the checks below use those
definitions from the installed awxkit, not copies of them.
"""
from __future__ import annotations

import importlib.util
import json
import pathlib
import re

import pytest
import yaml
from awxkit.api import resources
from awxkit.api.mixins import has_create
from awxkit.api.pages import api as awx_api
from awxkit.api.pages.credentials import Credential
from awxkit.api.pages.execution_environments import ExecutionEnvironment
from awxkit.api.pages.inventory import Inventory, InventorySource
from awxkit.api.pages.job_templates import JobTemplate
from awxkit.api.pages.notification_templates import NotificationTemplate
from awxkit.api.pages.projects import Project
from awxkit.api.pages.schedules import Schedule

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("awx_import", ROOT / "scripts" / "awx_import.py")
awx_import = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(awx_import)

# `awx import` reads the file with json.load (awxkit/cli/resource.py, Import)
with open(ROOT / "awx" / "import" / "gpuhost-provision.json", encoding="utf-8") as handle:
    DATA = json.load(handle)
PAGES = {"execution_environments": ExecutionEnvironment, "projects": Project, "credentials": Credential,
         "inventory": Inventory, "inventory_sources": InventorySource, "notification_templates": NotificationTemplate,
         "job_templates": JobTemplate}
# objects AWX has before any import: the organization, and the built-in Machine credential type
BUILT_IN = [{"name": "Default", "type": "organization"}, {"name": "Machine", "kind": "ssh", "type": "credential_type"}]


def _assets():
    for resource, assets in DATA.items():
        for asset in assets:
            yield resource, asset
            for schedule in asset.get("related", {}).get("schedules", []):
                yield "schedules", schedule


def _references(value):
    """Every natural-key reference in a field (a mapping with a type), nested ones included."""
    if isinstance(value, dict) and "type" in value:
        yield value
        for inner in value.values():
            yield from _references(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def test_the_file_is_up_to_date(capsys):
    assert awx_import.main(["--check"]) == 0, capsys.readouterr().out


def test_only_resources_that_awx_import_reads():
    assert set(DATA) <= set(awx_api.EXPORTABLE_RESOURCES), set(DATA) - set(awx_api.EXPORTABLE_RESOURCES)
    # what an admin needs to run the playbooks, each at least once
    for resource in ("projects", "inventory", "inventory_sources", "credentials", "execution_environments",
                     "notification_templates", "job_templates"):
        assert DATA.get(resource), resource


@pytest.mark.parametrize("resource", sorted(PAGES) + ["schedules"])
def test_each_object_carries_awxkit_s_natural_key(resource):
    page = PAGES.get(resource, Schedule)
    assets = [a for r, a in _assets() if r == resource]
    assert assets
    for asset in assets:
        key = asset["natural_key"]
        assert set(key) - {"type"} == set(page.NATURAL_KEY), (resource, key)
        for field in page.NATURAL_KEY:
            assert asset[field] == key[field], (resource, field)


def test_awx_import_can_look_every_object_up_by_its_type():
    # awxkit's PageCache.get_by_natural_key finds the list endpoint from the natural key's type
    for asset in (pair[1] for pair in _assets()):
        for ref in _references(asset["natural_key"]):
            assert getattr(resources, ref["type"], None), ref["type"]


def test_every_reference_is_an_object_of_the_file_or_built_in():
    known = [pair[1]["natural_key"] for pair in _assets()] + BUILT_IN
    for resource, asset in _assets():
        fields = {k: v for k, v in asset.items() if k not in ("natural_key", "related")}
        related = {k: v for k, v in asset.get("related", {}).items() if k not in ("schedules", "survey_spec")}
        for ref in _references([fields, related]):
            assert ref in known, (resource, asset["name"], ref)


def test_awxkit_creates_what_an_object_needs_before_it():
    # awxkit's own creation order for these page classes: a job template after its project, inventory and
    # credential; an inventory source after its inventory
    order = list(has_create.page_creation_order(*PAGES.values()))
    rank = {page: i for i, group in enumerate(order) for page in group}
    assert rank[JobTemplate] > max(rank[Project], rank[Inventory], rank[Credential])
    assert rank[InventorySource] > rank[Inventory]


def test_job_templates_run_the_playbooks_with_their_surveys_and_the_credential():
    templates = {t["name"]: t for t in DATA["job_templates"]}
    assert set(templates) == {"gpuhost-site", "gpuhost-validate"}
    for name, template in templates.items():
        assert (ROOT / template["playbook"]).is_file()
        survey = json.loads((ROOT / "awx" / "surveys" / f"{name}.json").read_text(encoding="utf-8"))
        assert template["related"]["survey_spec"] == survey and template["survey_enabled"]
        assert template["related"]["credentials"] == [DATA["credentials"][0]["natural_key"]]
        assert template["execution_environment"] == DATA["execution_environments"][0]["natural_key"]
        assert template["related"]["notification_templates_error"], name
    # README: "schedule it" - the health check runs every day
    (schedule,) = templates["gpuhost-validate"]["related"]["schedules"]
    assert re.fullmatch(r"DTSTART:\d{8}T\d{6}Z RRULE:FREQ=DAILY;INTERVAL=1", schedule["rrule"]), schedule
    assert not templates["gpuhost-site"]["related"]["schedules"]


def test_no_secret_is_in_the_file():
    text = json.dumps(DATA)
    assert "$encrypted$" not in text
    for credential in DATA["credentials"]:
        assert set(credential["inputs"]) <= {"username", "become_method", "become_username"}, credential


def test_the_inventory_comes_from_the_project():
    (source,) = DATA["inventory_sources"]
    assert source["source"] == "scm" and source["source_project"] == DATA["projects"][0]["natural_key"]
    assert source["inventory"] == DATA["inventory"][0]["natural_key"]


def test_both_execution_environments_carry_the_same_collections():
    def names(path):
        return {re.sub(r"^collections/([a-z0-9_]+)-([a-z0-9_]+)-[\d.]+\.tar\.gz$", r"\1.\2", c["name"])
                for c in yaml.safe_load((ROOT / "awx" / "ee" / path).read_text(encoding="utf-8"))["collections"]}
    assert names("requirements-local.yml") == names("requirements-hub.yml") == {"gpuhost.provision", "kubernetes.core"}
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert f"collections/gpuhost-provision-{galaxy['version']}.tar.gz" in (
        ROOT / "awx" / "ee" / "requirements-local.yml").read_text(encoding="utf-8")

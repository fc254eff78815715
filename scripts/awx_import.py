# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write awx/import/gpuhost-provision.json, the format of `awx export` that `awx import` reads, from
awx/objects.yml (organization, project, inventory and source, credential, execution environment, schedules,
notifications) and awx/job_templates.yml with the surveys in awx/surveys/.

    python3 scripts/awx_import.py           write the file
    python3 scripts/awx_import.py --check   exit 1 when the file is out of date

Each object carries its natural key (the fields AWX finds it by, awxkit's NATURAL_KEY) and refers to the others by
theirs, as `awx export` writes them; secrets are never in the file (AWX asks for them after the import).
"""
from __future__ import annotations

import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "awx" / "import" / "gpuhost-provision.json"
EVENTS = ("started", "success", "error")


def _org(name):
    return {"name": name, "type": "organization"}


def build() -> dict:
    objects = yaml.safe_load((ROOT / "awx" / "objects.yml").read_text(encoding="utf-8"))
    templates = yaml.safe_load((ROOT / "awx" / "job_templates.yml").read_text(encoding="utf-8"))["job_templates"]
    org = _org(objects["organization"])

    def key(kind, name, **more):
        return {"organization": org, "name": name, **more, "type": kind}

    p, inv, cred, ee = (objects[k] for k in ("project", "inventory", "credential", "execution_environment"))
    project_key = key("project", p["name"])
    inventory_key = key("inventory", inv["name"])
    ee_key = {"name": ee["name"], "type": "execution_environment"}
    cred_type = {**cred["credential_type"], "type": "credential_type"}
    cred_key = key("credential", cred["name"], credential_type=cred_type)
    notify = {n["name"]: key("notification_template", n["name"]) for n in objects["notification_templates"]}
    no_notifications = {"notification_templates_" + e: [] for e in EVENTS}

    data = {
        "execution_environments": [{
            "name": ee["name"], "description": ee["description"], "image": ee["image"], "pull": ee["pull"],
            "organization": None, "credential": None, "related": {}, "natural_key": ee_key,
        }],
        "projects": [{
            "name": p["name"], "description": p["description"], "scm_type": p["scm_type"], "scm_url": p["scm_url"],
            "scm_branch": p["scm_branch"], "scm_update_on_launch": p["scm_update_on_launch"],
            "scm_clean": False, "scm_delete_on_update": False, "allow_override": False, "credential": None,
            "organization": org, "default_environment": ee_key,
            "related": {"schedules": [], **no_notifications}, "natural_key": project_key,
        }],
        "credentials": [{
            "name": cred["name"], "description": cred["description"], "inputs": cred["inputs"],
            "organization": org, "credential_type": cred_type, "related": {}, "natural_key": cred_key,
        }],
        "inventory": [{
            "name": inv["name"], "description": inv["description"], "kind": "", "variables": "---",
            "organization": org, "related": {"labels": [], "instance_groups": []}, "natural_key": inventory_key,
        }],
        "inventory_sources": [{
            "name": inv["source"]["name"], "description": "", "source": inv["source"]["source"],
            "source_path": inv["source"]["source_path"], "source_project": project_key,
            "update_on_launch": inv["source"]["update_on_launch"], "overwrite": inv["source"]["overwrite"],
            "overwrite_vars": inv["source"]["overwrite"], "organization": org, "inventory": inventory_key,
            "execution_environment": ee_key,
            "related": {"schedules": [], **no_notifications},
            "natural_key": key("inventory_source", inv["source"]["name"], inventory=inventory_key),
        }],
        "notification_templates": [{
            "name": n["name"], "description": n["description"], "notification_type": n["notification_type"],
            "notification_configuration": n["notification_configuration"], "messages": None,
            "organization": org, "related": {}, "natural_key": notify[n["name"]],
        } for n in objects["notification_templates"]],
        "job_templates": [],
    }
    for t in templates:
        jt_key = key("job_template", t["name"])
        survey = json.loads((ROOT / "awx" / "surveys" / f"{t['name']}.json").read_text(encoding="utf-8"))
        schedules = [{
            "name": s["name"], "description": s["description"], "rrule": s["rrule"], "enabled": True,
            "extra_data": {}, "unified_job_template": jt_key, "related": {},
            "natural_key": {"unified_job_template": jt_key, "name": s["name"], "type": "schedule"},
        } for s in objects["schedules"] if s["template"] == t["name"]]
        data["job_templates"].append({
            "name": t["name"], "description": t["description"], "job_type": t["job_type"], "playbook": t["playbook"],
            "forks": t["forks"], "job_slice_count": t["job_slice_count"], "allow_simultaneous": t["allow_simultaneous"],
            "ask_variables_on_launch": t["ask_variables_on_launch"], "ask_limit_on_launch": True,
            "survey_enabled": True, "become_enabled": True, "verbosity": 0, "limit": "", "extra_vars": "---",
            "organization": org, "project": project_key, "inventory": inventory_key, "execution_environment": ee_key,
            "related": {
                "credentials": [cred_key],
                "labels": [],
                "schedules": schedules,
                "survey_spec": survey,
                **{"notification_templates_" + e: [notify[n["name"]] for n in objects["notification_templates"]
                                                   if e in n["events"].get(t["name"], [])] for e in EVENTS},
            },
            "natural_key": jt_key,
        })
    return data


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python3 scripts/awx_import.py")
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

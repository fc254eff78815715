# SPDX-License-Identifier: GPL-3.0-or-later
"""Write AWX survey specs (awx/surveys/<template>.json) from awx/job_templates.yml and the roles' argument specs.

    python3 scripts/awx_surveys.py           write the files
    python3 scripts/awx_surveys.py --check   exit 1 and name the files that are out of date
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _role_option(role: str, variable: str) -> dict:
    spec_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    options = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]
    if variable not in options:
        raise SystemExit(f"awx/job_templates.yml: {variable} is not an option of role {role} ({spec_file})")
    return options[variable]


# Ansible's documentation markup (V(auto), O(option), C(code), ...): AWX shows descriptions as plain text.
_MARKUP = re.compile(r"\b[BCIMOVU]\(([^()]*)\)")


def plain(text: str) -> str:
    """Description text as AWX shows it: markup reduced to its content, whitespace folded."""
    return " ".join(_MARKUP.sub(r"\1", text).split())


def _question(item: dict) -> dict:
    """One AWX survey question. No default: AWX would send it on every launch and mask the inventory.

    An item with `overrides: {role, option}` stands in for that role option for one launch: its type and choices
    come from the role's argument spec, and its description says what an empty answer keeps.
    """
    question = {"variable": item["variable"], "question_name": item["label"], "required": False}
    description = item.get("description", "")
    if "overrides" in item:
        role, option = item["overrides"]["role"], item["overrides"]["option"]
        opt = _role_option(role, option)
        if opt.get("choices"):
            question.update(type="multiplechoice", choices=[str(c) for c in opt["choices"]])
        elif opt.get("type", "str") == "bool":
            question.update(type="multiplechoice", choices=["true", "false"])
        elif opt.get("type", "str") == "int":
            question.update(type="integer")
        else:
            question.update(type="text")
        default = opt.get("default")
        role_default = f" (the role's default: {str(default).lower() if isinstance(default, bool) else default})" \
            if default not in (None, "") else ""
        description += f" Empty: each host keeps {option} from the inventory{role_default}."
    else:
        question["type"] = item["type"]
        for key in ("choices", "min", "max"):
            if key in item:
                question[key] = item[key]
    question["question_description"] = plain(description)
    return question


def surveys() -> dict[str, dict]:
    templates = yaml.safe_load((ROOT / "awx" / "job_templates.yml").read_text(encoding="utf-8"))["job_templates"]
    return {t["name"]: {"name": t["name"], "description": t["description"],
                        "spec": [_question(q) for q in t["survey"]]} for t in templates}


def main(argv: list[str]) -> int:
    stale = []
    for name, spec in surveys().items():
        path = ROOT / "awx" / "surveys" / f"{name}.json"
        text = json.dumps(spec, indent=2, sort_keys=True) + "\n"
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run scripts/awx_surveys.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

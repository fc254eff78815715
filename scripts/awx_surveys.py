# SPDX-License-Identifier: GPL-3.0-or-later
"""Write AWX survey specs (awx/surveys/<template>.json) from awx/job_templates.yml and the roles' argument specs.

    python3 scripts/awx_surveys.py           write the files
    python3 scripts/awx_surveys.py --check   exit 1 and name the files that are out of date
"""
from __future__ import annotations

import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _role_option(role: str, variable: str) -> dict:
    spec_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    options = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]
    if variable not in options:
        raise SystemExit(f"awx/job_templates.yml: {variable} is not an option of role {role} ({spec_file})")
    return options[variable]


def _question(item: dict) -> dict:
    """One AWX survey question; `from_role` items are derived from the role's argument spec."""
    if "from_role" in item:
        opt = _role_option(item["from_role"], item["variable"])
        desc = opt.get("description", "")
        desc = " ".join(desc) if isinstance(desc, list) else desc
        default = opt.get("default")
        kind = opt.get("type", "str")
        question = {"variable": item["variable"], "question_name": item["variable"], "question_description": desc,
                    "required": bool(opt.get("required", False))}
        if opt.get("choices"):
            question.update(type="multiplechoice", choices=[str(c) for c in opt["choices"]])
        elif kind == "bool":
            question.update(type="multiplechoice", choices=["true", "false"])
        elif kind == "int":
            question.update(type="integer")
        else:
            question.update(type="text")
        if default is not None:
            question["default"] = str(default).lower() if isinstance(default, bool) else default
        else:
            question["default"] = ""
        return question
    question = {"variable": item["variable"], "question_name": item["variable"],
                "question_description": item.get("description", ""), "required": bool(item.get("required", False)),
                "type": item["type"], "default": item.get("default", "")}
    for key in ("choices", "min", "max"):
        if key in item:
            question[key] = item[key]
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

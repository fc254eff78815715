# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job templates and their surveys agree with the roles' argument specs."""
from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("awx_surveys", ROOT / "scripts" / "awx_surveys.py")
awx_surveys = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(awx_surveys)

TEMPLATES = yaml.safe_load((ROOT / "awx" / "job_templates.yml").read_text(encoding="utf-8"))["job_templates"]


def _argspec(role):
    path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]


def test_committed_surveys_are_up_to_date(capsys):
    assert awx_surveys.main(["--check"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t["name"])
def test_role_questions_match_the_argument_spec(template):
    survey = json.loads((ROOT / "awx" / "surveys" / f"{template['name']}.json").read_text(encoding="utf-8"))
    questions = {q["variable"]: q for q in survey["spec"]}
    assert len(questions) == len(template["survey"]), "a variable is asked twice"
    for item in (i for i in template["survey"] if "from_role" in i):
        option = _argspec(item["from_role"])[item["variable"]]
        question = questions[item["variable"]]
        if option.get("choices"):
            assert question["type"] == "multiplechoice"
            assert question["choices"] == [str(c) for c in option["choices"]]
            assert str(question["default"]) in question["choices"] or question["default"] == ""
        default = option.get("default")
        expected = "" if default is None else (str(default).lower() if isinstance(default, bool) else default)
        assert question["default"] == expected


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t["name"])
def test_template_playbook_exists_and_targets_the_survey_group(template):
    playbook = ROOT / template["playbook"]
    assert playbook.is_file()
    plays = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    assert "gpuhost_targets" in plays[0]["hosts"]


def test_a_question_for_an_unknown_role_option_is_refused():
    with pytest.raises(SystemExit, match="not an option of role persistenced"):
        awx_surveys._question({"from_role": "persistenced", "variable": "persistenced_no_such_option"})


def test_bool_and_choice_options_become_multiple_choice(tmp_path, monkeypatch):
    role = tmp_path / "roles" / "demo" / "meta"
    role.mkdir(parents=True)
    (role / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": {"options": {
        "demo_flag": {"type": "bool", "default": True, "description": ["On or off."]},
        "demo_mode": {"type": "str", "default": "auto", "choices": ["auto", "never"], "description": "Mode."},
        "demo_count": {"type": "int", "default": 3, "description": "Count."},
    }}}}), encoding="utf-8")
    monkeypatch.setattr(awx_surveys, "ROOT", tmp_path)
    flag = awx_surveys._question({"from_role": "demo", "variable": "demo_flag"})
    mode = awx_surveys._question({"from_role": "demo", "variable": "demo_mode"})
    count = awx_surveys._question({"from_role": "demo", "variable": "demo_count"})
    assert (flag["type"], flag["choices"], flag["default"]) == ("multiplechoice", ["true", "false"], "true")
    assert (mode["type"], mode["choices"], mode["default"]) == ("multiplechoice", ["auto", "never"], "auto")
    assert (count["type"], count["default"]) == ("integer", 3)

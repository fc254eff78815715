# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job templates and their surveys: up to date, readable, and unable to mask the inventory."""
from __future__ import annotations

import importlib.util
import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("awx_surveys", ROOT / "scripts" / "awx_surveys.py")
awx_surveys = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(awx_surveys)

TEMPLATES = yaml.safe_load((ROOT / "awx" / "job_templates.yml").read_text(encoding="utf-8"))["job_templates"]
ROLE_OPTIONS = {
    name: opt
    for spec in (ROOT / "roles").glob("*/meta/argument_specs.yml")
    for name, opt in yaml.safe_load(spec.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"].items()
}


def _survey(template):
    return json.loads((ROOT / "awx" / "surveys" / f"{template['name']}.json").read_text(encoding="utf-8"))


def _playbook_text(template):
    """The playbook (site.yml reads the answers in its first play's vars)."""
    return (ROOT / template["playbook"]).read_text(encoding="utf-8")


SITE_PLAYS = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text(encoding="utf-8"))
SITE_VARS = SITE_PLAYS[0]["vars"]


def test_committed_surveys_are_up_to_date(capsys):
    assert awx_surveys.main(["--check"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t["name"])
def test_no_question_can_mask_the_inventory(template):
    # AWX sends every default that is not null on every launch, and "" for a question left empty: a question
    # must have no default and set a variable of its own, which no role (and so no inventory) defines.
    for question in _survey(template)["spec"]:
        assert question.get("default") is None, question
        assert not question["required"], question
        assert question["variable"].startswith("gpuhost_launch_"), question
        assert question["variable"] not in ROLE_OPTIONS, question
        # the playbook reads the answer, and ignores it when empty
        assert question["variable"] in _playbook_text(template), question["variable"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t["name"])
def test_labels_and_descriptions_are_plain_text(template):
    for question in _survey(template)["spec"]:
        assert question["question_name"] != question["variable"] and " " in question["question_name"], question
        assert not re.search(r"\b[BCIMOVU]\([^)]*\)", question["question_description"]), question
        assert "Empty:" in question["question_description"], "say what an empty answer keeps"


@pytest.mark.parametrize("template", [t for t in TEMPLATES if any("overrides" in q for q in t["survey"])],
                         ids=lambda t: t["name"])
def test_override_questions_follow_the_role_and_reach_it(template):
    questions = {q["variable"]: q for q in _survey(template)["spec"]}
    launch = SITE_VARS["__site_launch"]
    assert template["playbook"] == "playbooks/site.yml", "the answers are mapped in site.yml's play vars"
    for item in (i for i in template["survey"] if "overrides" in i):
        option = item["overrides"]["option"]
        spec = ROLE_OPTIONS[option]
        question = questions[item["variable"]]
        if spec.get("choices"):
            assert (question["type"], question["choices"]) == ("multiplechoice", [str(c) for c in spec["choices"]])
        else:
            assert question["type"] == "text"
        # site.yml maps the answer onto exactly this role option
        assert re.fullmatch(r"\{\{ %s \| default\(''\) \}\}" % item["variable"], launch[option]), launch


def test_site_play_keywords_ignore_an_empty_answer():
    play = next(p for p in SITE_PLAYS if "serial" in p)
    # the provisioning play has the input play's vars (one YAML anchor: the same mapping)
    assert play["serial"] == "{{ __site_serial }}" and play["vars"] is SITE_VARS, play
    assert "gpuhost_launch_serial | default('') | string | length > 0" in SITE_VARS["__site_serial"]
    # the rollout guard (a task: Ansible's max_fail_percentage does not see hosts ended in a rescue)
    guard = next(t for t in play["tasks"] if "gpuhost_max_fail_percentage" in t.get("name", ""))
    assert "__site_max_fail_percentage" in guard["when"], guard
    assert "gpuhost_launch_max_fail_percentage | default('') | string | length > 0" in SITE_VARS[
        "__site_max_fail_percentage"]


def test_job_templates_set_forks_and_extra_variable_prompting():
    for template in TEMPLATES:
        assert isinstance(template["forks"], int) and template["forks"] > 0
        assert isinstance(template["ask_variables_on_launch"], bool)
    configure = (ROOT / "awx" / "configure.yml").read_text(encoding="utf-8")
    for key in ("forks", "ask_variables_on_launch", "survey_spec"):
        assert f"{key}: \"{{{{ item['{key}'] }}}}\"" in configure or key == "survey_spec", key


def test_a_question_for_an_unknown_role_option_is_refused():
    with pytest.raises(SystemExit, match="not an option of role persistenced"):
        awx_surveys._question({"variable": "gpuhost_launch_x", "label": "X y",
                               "overrides": {"role": "persistenced", "option": "persistenced_no_such_option"}})


@pytest.mark.parametrize(("text", "shown"), [
    ("V(auto) reboots unless O(nvidia_driver_reboot_force).", "auto reboots unless nvidia_driver_reboot_force."),
    ("Runs C(nvidia-smi -L)\n  twice.", "Runs nvidia-smi -L twice."),
    ("No markup (here).", "No markup (here)."),
])
def test_markup_is_rendered_as_plain_text(text, shown):
    assert awx_surveys.plain(text) == shown


def test_choice_bool_and_int_options_become_typed_questions(tmp_path, monkeypatch):
    role = tmp_path / "roles" / "demo" / "meta"
    role.mkdir(parents=True)
    (role / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": {"options": {
        "demo_flag": {"type": "bool", "default": True, "description": ["On or off."]},
        "demo_mode": {"type": "str", "default": "auto", "choices": ["auto", "never"], "description": "Mode."},
        "demo_count": {"type": "int", "default": 3, "description": "Count."},
    }}}}), encoding="utf-8")
    monkeypatch.setattr(awx_surveys, "ROOT", tmp_path)

    def ask(option):
        return awx_surveys._question({"variable": f"gpuhost_launch_{option}", "label": "A label", "description": "D.",
                                      "overrides": {"role": "demo", "option": option}})

    flag, mode, count = ask("demo_flag"), ask("demo_mode"), ask("demo_count")
    assert (flag["type"], flag["choices"]) == ("multiplechoice", ["true", "false"])
    assert (mode["type"], mode["choices"]) == ("multiplechoice", ["auto", "never"])
    assert count["type"] == "integer"
    assert "default" not in flag and "default" not in mode and "default" not in count
    assert flag["question_description"] == "D. Empty: each host keeps demo_flag from the inventory (the role's default: true)."


def test_the_documented_fallback_of_the_rollout_guard_is_the_code_s():
    # An empty "Failed hosts (%)" answer keeps gpuhost_max_fail_percentage; with neither set, site.yml's own default
    # applies. Every text that tells an operator that default must name the number the guard uses.
    default = re.search(r"else gpuhost_max_fail_percentage \| default\((\d+)\)",
                        SITE_VARS["__site_max_fail_percentage"]).group(1)
    question = next(q for q in _survey(next(t for t in TEMPLATES if t["name"] == "gpuhost-site"))["spec"]
                    if q["variable"] == "gpuhost_launch_max_fail_percentage")
    texts = {
        "survey": question["question_description"],
        "docs/awx.md": next(line for line in (ROOT / "docs" / "awx.md").read_text(encoding="utf-8").splitlines()
                            if "`gpuhost_launch_max_fail_percentage`" in line),
        "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
        "playbooks/site.yml": (ROOT / "playbooks" / "site.yml").read_text(encoding="utf-8"),
    }
    for where, text in texts.items():
        said = re.findall(r"(?:else|default) (\d+)\b", " ".join(text.split()))
        assert said and set(said) == {default}, (where, said, default)
    # the guard counts every host provisioned so far; no text may say "of a batch"
    for where, text in texts.items():
        assert "of a batch" not in " ".join(text.split()), where

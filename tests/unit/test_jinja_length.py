# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No Jinja expression in roles/ or playbooks/ spans more than 5 lines: a longer one is a decision that belongs in a
filter or module with unit tests (scripts/jinja_length.py measures; its counting is tested here too)."""
from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("jinja_length", ROOT / "scripts" / "jinja_length.py")
jinja_length = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(jinja_length)


def test_no_jinja_expression_in_roles_or_playbooks_is_longer_than_5_lines():
    found = jinja_length.expressions()
    assert len(found) > 100, "the walk found too few expressions: %d" % len(found)
    over = ["%s:%d: %d lines" % e for e in found if e[2] > jinja_length.LIMIT]
    assert over == [], "move these into a filter or module (plugins/), with a unit test:\n" + "\n".join(over)


def test_the_count(tmp_path):
    (tmp_path / "roles" / "r" / "tasks").mkdir(parents=True)
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "roles" / "r" / "tasks" / "main.yml").write_text(
        "---\n"
        "- name: One\n"                                  # 2
        "  ansible.builtin.set_fact:\n"
        "    a: \"{{ x }}\"\n"                           # 4: 1 line
        "    b: >-\n"                                    # 5
        "      {{ x\n"
        "         + y\n"
        "         + z }}\n"                              # 6-8: 3 lines
        "\n"
        "    c: plain text\n"
        "  when:\n"
        "    - x | bool\n"                               # a condition without braces: 1 line
        "    - y | bool\n"
        "      and z\n", encoding="utf-8")               # 13-14: 2 lines
    (tmp_path / "playbooks" / "p.yml").write_text(
        "- hosts: all\n  tasks:\n    - ansible.builtin.debug:\n        msg: |\n"
        + "".join("          {%% set a%d = 1 %%}\n" % i for i in range(7)) + "\n\n", encoding="utf-8")
    found = jinja_length.expressions(tmp_path)
    assert sorted(found) == [("playbooks/p.yml", 4, 7), ("roles/r/tasks/main.yml", 4, 1),
                             ("roles/r/tasks/main.yml", 5, 3), ("roles/r/tasks/main.yml", 12, 1),
                             ("roles/r/tasks/main.yml", 13, 2)]

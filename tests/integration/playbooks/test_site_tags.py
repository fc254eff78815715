# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml with --tags and --skip-tags: every section tag of every role selects that section and the role's
pre-flight (whose results every section reads), and the host's summary, the rollout guard, the failure record and
the fleet table; skipping a section leaves the pre-flight, skipping a role leaves all of it out.

The selection is Ansible's own: `ansible-playbook --list-tasks --tags <tag>` on the real playbook, one call per
tag. The molecule scenario site-fleet runs site.yml with --tags on three containers (molecule/site-fleet).
"""
from __future__ import annotations

import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
SITE_ROLES = ["nvidia_driver", "persistenced", "gpu_state", "mps", "container_toolkit"]
IMPORTED = {"nvidia_driver", "persistenced"}   # import_role in site.yml; the others are include_role
INCLUDE_NAMES = {"gpu_state": "GPU settings kept across boots (gpu_state)", "mps": "CUDA MPS control daemon (mps)",
                 "container_toolkit": "NVIDIA container toolkit (container_toolkit)"}
OPTIONAL = "Optional roles, GPU facts read again after a daemon start (playbooks/tasks/site_optional.yml)"
OPTIONAL_TASKS = yaml.safe_load((ROOT / "playbooks" / "tasks" / "site_optional.yml").read_text(encoding="utf-8"))
# run whatever --tags selects, in play 2 and after it
SAID = "Say what was done on this host (one line; with -v, in full as well)"
ALWAYS = [SAID,
          "Stop the rollout when too many hosts failed (gpuhost_max_fail_percentage)",
          "Show every targeted host with its result", "Fail, pointing at the reason in the fleet table"]


def section_groups(role):
    """The task files that roles/<role>/tasks/main.yml includes as one group of sections (tasks/changes.yml,
    tasks/sections.yml): an include tagged always that applies only the role's tag, so that the sections inside it
    keep their own tags."""
    tasks = yaml.safe_load((ROOT / "roles" / role / "tasks" / "main.yml").read_text(encoding="utf-8"))
    return [task["ansible.builtin.include_tasks"]["file"] for task in tasks
            if isinstance(task.get("ansible.builtin.include_tasks"), dict) and "always" in task.get("tags", [])
            and task["ansible.builtin.include_tasks"].get("apply", {}).get("tags") == [role]]


def section_tasks(role):
    """The tasks of roles/<role>/tasks/main.yml and of its groups of sections, a block's tasks included."""
    files = ["main.yml"] + section_groups(role)
    tasks = [t for name in files for t in yaml.safe_load((ROOT / "roles" / role / "tasks" / name).read_text(encoding="utf-8"))]
    # a section may sit in a block (the driver's install steps, whose always section cleans up)
    return [t for task in tasks for t in [task] + task.get("block", [])]


def section_tags(role):
    """The tags that roles/<role>/tasks/main.yml (and its groups) give the sections, except the role's own and the
    pre-flight's."""
    tags = []
    for task in section_tasks(role):
        for tag in task.get("tags", []):
            if tag not in tags and tag not in (role, role + "_preflight", "always"):
                tags.append(tag)
    return tags


def preflight_tasks(role):
    """The names of the tasks in roles/<role>/tasks/preflight.yml (as --list-tasks prints them, without the role)."""
    return {task["name"] for task in yaml.safe_load((ROOT / "roles" / role / "tasks" / "preflight.yml").read_text(
        encoding="utf-8")) if "name" in task}


TAGS = [(role, tag) for role in SITE_ROLES for tag in section_tags(role)]
TAG_NAMES = [tag for role, tag in TAGS]


def list_tasks(tag, option="--tags"):
    inventory = {"gpu_nodes": {"hosts": {"n1": {"nvidia_driver_cuda_version": "12.2", "gpu_state_settings": [],
                                                "mps_gpus": "all", "container_toolkit_runtimes": ["containerd"]}}}}
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections")}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "/dev/stdin",
            str(ROOT / "playbooks" / "site.yml"), "--list-tasks", option, tag]
    run = subprocess.run(argv, input=yaml.safe_dump(inventory), capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stderr
    # "      <name>\tTAGS: [a, b]" -> (name, {a, b}), in playbook order
    return [(m.group(1).strip(), set(filter(None, m.group(2).split(", "))))
            for m in re.finditer(r"^ {6}(.+?)\tTAGS: \[([^\]]*)\]$", run.stdout, re.MULTILINE)]


@pytest.fixture(scope="module")
def listed():
    # about a second each; two at a time on the 2-core CI machine
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(TAG_NAMES, pool.map(list_tasks, TAG_NAMES)))


def test_every_role_has_sections_to_select():
    assert {role for role, tag in TAGS} == set(SITE_ROLES)
    assert ("nvidia_driver", "nvidia_driver_hold") in TAGS and ("persistenced", "persistenced_unit") in TAGS


@pytest.mark.parametrize("role,tag", TAGS, ids=TAG_NAMES)
def test_a_section_tag_selects_its_section_the_preflight_and_the_fleet_output(listed, role, tag):
    tasks = listed[tag]
    names = [name for name, tags in tasks]
    for name in ALWAYS:
        assert name in names, (tag, names)
    if role in IMPORTED:
        mine = [name.split(" : ", 1)[-1] for name, tags in tasks if role in tags]
        first = preflight_tasks(role)
        assert [n for n in mine if n in first], f"--tags {tag} leaves out the {role} pre-flight that it reads: {names}"
        # a section in a group (an include, which --list-tasks does not open): the group is listed, and the section
        # inside it carries the tag itself
        grouped = [t["name"] for t in section_tasks(role) if tag in t.get("tags", [])
                   and t not in yaml.safe_load((ROOT / "roles" / role / "tasks" / "main.yml").read_text(encoding="utf-8"))]
        groups = [n for n, tags in tasks if role in tags and n.split(" : ", 1)[-1].startswith("Sections that change")]
        assert [n for n in mine if n not in first] and (not grouped or groups), \
            f"--tags {tag} selects no task of its own section: {mine}"
    else:
        # an include_role: --tags reaches the role's tasks only through an include that carries the tag; the three
        # sit in playbooks/tasks/site_optional.yml, whose include (tagged always) --list-tasks lists but does not open
        assert OPTIONAL in names, (tag, names)
        include = [task.get("tags", []) for task in OPTIONAL_TASKS if task.get("name") == INCLUDE_NAMES[role]]
        assert include and tag in include[0], (tag, include)
    # of the other roles, only what is tagged always (their read-only pre-flights, the driver's post-check and report)
    others = [name for name, tags in tasks if any(r in tags for r in SITE_ROLES if r != role) and "always" not in tags]
    assert not others, (tag, others)


def test_an_include_inside_a_section_runs_whole_when_selected():
    # An include's tasks do not inherit the include's tags: without `apply: tags`, --tags <section> would run the
    # include and skip every task in it (gpu_state's settings, container_toolkit's package offer).
    def walk(tasks):
        for task in tasks or []:
            yield task
            for part in ("block", "rescue", "always"):
                yield from walk(task.get(part))

    missing = []
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        for task in walk(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for key in ("ansible.builtin.include_tasks", "ansible.builtin.include_role"):
                if key in task and not ((task[key] if isinstance(task[key], dict) else {}).get("apply") or {}).get("tags"):
                    missing.append(f"{path.relative_to(ROOT)}: {task.get('name')}")
    assert not missing, missing


def test_skipping_a_section_keeps_the_preflight_and_the_report():
    names = [name.split(" : ", 1)[-1] for name, tags in list_tasks("nvidia_driver_reboot", "--skip-tags")]
    assert "Resolve the driver and check that the package sources can satisfy it" in names
    # the sections that change the host (with the post-check) are one include, tagged always
    assert "Sections that change the host (install, nouveau, module parameters, holds, post-check, reload, local fact)" \
        in names
    assert "Report what was done (for playbooks such as site.yml; no extra call on the host)" in names
    assert "Decide about the reboot" not in names and "Reboot when decided, then check the driver again" not in names
    assert SAID in names


def test_skipping_a_role_leaves_all_of_it_out():
    tasks = list_tasks("nvidia_driver", "--skip-tags")
    assert not [name for name, tags in tasks if "nvidia_driver" in tags], tasks
    assert [name for name, tags in tasks if "persistenced_preflight" in tags]
    assert SAID in [name for name, tags in tasks]

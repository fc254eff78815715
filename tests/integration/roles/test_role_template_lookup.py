# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup gpuhost.provision.role_template against ansible.builtin.template's lookup, on every template a role hashes
in its pre-flight: the same text, byte for byte, or a role would see its own file as changed on every run.

Each case runs ansible-playbook on the controller with the role's defaults and vars loaded and the role's templates
directory as the play's `templates/`, renders the file with both lookups and compares them; the template action
writes what the builtin lookup renders (both take ansible_managed and the other template variables from ansible-core's
generate_ansible_template_vars), and the molecule scenarios' idempotence runs show it on real hosts.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]

# (role, template, extra variables that the role's own tasks would have set by then)
CASES = [
    ("persistenced", "nvidia-persistenced.service.j2", {}),
    ("persistenced", "nvidia-persistenced.service.j2", {"persistenced_user": "root", "persistenced_verbose": True}),
    ("nvidia_driver", "blacklist-nouveau.conf.j2", {}),
    # the memory limits as inputs.yml sets them (mps_plan's answer, one device and limit each)
    ("mps", "nvidia-cuda-mps-control.service.j2", {"__mps_mem_limits": [], "mps_default_active_thread_percentage": 50}),
    ("mps", "nvidia-cuda-mps-control.service.j2", {"__mps_mem_limits": [{"device": "0", "limit": "8G"},
                                                                        {"device": "1", "limit": "16G"}]}),
    ("mps", "nvidia-mps.sh.j2", {}),
    ("k8s_gpu_sharing", "device-plugin-config.yaml.j2", {}),
]


def render_both(tmp_path: pathlib.Path, role: str, template: str, extra: dict):
    """Render with both lookups; return the completed ansible-playbook run and the two texts (None on failure)."""
    (tmp_path / "templates").symlink_to(ROOT / "roles" / role / "templates")
    files = [str(p) for p in (ROOT / "roles" / role / "defaults" / "main.yml", ROOT / "roles" / role / "vars" / "main.yml")
             if p.is_file()]
    play = [{
        "hosts": "all",
        "gather_facts": False,
        "vars_files": files,
        "vars": extra,
        "tasks": [{
            "name": "Render",
            "ansible.builtin.copy": {
                "dest": str(tmp_path / "out.yml"),
                "mode": "0644",
                "content": "{{ {'builtin': lookup('ansible.builtin.template', '%s'),"
                           " 'role_template': lookup('gpuhost.provision.role_template', '%s')} | to_yaml }}"
                           % (template, template),
            },
        }],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_NOCOLOR": "1"}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")]
    run = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    out = tmp_path / "out.yml"
    texts = yaml.safe_load(out.read_text(encoding="utf-8")) if out.is_file() else None
    return run, texts


@pytest.mark.parametrize("role, template, extra", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_the_same_text_as_the_builtin_template_lookup(tmp_path, role, template, extra):
    run, texts = render_both(tmp_path, role, template, extra)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert texts["role_template"] == texts["builtin"]
    assert texts["role_template"].endswith("\n")   # trailing newline kept, as the template action writes it
    assert "# Ansible managed" in texts["role_template"].splitlines()[:3]   # the comment filter's three lines


def test_a_user_set_ansible_managed_wins(tmp_path):
    run, texts = render_both(tmp_path, "nvidia_driver", "blacklist-nouveau.conf.j2", {"ansible_managed": "fleet config"})
    assert run.returncode == 0, run.stdout[-3000:]
    assert texts["role_template"] == texts["builtin"]
    assert texts["role_template"].splitlines()[:3] == ["#", "# fleet config", "#"]


def test_a_missing_template_fails_naming_it(tmp_path):
    (tmp_path / "templates").mkdir()
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"ansible.builtin.debug": {"msg": "{{ lookup('gpuhost.provision.role_template', 'absent.j2') }}"}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c",
                          "local", str(tmp_path / "play.yml")], capture_output=True, text=True, env=env, check=False,
                         cwd=tmp_path)
    assert run.returncode != 0
    assert "the template file absent.j2 could not be found" in run.stdout + run.stderr

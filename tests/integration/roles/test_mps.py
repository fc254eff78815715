# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role mps: its unit template, table-driven (the input checks are the mps_plan filter's, unit-tested in
tests/unit/plugins/filter/test_mps_plan.py).

The molecule scenarios run the role for one configuration; these tables cover the other forms (all GPUs,
no defaults, other directories, MIG selectors).
"""
from __future__ import annotations

import os

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import FilterModule

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "mps")
UUID = "2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"


def render(**overrides):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)  # as ansible.builtin.template renders
    env.filters.update(FilterModule().filters())
    with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)
    variables.update(ansible_managed="Ansible managed", __mps_mem_limits=[])
    variables.update(overrides)
    return env.get_template("nvidia-cuda-mps-control.service.j2").render(**variables)


def service(text):
    lines = text.splitlines()
    return [ln for ln in lines[lines.index("[Service]") + 1:lines.index("[Install]")] if ln]


BINARY = "/usr/bin/nvidia-cuda-mps-control"


@pytest.mark.parametrize("overrides,expected", [
    ({}, [  # the defaults: all GPUs, no defaults sent
        "Type=forking",
        "Environment=CUDA_MPS_PIPE_DIRECTORY=/run/nvidia-mps",
        "Environment=CUDA_MPS_LOG_DIRECTORY=/var/log/nvidia-mps",
        "RuntimeDirectory=nvidia-mps",
        "RuntimeDirectoryMode=0755",
        "LogsDirectory=nvidia-mps",
        f"ExecStart={BINARY} -d",
        f"ExecStop=/bin/sh -c 'echo quit | exec {BINARY}'",
        "Restart=on-failure",
    ]),
    ({"mps_gpus": [0, "2"], "mps_default_active_thread_percentage": 25,
      "__mps_mem_limits": [{"device": 0, "limit": "20G"}, {"device": 1, "limit": "512M"}],
      "mps_pipe_directory": "/run/mps/pipe", "mps_log_directory": "/var/log/gpu/mps",
      "mps_binary": "/opt/nvidia/bin/nvidia-cuda-mps-control"}, [
        "Type=forking",
        "Environment=CUDA_MPS_PIPE_DIRECTORY=/run/mps/pipe",
        "Environment=CUDA_MPS_LOG_DIRECTORY=/var/log/gpu/mps",
        "Environment=CUDA_VISIBLE_DEVICES=0,2",
        "RuntimeDirectory=mps/pipe",
        "RuntimeDirectoryMode=0755",
        "LogsDirectory=gpu/mps",
        "ExecStart=/opt/nvidia/bin/nvidia-cuda-mps-control -d",
        "ExecStartPost=/bin/sh -c 'echo set_default_active_thread_percentage 25 | exec "
        "/opt/nvidia/bin/nvidia-cuda-mps-control'",
        "ExecStartPost=/bin/sh -c 'echo set_default_device_pinned_mem_limit 0 20G | exec "
        "/opt/nvidia/bin/nvidia-cuda-mps-control'",
        "ExecStartPost=/bin/sh -c 'echo set_default_device_pinned_mem_limit 1 512M | exec "
        "/opt/nvidia/bin/nvidia-cuda-mps-control'",
        "ExecStop=/bin/sh -c 'echo quit | exec /opt/nvidia/bin/nvidia-cuda-mps-control'",
        "Restart=on-failure",
    ]),
    ({"mps_gpus": [f"MIG-{UUID}"], "mps_default_active_thread_percentage": 100}, [
        "Type=forking",
        "Environment=CUDA_MPS_PIPE_DIRECTORY=/run/nvidia-mps",
        "Environment=CUDA_MPS_LOG_DIRECTORY=/var/log/nvidia-mps",
        f"Environment=CUDA_VISIBLE_DEVICES=MIG-{UUID}",
        "RuntimeDirectory=nvidia-mps",
        "RuntimeDirectoryMode=0755",
        "LogsDirectory=nvidia-mps",
        f"ExecStart={BINARY} -d",
        f"ExecStartPost=/bin/sh -c 'echo set_default_active_thread_percentage 100 | exec {BINARY}'",
        f"ExecStop=/bin/sh -c 'echo quit | exec {BINARY}'",
        "Restart=on-failure",
    ]),
], ids=["defaults", "selected-with-limits-and-other-paths", "mig-device"])
def test_unit_template(overrides, expected):
    text = render(**overrides)
    assert text.startswith("#\n# Ansible managed\n#\n")
    assert service(text) == expected
    lines = text.splitlines()
    assert "After=nvidia-persistenced.service" in lines
    assert "WantedBy=multi-user.target" in lines
    assert not any(ln.startswith(("User=", "Group=")) for ln in lines)


def test_profile_template():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")))
    env.filters.update(FilterModule().filters())
    text = env.get_template("nvidia-mps.sh.j2").render(ansible_managed="Ansible managed",
                                                       mps_pipe_directory="/run/mps/pipe")
    assert "export CUDA_MPS_PIPE_DIRECTORY=/run/mps/pipe" in text.splitlines()

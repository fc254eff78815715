# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mps role's input errors that the controller decides (its argument spec and the mps_plan filter), through
site.yml's input play: one host per bad input, all in one ansible-playbook run.

Each host carries the variables of molecule/mps-debian12 (two GPUs by UUID, a thread percentage, pinned memory
limits for devices 0 and 1) with one value made wrong, and must be refused with the same one-line message the
molecule scenario asked of the role. The hosts are addresses nothing answers (as in test_site_inputs.py): a
refusal that reached any host, or a case the play let through to the roles, shows up as a contacted host. The
refusals that need the host's own state (mps_start: true without a GPU; mps_install: false without the binary)
and one of these input errors (the role's own wiring, outside site.yml) stay in molecule/mps-debian12.
"""
from __future__ import annotations

import re

import pytest

from test_site_inputs import run_site, table_row

GOOD = {"nvidia_driver_cuda_version": "12.2", "gpuhost_mps": True,
        "mps_gpus": ["GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e", "GPU-7c1d0e2f-0a9b-4c8d-9e7f-6a5b4c3d2e1f"],
        "mps_default_active_thread_percentage": 50,
        "mps_default_device_pinned_mem_limit": {0: "8G", 1: "512M"}}

# case: (the one wrong value, a regex the one-line refusal must match after site.yml's "input: ")
CASES = {
    "percentage-0": ({"mps_default_active_thread_percentage": 0},
                     r"^mps_default_active_thread_percentage 0 is outside 1-100; give the share"),
    "percentage-101": ({"mps_default_active_thread_percentage": 101},
                       r"^mps_default_active_thread_percentage 101 is outside 1-100"),
    "percentage-not-a-number": ({"mps_default_active_thread_percentage": "half"},
                                r"mps_default_active_thread_percentage.*int"),
    "limit-unit-unknown": ({"mps_default_device_pinned_mem_limit": {0: "8GB"}},
                           r'value\(s\) "8GB" are not an integer followed by M or G'),
    "limit-key-not-an-ordinal": ({"mps_default_device_pinned_mem_limit": {"gpu0": "8G"}},
                                 r'device key\(s\) "gpu0" are not device ordinals'),
    "limit-device-beyond-selection": ({"mps_default_device_pinned_mem_limit": {0: "8G", 2: "8G"}},
                                      r"device\(s\) 2 do not exist. mps_gpus selects 2 GPU"),
    "limit-not-a-mapping": ({"mps_default_device_pinned_mem_limit": ["8G"]},
                            r"mps_default_device_pinned_mem_limit.*dict"),
    "gpu-by-pci-bus-id": ({"mps_gpus": ["0000:3b:00.0"]},
                          r'selector\(s\) "0000:3b:00.0" not understood by CUDA_VISIBLE_DEVICES; use all or a list '
                          r"of full GPU UUIDs"),
    "gpus-comma-string": ({"mps_gpus": "0,1"}, r'mps_gpus "0,1". neither all nor a non-empty list'),
    "gpu-twice": ({"mps_gpus": [0, "0"]}, r"listed twice: 0;"),
    "start-policy-unknown": ({"mps_start": "sometimes"}, r"mps_start.*(auto, true, false|auto, 'true', 'false')"),
    "pipe-directory-outside-run": ({"mps_pipe_directory": "/tmp/nvidia-mps"},
                                   r'^mps_pipe_directory "/tmp/nvidia-mps" is not a directory under /run'),
    "log-directory-climbs-out": ({"mps_log_directory": "/var/log/../../etc"},
                                 r'^mps_log_directory "/var/log/../../etc" is not a directory under /var/log'),
}


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """One site.yml run: a host per case, named by the case."""
    hosts = {case: {**GOOD, **bad} for case, (bad, _regex) in CASES.items()}
    return run_site(tmp_path_factory.mktemp("mps-inputs"), hosts)


def test_no_host_is_contacted(refused):
    run, results = refused
    assert run.returncode == 2, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout and "Resolve the driver" not in run.stdout, run.stdout[-3000:]
    assert results["localhost"]["msg"][-1] == f"{len(CASES)} host(s): 0 done, {len(CASES)} failed or not run"


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_with_one_line_naming_the_variable(refused, case):
    _run, results = refused
    # the reason is the host's row of the fleet table; the last play fails the host pointing at it
    assert results[case]["msg"] == "input: failed, see the fleet table above", results[case]
    row = table_row(results, case)
    assert row.startswith(case + " | FAILED | - | - | - | "), row
    message = row[len(case + " | FAILED | - | - | - | "):]
    assert message.startswith("input: "), message
    assert "\n" not in message
    text = message[len("input: "):]
    assert re.search(CASES[case][1], text), text
    # an argument-spec error names only this variable (one error per refusal, as the molecule helper required)
    if text.startswith("role mps: "):
        assert set(re.findall(r"mps_[a-z_]+", text)) == set(CASES[case][0]), text

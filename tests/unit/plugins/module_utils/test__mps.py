# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mps role's check of a running daemon's defaults (unit arithmetic of its answers) and its summary line."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.mps import FilterModule as MpsFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._mps import limit_matches, mps_defaults_wrong, mps_summary


def test_registered_under_their_names():
    assert MpsFilters().filters()["mps_defaults_wrong"] is mps_defaults_wrong
    assert MpsFilters().filters()["mps_summary"] is mps_summary


@pytest.mark.parametrize("wanted,shown,ok", [
    ("512M", "512M", True), ("512M", "513M", False), ("2G", "2048M", True), ("2G", "2G", True),
    # the daemon rounds a limit down to whole GiB when it shows G
    ("2560M", "2G", True), ("3072M", "2G", False), ("2047M", "2G", False), ("1G", "1G", True),
    ("512M", "", False), ("512M", "512", False), ("512M", "0.5G", False), ("512M", "512 M", False),
])
def test_limit_matches(wanted, shown, ok):
    assert limit_matches(wanted, shown) is ok


def test_what_differs():
    percentage = {"stdout": "40\n", "changed": False}
    limits = [{"item": {"device": 0, "limit": "2G"}, "stdout": "2G"},
              {"item": {"device": 1, "limit": "512M"}, "stdout": "1G"},
              {"item": {"device": 2, "limit": "512M"}, "stdout": ""},
              {"item": {"device": 3, "limit": "1G"}, "skipped": True}]
    assert mps_defaults_wrong(percentage, 50, limits) == [
        "active thread percentage 40 instead of 50", "device 1 pinned memory limit 1G instead of 512M",
        "device 2 pinned memory limit none instead of 512M"]


@pytest.mark.parametrize("answer,wanted,wrong", [
    ({"stdout": "50.0"}, 50, []), ({"stdout": "50"}, "50", []), ({"stdout": "x"}, 50, True),
    ({"skipped": True}, 50, []), ({"stdout": "50"}, None, []),
])
def test_the_percentage(answer, wanted, wrong):
    assert bool(mps_defaults_wrong(answer, wanted, [])) is bool(wrong)


REPORT = {"unit": "/etc/systemd/system/nvidia-mps.service", "unit_changed": False, "unmasked": [],
          "package": "nvidia-cuda-mps", "package_version": "535.261.03-1", "package_installed_now": False,
          "pipe_directory": "/run/nvidia-mps", "log_directory": "/var/log/nvidia-mps", "gpus": ["0", "1"],
          "default_active_thread_percentage": None, "default_device_pinned_mem_limit": [], "started": True,
          "active": True, "verified": True, "not_exclusive_process": []}
HEAD = "/etc/systemd/system/nvidia-mps.service (pipe /run/nvidia-mps, log /var/log/nvidia-mps, GPUs 0,1"


@pytest.mark.parametrize("change,kw,line", [
    ({}, {}, HEAD + ") written and enabled; started and verified"),
    ({"default_active_thread_percentage": 50, "gpus": "all",
      "default_device_pinned_mem_limit": [{"device": 0, "limit": "2G"}, {"device": 1, "limit": "512M"}]}, {},
     "/etc/systemd/system/nvidia-mps.service (pipe /run/nvidia-mps, log /var/log/nvidia-mps, GPUs all, active threads "
     "50%, pinned memory 0=2G,1=512M) written and enabled; started and verified"),
    ({"package_installed_now": True, "unit_changed": True, "started": False, "active": False}, {"check_mode": True},
     "would install nvidia-cuda-mps 535.261.03-1; " + HEAD + ") would be written and enabled; not started (no NVIDIA "
     "GPU visible on the PCI bus, mps_start: auto); it starts at boot once a GPU is present"),
    ({"started": False, "unit_changed": True, "verified": False}, {"start": "false"},
     HEAD + ") written and enabled; already running, left as it is (mps_start: false); it keeps its old settings "
     "until it is restarted"),
    ({"started": False, "active": False}, {"systemd": False},
     HEAD + ") written and enabled; not started (systemd does not run on this host)"),
    ({"unmasked": ["/etc/systemd/system/nvidia-mps.service"], "not_exclusive_process": ["00000000:3B:00.0"]}, {},
     HEAD + ") written and enabled; started and verified; unmasked /etc/systemd/system/nvidia-mps.service; compute "
     "mode is not EXCLUSIVE_PROCESS on 00000000:3B:00.0 (MPS is normally paired with it: role gpuhost.provision."
     "gpu_state)"),
])
def test_the_summary(change, kw, line):
    assert mps_summary(dict(REPORT, **change), **kw) == line

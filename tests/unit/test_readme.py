# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""README's path for one's own hosts works as written on the demo's distribution (Debian 12)."""
from __future__ import annotations

import pathlib
import re

import yaml

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import driver_at_least, resolve_min_driver

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Debian 12's archive: nvidia-driver 535.x (the oldest 535 it has had; docs/hardware.md and DESIGN's facts)
DEBIAN12_DRIVER = "535.261.03"


def _inventory():
    block = re.search(r"```yaml\n# inventory\.yml\n(.*?)```", README, re.S).group(1)
    return yaml.safe_load(block)["gpu_nodes"]["vars"]


def test_the_example_cuda_version_is_one_debian_12_serves():
    cuda = _inventory()["nvidia_driver_cuda_version"]
    assert isinstance(cuda, str), "quote it: YAML reads 12.10 as 12.1"
    assert driver_at_least(DEBIAN12_DRIVER, resolve_min_driver(cuda).min_driver), cuda


def test_the_fresh_host_scenario_runs_the_readme_s_request():
    # molecule/site-check-fresh runs README's first step (site --check --diff) on a fresh Debian 12 host
    scenario = yaml.safe_load((ROOT / "molecule" / "site-check-fresh" / "molecule.yml").read_text(encoding="utf-8"))
    group = scenario["provisioner"]["inventory"]["group_vars"]["gpu_nodes"]
    assert group["nvidia_driver_cuda_version"] == _inventory()["nvidia_driver_cuda_version"]


def test_the_install_from_a_clone_is_spelled_out():
    section = README.split("### On your own GPU hosts", 1)[1].split("\n### ", 1)[0]
    for step in ("git clone", "ansible-galaxy collection build", "ansible-galaxy collection install",
                 "ANSIBLE_COLLECTIONS_PATH", "ansible_python_interpreter", "ansible-core>=2.19"):
        assert step in section, step
    # which CUDA versions each distribution's own archive serves, and the way past it
    for row in ("Debian 12 (bookworm)", "Debian 13 (trixie)", "Ubuntu 22.04 / 24.04", "RHEL / Rocky / Alma"):
        assert row in section, row
    assert "nvidia_driver_source: cuda_repo" in section and "nvidia_driver_build_module: false" in section

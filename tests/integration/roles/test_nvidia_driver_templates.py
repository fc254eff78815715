# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia_driver role's dkms and modprobe.d templates, rendered with Ansible's filters and the collection's, then
read the way their consumers read them: dkms sources its framework configuration with bash."""
from __future__ import annotations

import os
import subprocess

import jinja2
from ansible.plugins.filter.core import FilterModule

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import nvidia_module_options

TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "nvidia_driver", "templates")


def render(name, **variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(FilterModule().filters())
    env.filters["gpuhost.provision.nvidia_module_options"] = nvidia_module_options
    return env.get_template(name).render(ansible_managed="Ansible managed", **variables)


def test_dkms_reads_the_key_paths_even_with_blanks(tmp_path):
    conf = tmp_path / "mok.conf"
    conf.write_text(render("dkms-mok.conf.j2", nvidia_driver_mok_key="/root/my keys/mok.key",
                           nvidia_driver_mok_cert="/root/my keys/mok.der"), encoding="utf-8")
    out = subprocess.run(["bash", "-c", '. "$1"; printf "%s|%s" "$mok_signing_key" "$mok_certificate"', "_", str(conf)],
                         capture_output=True, text=True, check=True).stdout
    assert out == "/root/my keys/mok.key|/root/my keys/mok.der"
    assert conf.read_text(encoding="utf-8").startswith("#\n# Ansible managed\n#\n")


def test_modprobe_line():
    params = {"NVreg_PreserveVideoMemoryAllocations": 1, "NVreg_RegistryDwords": "RMUseSwI2c=0x01;x=1"}
    text = render("nvidia-params.conf.j2", nvidia_driver_module_params=params)
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        'options nvidia NVreg_PreserveVideoMemoryAllocations=1 NVreg_RegistryDwords="RMUseSwI2c=0x01;x=1"']

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container_toolkit role's reasons to run ldconfig, and the runtimes whose configuration would change."""
from __future__ import annotations

import base64

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.container_toolkit import FilterModule as ToolkitFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import (
    ldconfig_reasons,
    runtimes_to_configure,
)

LIB = "/usr/lib/x86_64-linux-gnu/"
CACHED = [LIB + "libnvidia-ml.so.1", LIB + "libcuda.so.1", LIB + "libnvidia-ptxjitcompiler.so.1",
          LIB + "libnvidia-cfg.so.1", LIB + "libnvidia-ml.so.1"]


def test_registered_under_their_names():
    assert ToolkitFilters().filters()["ldconfig_reasons"] is ldconfig_reasons
    assert ToolkitFilters().filters()["runtimes_to_configure"] is runtimes_to_configure


@pytest.mark.parametrize("mode,kw,reasons", [
    ("always", {"driver_installed": ["nvidia-driver"]}, ["container_toolkit_ldconfig is always"]),
    ("never", {"driver_installed": ["nvidia-driver"], "driver_changed": True}, []),
    ("auto", {}, []),
    ("auto", {"cached": CACHED, "present": CACHED}, []),
    ("auto", {"driver_installed": ["nvidia-driver=535.261.03-1", "libnvidia-ml1=535.261.03-1"]},
     ["gpuhost.provision.nvidia_driver installed nvidia-driver=535.261.03-1, libnvidia-ml1=535.261.03-1"]),
    ("auto", {"driver_changed": True}, ["container_toolkit_driver_changed is true"]),
    ("auto", {"driver_changed": "false"}, []),
    # a name the cache lists twice counts once; the first three are named
    ("auto", {"cached": CACHED, "present": [LIB + "libcuda.so.1"]},
     ["NVIDIA libraries in the cache that are gone: 3 (" + LIB + "libnvidia-ml.so.1, " + LIB
      + "libnvidia-ptxjitcompiler.so.1, " + LIB + "libnvidia-cfg.so.1)"]),
    ("auto", {"cache_stat": {"exists": True, "mtime": 100.0},
              "libraries": [{"path": LIB + "libcuda.so.535.261.03", "ctime": 150.0},
                            {"path": LIB + "libnvidia-ml.so.535.261.03", "ctime": 50.0}]},
     ["NVIDIA libraries newer than the cache: 1 (libcuda.so.535.261.03)"]),
    # no cache file: every library is newer
    ("auto", {"cache_stat": {"exists": False}, "libraries": [{"path": LIB + "libcuda.so.1", "ctime": 1.0}]},
     ["NVIDIA libraries newer than the cache: 1 (libcuda.so.1)"]),
])
def test_reasons(mode, kw, reasons):
    assert ldconfig_reasons(mode, **kw) == reasons


def _slurp(text):
    return {"content": base64.b64encode(text.encode()).decode()}


def test_runtimes_to_configure():
    dry = [{"__container_toolkit_runtime": "containerd", "stdout": "version = 2\n[plugins]\n"},
           {"__container_toolkit_runtime": "docker", "stdout": '{"runtimes": {"nvidia": {}}}'}]
    current = [_slurp("version = 2\n[plugins]"), {"failed": True, "msg": "file not found"}]
    assert runtimes_to_configure(["containerd", "docker"], dry, current) == ["docker"]
    assert runtimes_to_configure(["containerd", "docker"], dry, current + [_slurp('{"runtimes": {"nvidia": {}}}')]) == []
    # nvidia-ctk not installed yet: every runtime, the dry runs were skipped
    assert runtimes_to_configure(["crio"], [{"skipped": True}], [], ctk_present=False) == ["crio"]

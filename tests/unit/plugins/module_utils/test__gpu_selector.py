# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one GPU selector grammar: what each form parses to, and the subset CUDA_VISIBLE_DEVICES takes. Its users
(select_gpus, gpu_state_plan, mps_plan) are tested with their own messages in their own files."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.gpu_state import selector_id
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_selector import cuda_visible_device, parse_selector

UUID = "2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"


@pytest.mark.parametrize("selector,parsed,cuda,state_id", [
    ("all", ("all", "all"), False, "all"),
    (" ALL ", ("all", "all"), False, "all"),
    (0, ("index", 0), True, "index:0"),
    ("12", ("index", 12), True, "index:12"),
    ("GPU-" + UUID, ("uuid", "GPU-" + UUID), True, "uuid:gpu-" + UUID),
    ("gpu-" + UUID.upper(), ("uuid", "gpu-" + UUID.upper()), False, "uuid:gpu-" + UUID),
    ("MIG-" + UUID, ("mig", "MIG-" + UUID), True, None),
    ("MIG-GPU-%s/1/0" % UUID, ("mig", "MIG-GPU-%s/1/0" % UUID), True, None),
    ("0000:3b:00.0", ("pci", "00000000:3B:00.0"), False, "pci:00000000:3b:00.0"),
    ("3b:00.0", ("pci", "00000000:3B:00.0"), False, "pci:00000000:3b:00.0"),
    ("GPU-nope", None, False, None),
    ("MIG-GPU-%s" % UUID, None, False, None),
    ("0,1", None, False, None),
    (True, None, False, None),
    ([0], None, False, None),
    ("", None, False, None),
    ("0\n", ("index", 0), False, "index:0"),
])
def test_one_grammar(selector, parsed, cuda, state_id):
    assert parse_selector(selector) == parsed
    assert cuda_visible_device(selector) is cuda
    if not isinstance(selector, (bool, list)):
        assert selector_id(selector) == state_id

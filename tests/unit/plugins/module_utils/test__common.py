# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pieces modules share: C-locale commands, root check, argument spec, per-GPU diff, failing from an error."""
from __future__ import annotations

import os

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _common
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml_errors import LibraryNotFound, NoPermission


class Recorder:
    def __init__(self):
        self.calls = []
        self.failed = None

    def run_command(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        return 0, "out", "err"

    def fail_json(self, **kwargs):
        self.failed = kwargs


def test_run_c_locale_passes_argv_and_c_locale_without_sharing_the_dict():
    module = Recorder()
    assert _common.run_c_locale(module, ["/usr/bin/nvidia-smi", "-L"]) == (0, "out", "err")
    argv, kwargs = module.calls[0]
    assert argv == ["/usr/bin/nvidia-smi", "-L"] and kwargs == {"environ_update": {"LANG": "C", "LC_ALL": "C"}}
    kwargs["environ_update"]["LANG"] = "de_DE.UTF-8"
    assert _common.C_LOCALE == {"LANG": "C", "LC_ALL": "C"}


@pytest.mark.parametrize("euid,expected", [(0, True), (1000, False)])
def test_is_root(monkeypatch, euid, expected):
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    assert _common.is_root() is expected


def test_gpu_selection_spec_matches_the_doc_fragment():
    import yaml
    from ansible_collections.gpuhost.provision.plugins.doc_fragments.gpu_selection import ModuleDocFragment
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = _common.gpu_selection_spec()
    assert set(spec) == set(documented)
    for name, option in spec.items():
        for key in ("type", "default", "choices", "elements"):
            assert option.get(key) == documented[name].get(key), (name, key)


def test_per_gpu_diff_keys_by_bus_id_else_index():
    gpus = [{"index": 0, "pci_bus_id": "00000000:3B:00.0", "before": False, "after": True},
            {"index": 1, "pci_bus_id": None, "before": True, "after": True}]
    assert _common.per_gpu_diff(gpus) == {"before": {"00000000:3B:00.0": False, "1": True},
                                          "after": {"00000000:3B:00.0": True, "1": True}}
    view = _common.per_gpu_diff(gpus, lambda gpu, side: {"on": gpu[side], "side": side})
    assert view["after"]["1"] == {"on": True, "side": "after"} and view["before"]["1"]["side"] == "before"


def test_root_message_is_one_line_and_names_the_gpus():
    msg = _common.root_message("Changing MIG", ["00000000:3B:00.0", "index 1"])
    assert msg == ("Changing MIG needs root (GPU(s) 00000000:3B:00.0, index 1 would change): run the task with "
                   "become: true")


def test_fail_from_adds_traceback_only_when_there_is_one():
    module = Recorder()
    _common.fail_from(module, NoPermission(), changed=False)
    assert module.failed == {"msg": NoPermission.default, "changed": False}
    _common.fail_from(module, LibraryNotFound("no pynvml", traceback="Traceback ..."))
    assert module.failed == {"msg": "no pynvml", "exception": "Traceback ..."}

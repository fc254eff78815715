# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pieces every module of the collection repeats (private module_utils, not an API): running a command in the C
locale, the root check, the shared ``gpus``/``backend`` argument spec, and the per-GPU before/after diff.
"""
from __future__ import annotations

import os

# Commands run with the C locale so that their output (and error text) can be parsed.
C_LOCALE = {"LANG": "C", "LC_ALL": "C"}
BACKENDS = ("auto", "nvml", "nvidia_smi")


def run_c_locale(module, argv: list) -> tuple:
    """module.run_command(argv) with LANG=C and LC_ALL=C: (rc, stdout, stderr). argv is a list, never a shell string."""
    return module.run_command(argv, environ_update=dict(C_LOCALE))


def is_root() -> bool:
    return os.geteuid() == 0


def backend_spec(choices=BACKENDS, default="auto") -> dict:
    """The ``backend`` option (documented by the gpuhost.provision.gpu_selection doc fragment)."""
    return dict(type="str", default=default, choices=list(choices))


def gpu_selection_spec() -> dict:
    """The ``gpus`` and ``backend`` options of the modules that change GPUs (doc fragment gpu_selection)."""
    return dict(gpus=dict(type="list", elements="raw", default=["all"]), backend=backend_spec())


def gpu_key(gpu: dict) -> str:
    """How diffs and messages name a GPU: its PCI bus id, else its index."""
    return gpu["pci_bus_id"] or str(gpu["index"])


def per_gpu_diff(gpus: list, view=None) -> dict:
    """{'before': {gpu: ...}, 'after': {gpu: ...}} from per-GPU results with 'before' and 'after'.

    ``view(gpu, side)`` picks what to show for one side ('before' or 'after'); by default ``gpu[side]``."""
    view = view or (lambda gpu, side: gpu[side])
    return dict((side, dict((gpu_key(gpu), view(gpu, side)) for gpu in gpus)) for side in ("before", "after"))


def root_message(what: str, labels: list) -> str:
    """The one-line refusal for a change that needs root; the module checks is_root() itself."""
    return "%s needs root (GPU(s) %s would change): run the task with become: true" % (what, ", ".join(labels))


def fail_from(module, exc, **extra) -> None:
    """fail_json for a domain error: its one-line message, and its traceback when it carries one."""
    if getattr(exc, "traceback", None):
        extra["exception"] = exc.traceback
    module.fail_json(msg=str(exc), **extra)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Put on PYTHONPATH by the hardware playbook tests: every NVML setter, reset and create/destroy call raises in
every Python process they start (the modules included), a guard on top of check mode on a shared machine."""
import re

try:
    import pynvml
except ImportError:  # no NVML bindings: nothing to guard
    pynvml = None

if pynvml is not None:
    _VERBS = re.compile(r"^nvml[A-Za-z]*?(Set|Reset|Clear|Create|Destroy|Modify|Remove|Discover)[A-Z]")

    def _refuse(name):
        def refuse(*_args, **_kwargs):
            raise RuntimeError("hardware tests are read-only: %s refused" % name)
        return refuse

    for _name in dir(pynvml):
        if _VERBS.match(_name):
            setattr(pynvml, _name, _refuse(_name))

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters' one way to refuse: the domain errors a decision raises (module_utils raise, the filter reports)
become AnsibleFilterError with one line that starts with the filter's name.

Private plugin_utils: not an API.
"""
from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError


def refuses(name, *errors):
    """Decorate a filter function: any of ``errors`` it raises becomes ``AnsibleFilterError("<name>: <reason>")``;
    with ``name`` None the reason alone."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except errors as exc:
                raise AnsibleFilterError("%s: %s" % (name, exc) if name else str(exc)) from None
        return wrapper
    return decorate

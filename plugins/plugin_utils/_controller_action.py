# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The base of the actions that only check their arguments and variables on the controller (no connection to the
host, no file transfer): each says what its arguments are (ARGUMENT_SPEC) and what it makes of them (check).

Private plugin_utils: not an API.
"""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ControllerCheck(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: dict = {}

    def run(self, tmp=None, task_vars=None):
        result = super(ControllerCheck, self).run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        result["changed"] = False
        return self.check(args, task_vars or {}, result)

    def check(self, args, task_vars, result):
        """Fill ``result`` (msg, failed, what the action returns) from the validated ``args``; return it."""
        raise NotImplementedError

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The persistenced role's filters (their logic in module_utils/_persistenced.py): its plan and its report.
Documentation: one <filter>.yml each."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._persistenced import (
    persistenced_plan,
    persistenced_report,
)


class FilterModule(object):
    def filters(self):
        return {
            "persistenced_plan": persistenced_plan,
            "persistenced_report": persistenced_report,
        }

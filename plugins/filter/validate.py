# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""validate.yml's filters (their logic in module_utils/_health.py): the health rules of one host and the table of
hosts and problems. Documentation: one <filter>.yml each."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._health import host_health, validate_table


class FilterModule(object):
    def filters(self):
        return {
            "host_health": host_health,
            "validate_table": validate_table,
        }

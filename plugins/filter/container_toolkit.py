# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container_toolkit role's filters (their logic in module_utils/_container_toolkit.py): its plan, the runtimes
to configure, why ldconfig must run, and its report. Documentation: one <filter>.yml each."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import (
    ToolkitRefusal,
    container_toolkit_plan,
    container_toolkit_report,
    ldconfig_reasons,
    runtimes_to_configure,
)
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses


class FilterModule(object):
    def filters(self):
        return {
            "container_toolkit_plan": refuses("container_toolkit_plan", ToolkitRefusal)(container_toolkit_plan),
            "container_toolkit_report": container_toolkit_report,
            "ldconfig_reasons": ldconfig_reasons,
            "runtimes_to_configure": runtimes_to_configure,
        }

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Installed vs loaded vs NVML driver, reboot need and CUDA compatibility, read from a HostDriver.

Shared by driver_version_check (its whole answer) and nvidia_driver_plan (the same answer, read in the pre-flight,
so that a run that installs nothing needs no second module call to know it).
"""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    compare_driver_versions,
    driver_at_least,
    max_cuda_version,
    normalize_driver_version,
    resolve_min_driver,
    table_from,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line


class DriverCheck(object):
    """check = DriverCheck(host, cuda_version=..., compatibility=...); result, warnings = check.run()."""

    def __init__(self, host, cuda_version=None, driver_version=None, compatibility="toolkit", cuda_table=None,
                 resolved=None):
        self.host = host
        self.cuda_version = cuda_version
        self.driver_version = driver_version
        self.compatibility = compatibility
        self.cuda_table = cuda_table
        # (table, resolution) where the caller already resolved cuda_version against cuda_table (nvidia_driver_plan's
        # Planner): the CUDA request is resolved once per module execution
        self.resolved = resolved

    def validate(self):
        """Check the inputs before reading the host; raises CudaCompatError."""
        candidate = normalize_driver_version(self.driver_version) if self.driver_version is not None else None
        if self.resolved is not None:
            self.table, resolution = self.resolved
            return candidate, resolution
        self.table = table_from(self.cuda_table)
        resolution = None
        if self.cuda_version is not None:
            resolution = resolve_min_driver(self.cuda_version, self.compatibility, self.table)
        return candidate, resolution

    def run(self):
        candidate, resolution = self.validate()
        host = self.host
        result = {
            "kernel_module_version": host.kernel_module_version(),
            "kernel_module_flavor": host.kernel_module_flavor(),
            "userspace_version": host.userspace_version(),
            "installed_version": host.installed_version(),
            "compatibility": self.compatibility,
        }
        kernel, user, installed = result["kernel_module_version"], result["userspace_version"], result["installed_version"]
        mismatch = host.nvml_mismatch or bool(kernel and user and compare_driver_versions(kernel, user) != 0)
        reasons = []
        if mismatch:
            reasons.append("loaded kernel module %s differs from userspace driver %s (Driver/library version mismatch)"
                           % (kernel or "unknown", user or "unknown"))
        if installed and kernel and compare_driver_versions(installed, kernel) != 0:
            reasons.append("installed driver %s differs from loaded kernel module %s" % (installed, kernel))
        if installed and not kernel:
            reasons.append("driver %s is installed but no nvidia kernel module is loaded" % installed)
        result.update(mismatch=mismatch, reboot_required=bool(reasons), reboot_reasons=reasons)
        result.update(host.kernel_modules())
        if not (kernel or user or installed):
            result["kernels_without_module"] = []

        for source, version in (("candidate", candidate), ("kernel_module", kernel), ("userspace", user),
                                ("installed", installed)):
            if version:
                break
        else:
            source, version = None, None
        result.update(driver_version=version, driver_source=source)
        result["max_cuda_version"] = max_cuda_version(version, result["compatibility"], self.table) if version else None
        result["cuda_version"] = resolution.cuda_version if resolution else None
        result["required_min_driver"] = resolution.min_driver if resolution else None
        result["compatible"] = driver_at_least(version, resolution.min_driver) if resolution and version else None
        result["secure_boot"] = host.secure_boot()
        result["msg"] = self.summary(result)
        return result, (resolution.warnings if resolution else [])

    @staticmethod
    def summary(result):
        if result["driver_version"]:
            text = "driver %s (%s) runs CUDA up to %s" % (
                result["driver_version"], result["driver_source"], result["max_cuda_version"] or "none in the table")
        else:
            text = "no NVIDIA driver found (no package, kernel module or libnvidia-ml)"
        if result["cuda_version"]:
            verdict = {True: "compatible", False: "NOT compatible", None: "unknown"}[result["compatible"]]
            text += "; CUDA %s needs >= %s (%s): %s" % (
                result["cuda_version"], result["required_min_driver"], result["compatibility"], verdict)
        if result["reboot_required"]:
            text += "; reboot required: " + "; ".join(result["reboot_reasons"])
        if result.get("kernels_without_module"):
            text += "; no nvidia kernel module for kernel(s) %s" % ", ".join(result["kernels_without_module"])
        if result.get("secure_boot", {}).get("enabled"):
            text += "; Secure Boot on: modules must be signed by an enrolled key"
        return one_line(text)

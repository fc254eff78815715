#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: driver_version_check
short_description: Check the NVIDIA driver against a CUDA version and detect driver/library mismatches
version_added: 0.1.0
description:
  - Reports the installed driver (package manager), the loaded kernel module (C(/sys/module/nvidia/version)),
    the userspace version (NVML, or the C(libnvidia-ml.so.<version>) file name when NVML cannot initialise),
    and the kernel module flavor (open or proprietary, from C(/proc/driver/nvidia/version)).
  - Detects the "Failed to initialize NVML - Driver/library version mismatch" state (kernel module loaded from
    another driver than the userspace libraries, usually after an upgrade) and whether a reboot is required.
  - With O(cuda_version), resolves the minimum driver from NVIDIA's CUDA toolkit/driver table and says whether
    the driver is compatible; with O(driver_version), evaluates that candidate instead of the host's driver
    (pre-flight for a package candidate).
  - Works on a host with no GPU and no driver; it reports nulls instead of failing. It never changes anything.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  cuda_version:
    description:
      - CUDA version the workloads need, as V(12), V(12.4) or V(12.4.1) (quote it in YAML, V(12.10) is not V(12.1)).
      - V(12) means the lowest 12.x release, V(12.4) the 12.4 GA release, V(12.4.1) update 1 of 12.4,
        V(13.4.2) update 1 of 13.4 (see the notes).
      - When omitted, the module only reports.
    type: str
  driver_version:
    description:
      - Evaluate this driver version (two or three numeric parts, e.g. V(570.124.06)) instead of the host's.
      - A package epoch (V(1:)) and revision (V(-0ubuntu1)) are ignored.
    type: str
  compatibility:
    description:
      - V(toolkit) requires the driver the CUDA toolkit release lists as its minimum.
      - V(minor) accepts the lower minimum of CUDA minor-version compatibility (CUDA 11 and later,
        limited feature set).
    type: str
    choices: [toolkit, minor]
    default: toolkit
  fail_on_incompatible:
    description:
      - Fail when the driver is not compatible with O(cuda_version), or when no driver could be found.
    type: bool
    default: false
extends_documentation_fragment:
  - gpuhost.provision.read_only
  - gpuhost.provision.cuda_table
attributes:
  platform:
    description: Linux hosts, with or without NVIDIA GPUs and driver.
notes:
  - The table (see C(plugins/module_utils/_cuda_compat.py) and C(docs/cuda-table.md)) is NVIDIA's Linux
    x86_64 table from the CUDA Toolkit release notes, with the date it was read.
seealso:
  - module: gpuhost.provision.nvidia_gpu_facts
"""

EXAMPLES = r"""
- name: Is the loaded driver good for CUDA 12.4?
  gpuhost.provision.driver_version_check:
    cuda_version: "12.4"
  register: __driver

- name: Pre-flight a package candidate before installing it
  gpuhost.provision.driver_version_check:
    cuda_version: "13.0"
    driver_version: "580.95.05-0ubuntu1"
    fail_on_incompatible: true

- name: A CUDA release newer than the collection's table, with the driver branch from NVIDIA's release notes
  gpuhost.provision.driver_version_check:
    cuda_version: "13.6"
    cuda_table:
      "13.6": "630"

- name: Reboot when the kernel module does not match the userspace driver
  ansible.builtin.reboot:
  when: __driver.reboot_required
"""

RETURN = r"""
driver_version:
  description: The driver version evaluated, the candidate O(driver_version) if given, else the loaded kernel
    module, else the userspace library, else the installed package.
  returned: always
  type: str
  sample: "580.95.05"
driver_source:
  description: Where RV(driver_version) came from, V(candidate), V(kernel_module), V(userspace) or V(installed).
  returned: always
  type: str
  sample: kernel_module
installed_version:
  description: Highest NVIDIA driver version installed according to dpkg or rpm, or null.
  returned: always
  type: str
  sample: "580.95.05"
kernel_module_version:
  description: Version of the loaded nvidia kernel module, or null when none is loaded.
  returned: always
  type: str
  sample: "580.95.05"
userspace_version:
  description: Version of the userspace driver (NVML), or of the libnvidia-ml.so file when NVML cannot start.
  returned: always
  type: str
  sample: "580.95.05"
kernel_module_flavor:
  description: V(open) or V(proprietary) kernel module, from C(/proc/driver/nvidia/version); null if none loaded.
  returned: always
  type: str
  sample: open
mismatch:
  description: Whether the loaded kernel module and the userspace driver differ (NVML fails with
    "Driver/library version mismatch").
  returned: always
  type: bool
  sample: false
reboot_required:
  description: Whether a reboot is needed, mismatch, installed driver differing from the loaded module, or a
    driver installed with no module loaded.
  returned: always
  type: bool
  sample: false
reboot_reasons:
  description: One line per reason for RV(reboot_required).
  returned: always
  type: list
  elements: str
  sample: []
cuda_version:
  description: The normalised O(cuda_version), or null.
  returned: always
  type: str
  sample: "12.4"
required_min_driver:
  description: Minimum driver for RV(cuda_version) under O(compatibility), or null.
  returned: always
  type: str
  sample: "550.54.14"
compatible:
  description: Whether RV(driver_version) meets RV(required_min_driver); null without a CUDA version or driver.
  returned: always
  type: bool
  sample: true
max_cuda_version:
  description: Highest CUDA release in the table that RV(driver_version) runs under O(compatibility), or null.
  returned: always
  type: str
  sample: "13.0.2"
kernels:
  description: Every installed kernel that can boot (image in C(/boot) or C(/lib/modules/<release>)), oldest first,
    with the path of its nvidia kernel module (null when none is built or installed), whether it runs now and
    whether it boots next.
  returned: always
  type: list
  elements: dict
  sample: [{release: 6.1.0-57-amd64, module: /lib/modules/6.1.0-57-amd64/updates/dkms/nvidia-current.ko,
            running: false, boot: true}]
boot_kernel:
  description: The kernel that boots next (where C(/vmlinuz) or C(/boot/vmlinuz) points, else the newest
    installed), or null when no kernel image is installed.
  returned: always
  type: str
  sample: 6.1.0-57-amd64
secure_boot:
  description:
    - Whether UEFI Secure Boot is on (C(enabled), null when it cannot be read) and where that was read
      (C(source)), from C(mokutil --sb-state) where mokutil is installed, else the C(SecureBoot) EFI variable; a
      host without EFI variables booted without Secure Boot. With Secure Boot on, the kernel loads only modules signed
      by a key it trusts.
  returned: always
  type: dict
  sample: {enabled: false, source: "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"}
kernels_without_module:
  description: Installed kernels with no nvidia kernel module, while an NVIDIA driver is installed (empty
    without one). Booting such a kernel leaves the host without GPUs; install its headers so that DKMS builds
    the module (C(dkms autoinstall -k <release>)).
  returned: always
  type: list
  elements: str
  sample: []
compatibility:
  description: The compatibility rule used.
  returned: always
  type: str
  sample: toolkit
msg:
  description: One-line summary.
  returned: always
  type: str
  sample: "driver 580.95.05 (kernel_module) runs CUDA up to 13.0.2; CUDA 12.4 needs >= 550.54.14: compatible"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import CudaCompatError
from ansible_collections.gpuhost.provision.plugins.module_utils import _host_driver, _secure_boot
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_check import DriverCheck
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line

# Overridable by tests (module-internal).
SYS_MODULE_VERSION = "/sys/module/nvidia/version"
PROC_DRIVER_VERSION = "/proc/driver/nvidia/version"
NVML_LIB_DIRS = _host_driver.NVML_LIB_DIRS
DPKG_PATTERNS = _host_driver.DPKG_PATTERNS
EFIVARS = _secure_boot.EFIVARS


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cuda_version=dict(type="str"),
            driver_version=dict(type="str"),
            compatibility=dict(type="str", default="toolkit", choices=["toolkit", "minor"]),
            fail_on_incompatible=dict(type="bool", default=False),
            cuda_table=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    host = _host_driver.HostDriver(module, sys_module_version=SYS_MODULE_VERSION,
                                   proc_driver_version=PROC_DRIVER_VERSION, lib_dirs=NVML_LIB_DIRS, efivars=EFIVARS)
    params = module.params
    try:
        result, warnings = DriverCheck(host, cuda_version=params["cuda_version"], driver_version=params["driver_version"],
                                       compatibility=params["compatibility"], cuda_table=params["cuda_table"]).run()
    except CudaCompatError as exc:
        module.fail_json(msg=one_line(exc))
    for warning in warnings:
        module.warn(warning)
    if module.params["fail_on_incompatible"] and module.params["cuda_version"] is not None and not result["compatible"]:
        if result["driver_version"] is None:
            result["msg"] = ("No NVIDIA driver found to check against CUDA %s: install one "
                             "(role gpuhost.provision.nvidia_driver) or pass driver_version" % result["cuda_version"])
        module.fail_json(changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

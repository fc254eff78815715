# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The NVIDIA driver a host has, and where it came from (private module_utils, not an API).

Reads only: the loaded kernel module (``/sys/module/nvidia/version``, ``/proc/driver/nvidia/version``), the
userspace driver (NVML, else the ``libnvidia-ml.so.<version>`` file name), the package manager's view, and the
traces other installers leave. A driver on a real server is not always a package:

* NVIDIA's ``.run`` installer leaves ``nvidia-uninstall``/``nvidia-installer`` and
  ``/var/log/nvidia-installer.log`` and registers nothing with the package manager;
* container images and Kubernetes GPU operators provide or mount the userspace driver (``/usr/local/nvidia``
  is the usual mount point), again without packages;
* vendor distributions ship the driver under package names of their own.

``existing_driver()`` names the origin so that a role can keep such a driver instead of installing packages
over it, and can say what it found.
"""
from __future__ import annotations

import glob
import os
import platform
import re

from ansible_collections.gpuhost.provision.plugins.module_utils import _secure_boot
from ansible_collections.gpuhost.provision.plugins.module_utils._common import C_LOCALE as ENV, run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    CudaCompatError,
    normalize_driver_version,
    parse_driver_version,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._kernels import kernel_module_report
from ansible_collections.gpuhost.provision.plugins.module_utils._packages import installed_versions
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    DriverLibraryMismatch,
    NvidiaError,
    open_backend,
    read_text,
)

SYS_MODULE_VERSION = "/sys/module/nvidia/version"
PROC_DRIVER_VERSION = "/proc/driver/nvidia/version"
NVML_LIB_DIRS = (
    "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
    "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
)
# What the .run installer leaves (NVIDIA's installer: `nvidia-installer --help`, "Uninstallation" in the
# driver README): the uninstaller, the installer itself and its log.
RUNFILE_MARKERS = ("/usr/bin/nvidia-uninstall", "/usr/bin/nvidia-installer", "/var/log/nvidia-installer.log")
# Driver trees an image or a GPU operator mounts into a container.
IMAGE_DIRS = ("/usr/local/nvidia",)
# The driver packages of Debian, Ubuntu, the CUDA repository and EL (names this collection installs or knows).
DPKG_PATTERNS = ("nvidia-driver", "nvidia-driver-[0-9]*", "libnvidia-ml1", "libnvidia-compute-[0-9]*",
                 "nvidia-kernel-common", "nvidia-kernel-common-[0-9]*")
RPM_PATTERNS = ("nvidia-driver", "nvidia-driver-[0-9]*", "kmod-nvidia*", "nvidia-kmod*", "xorg-x11-drv-nvidia")

_LIB_RE = re.compile(r"^libnvidia-ml\.so\.(\d+\.\d+(?:\.\d+)?)$")
_PROC_RE = re.compile(r"Kernel Module.*?\s(\d+\.\d+(?:\.\d+)?)\s")

ORIGIN_LABELS = {
    "packages": "distribution or CUDA repository packages",
    "vendor_packages": "vendor packages",
    "runfile": "NVIDIA's .run installer",
    "image": "the image or a container mount",
}


def valid_driver(text):
    try:
        return normalize_driver_version(text)
    except CudaCompatError:
        return None


class HostDriver(object):
    """Read the driver state of the host: package, kernel module, userspace library, origin."""

    def __init__(self, module, sys_module_version=SYS_MODULE_VERSION, proc_driver_version=PROC_DRIVER_VERSION,
                 lib_dirs=NVML_LIB_DIRS, runfile_markers=RUNFILE_MARKERS, image_dirs=IMAGE_DIRS,
                 efivars=None):
        self.module = module
        self.efivars = efivars or _secure_boot.EFIVARS
        self.sys_module_version = sys_module_version
        self.proc_driver_version = proc_driver_version
        self.lib_dirs = tuple(lib_dirs)
        self.runfile_markers = tuple(runfile_markers)
        self.image_dirs = tuple(image_dirs)
        self.nvml_mismatch = False
        self._installed = None

    def secure_boot(self):
        """{'enabled': bool or None, 'source': ...}: mokutil --sb-state, else the SecureBoot EFI variable."""
        return _secure_boot.read_state(lambda argv: run_c_locale(self.module, argv),
                                       self.module.get_bin_path("mokutil"), self.efivars)

    def kernel_module_version(self):
        version = read_text(self.sys_module_version)
        if version:
            return valid_driver(version)
        match = _PROC_RE.search((read_text(self.proc_driver_version) or "") + " ")
        return match.group(1) if match else None

    def kernel_module_flavor(self):
        text = read_text(self.proc_driver_version)
        if not text:
            return None
        if "Open Kernel Module" in text:
            return "open"
        return "proprietary" if "Kernel Module" in text else None

    def userspace_version(self):
        try:
            with open_backend(self.module, "nvml") as backend:
                return valid_driver(backend.driver_version())
        except DriverLibraryMismatch:
            self.nvml_mismatch = True
        except NvidiaError:
            pass
        return self.library_file_version()

    def library(self):
        """(path, version) of the NVML library the loader would pick (libnvidia-ml.so.1), else the newest file."""
        for directory in self.lib_dirs:
            link = os.path.join(directory, "libnvidia-ml.so.1")
            if os.path.exists(link):
                real = os.path.realpath(link)
                match = _LIB_RE.match(os.path.basename(real))
                if match:
                    return real, match.group(1)
        found = []
        for directory in self.lib_dirs:
            for path in glob.glob(os.path.join(directory, "libnvidia-ml.so.*")):
                match = _LIB_RE.match(os.path.basename(path))
                if match:
                    found.append((path, match.group(1)))
        return max(found, key=lambda f: parse_driver_version(f[1])) if found else (None, None)

    def library_file_version(self):
        return self.library()[1]

    def installed_version(self):
        """The newest driver version the package manager has installed under the names it knows, or None."""
        if self._installed is None:
            self._installed = (self._installed_version(),)
        return self._installed[0]

    def _installed_version(self):
        versions = installed_versions(self.module, DPKG_PATTERNS, RPM_PATTERNS)
        drivers = [v for v in (valid_driver(v) for v in versions) if v and parse_driver_version(v)[0] >= 100]
        return max(drivers, key=parse_driver_version) if drivers else None

    def kernel_modules(self):
        """Installed kernels, the one that boots next, and those without an nvidia module (module_utils._kernels)."""
        return kernel_module_report(running=platform.release())

    def owner_package(self, path):
        """The package that owns ``path`` (dpkg -S / rpm -qf), or None."""
        dpkg = self.module.get_bin_path("dpkg")
        if dpkg:
            rc, out, _err = self.module.run_command([dpkg, "-S", path], environ_update=ENV)
            if rc == 0 and ":" in out:
                return out.split(":", 1)[0].split(",")[0].strip() or None
            # dpkg records the path it installed; a library reached through /lib -> /usr/lib is found by the other
            return None
        rpm = self.module.get_bin_path("rpm")
        if rpm:
            rc, out, _err = self.module.run_command([rpm, "-qf", "--qf", "%{NAME}\\n", path], environ_update=ENV)
            if rc == 0 and out.strip():
                return out.strip().splitlines()[0]
        return None

    def existing_driver(self):
        """What driver is there and where it came from, or None when there is no userspace driver.

        origin: ``packages`` (the package manager knows it under a name this collection uses),
        ``vendor_packages`` (a package of another name owns the library), ``runfile`` (.run installer traces,
        no package), ``image`` (no package and no installer traces: provided by the image or mounted).
        """
        path, lib_version = self.library()
        if path is None:
            return None
        kernel = self.kernel_module_version()
        evidence = [path]
        owner = self.owner_package(path)
        if self.installed_version():
            origin = "packages"
        elif owner:
            origin = "vendor_packages"
            evidence.append("package %s" % owner)
        else:
            markers = [m for m in self.runfile_markers if os.path.exists(m)]
            if markers:
                origin = "runfile"
                evidence.extend(markers)
            else:
                origin = "image"
                evidence.extend(d for d in self.image_dirs if os.path.isdir(d) and path.startswith(d.rstrip("/") + "/"))
        version = kernel or lib_version
        label = ORIGIN_LABELS[origin] + (" (%s)" % owner if origin == "vendor_packages" else "")
        return {"version": version, "origin": origin, "origin_label": label, "package": owner,
                "kernel_module_version": kernel, "library_version": lib_version, "evidence": evidence}

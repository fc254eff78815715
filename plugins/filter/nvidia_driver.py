# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia_driver role's filters and driver_change.yml's table: a CUDA request checked against the table, the
modprobe.d options line, the role's input checks (the first refusal), the reboot decision and target, the role's summary line, and the fleet table of a driver
change. Documentation: one <filter>.yml each."""
from __future__ import annotations

import json
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    CudaCompatError,
    resolve_min_driver,
    table_from,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_sections import summary_line
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    normalise,
    options_line,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._reboot import reboot_decision, reboot_target
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses

NOT_RUN = "not run: unreachable, or stopped by the rollout guard (gpuhost_max_fail_percentage)"
# the package whose version is the driver's in each set the nvidia_driver role installs (libcuda1: Debian's compute
# set; nvidia-headless-*: Ubuntu's)
DRIVER_PACKAGES = ("nvidia-driver", "cuda-drivers", "nvidia-driver-cuda", "libcuda1")
DNF_PIN = re.compile(r"^(?:nvidia-driver|cuda-drivers)-(?:[0-9]+:)?([0-9]+\.[0-9]+(?:\.[0-9]+)?)(?:-|$)")


def planned_version(would_install):
    """The driver version a check-mode run would install, from the role's pinned items ('nvidia-driver=535.309.01-0+deb12u1',
    'nvidia-driver-535-server=...', 'cuda-drivers-580.95.05-1'), or None."""
    for item in would_install or []:
        name, sep, version = item.partition("=")
        if sep and (name in DRIVER_PACKAGES or name.startswith(("nvidia-driver-", "nvidia-headless-"))) and version:
            return version.split(":")[-1].split("-")[0]
        match = DNF_PIN.match(item)          # dnf: name-version
        if match:
            return match.group(1)
    return None


def driver_change_table(hosts, hostvars):
    rows = ["host | result | driver | workload | reason"]
    done = failed = 0
    for host in hosts:
        record = (hostvars.get(host) or {}).get("__change_record")
        if not record:
            failed += 1
            rows.append(" | ".join([host, "FAILED", "-", "-", NOT_RUN]))
            continue
        if record.get("result") == "failed":
            failed += 1
        else:
            done += 1
        before = record.get("from") or "none"
        after = record.get("to") or planned_version(record.get("would_install")) or "none"
        driver = before if before == after else "%s -> %s" % (before, after)
        rows.append(" | ".join([host, str(record.get("result", "?")).upper() if record.get("result") == "failed"
                                else str(record.get("result")), driver, record.get("workload") or "-",
                                record.get("reason") or "-"]))
    rows.append("%d host(s): %d done, %d failed or not run" % (len(hosts), done, failed))
    return rows


def cuda_request_error(cuda_version, cuda_table=None, compatibility="toolkit"):
    try:
        table = table_from(cuda_table or {})
        if cuda_version not in (None, ""):
            resolve_min_driver(cuda_version, compatibility, table)
    except CudaCompatError as exc:
        return one_line(exc)
    return ""


NO_DRIVER = ('Set nvidia_driver_cuda_version to the CUDA version your workloads need (e.g. "12.4"; the driver branch is '
             "chosen from NVIDIA's table), or nvidia_driver_branch (e.g. 550).")
MIRROR = ("nvidia_driver_source: mirror needs nvidia_driver_apt_repo with url and key_url (and suites and components "
          "unless it is a flat repository): {url: <the repository's URL>, suites: [<suite>], components: [<component>], "
          "key_url: <its signing key's URL or path>}")
PARAMS = "nvidia_driver_module_params"


def _text(value):
    return "" if value is None else str(value)


def driver_input_error(cuda_version, branch="", cuda_table=None, compatibility="toolkit", mok=(), source="distro",
                       apt_repo=None, module_params=None):
    cuda_table = cuda_table or {}
    if not _text(cuda_version) and not _text(branch):
        return NO_DRIVER
    if not isinstance(cuda_version, str):
        return ('nvidia_driver_cuda_version must be a quoted string: YAML read it as the number %s (an unquoted 12.10 '
                'becomes 12.1); write nvidia_driver_cuda_version: "%s"' % (cuda_version, cuda_version))
    unquoted = [_text(key) for key in cuda_table if not isinstance(key, str)]
    if unquoted:
        return ("nvidia_driver_cuda_table: quote every CUDA version (%s): YAML reads 13.10 as the number 13.1"
                % ", ".join(unquoted))
    why = cuda_request_error(cuda_version, cuda_table, compatibility)
    if why:
        return why
    mok = [_text(half) for half in mok]
    given = [half for half in mok if half]
    if len(given) not in (0, 2) or [half for half in given if not half.startswith("/")]:
        return ("Set both nvidia_driver_mok_key (the private key) and nvidia_driver_mok_cert (the certificate, DER), as "
                "absolute paths on the host, or neither; got %s" % json.dumps(mok))
    if source == "mirror" and not (isinstance(apt_repo, dict) and _text(apt_repo.get("url"))
                                   and _text(apt_repo.get("key_url"))):
        return MIRROR
    try:
        options_line(normalise(module_params or {}))
    except ModuleParamsError as exc:
        message = str(exc).strip()
        return message[message.find(PARAMS):] if PARAMS in message else message
    return ""


@refuses(None, ModuleParamsError)
def nvidia_module_options(params):
    return options_line(normalise(params))


class FilterModule(object):
    def filters(self):
        return {
            "cuda_request_error": cuda_request_error,
            "driver_input_error": driver_input_error,
            "nvidia_module_options": nvidia_module_options,
            "reboot_decision": reboot_decision,
            "reboot_target": reboot_target,
            "driver_summary": summary_line,
            "driver_change_table": driver_change_table,
        }

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia_driver role's checks of its inputs alone (nothing read from a host), in the order a person fixes them,
and the CUDA request resolved against NVIDIA's table on the way: gpuhost.provision.driver_request returns that
resolution and nvidia_driver_plan takes it (its cuda_request option) instead of resolving the request again."""
from __future__ import annotations

import json

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    CudaCompatError,
    resolve_min_driver,
    table_from,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    normalise,
    options_line,
)

NO_DRIVER = ('Set nvidia_driver_cuda_version to the CUDA version your workloads need (e.g. "12.4"; the driver branch is '
             "chosen from NVIDIA's table), or nvidia_driver_branch (e.g. 550).")
MIRROR = ("nvidia_driver_source: mirror needs nvidia_driver_apt_repo with url and key_url (and suites and components "
          "unless it is a flat repository): {url: <the repository's URL>, suites: [<suite>], components: [<component>], "
          "key_url: <its signing key's URL or path>}")
PARAMS = "nvidia_driver_module_params"


def _text(value):
    return "" if value is None else str(value)


def _cuda(cuda_version, branch, cuda_table, compatibility):
    """(refusal, request) of the CUDA part: the request resolved (Resolution.as_request) or None without a CUDA version."""
    if not _text(cuda_version) and not _text(branch):
        return NO_DRIVER, None
    if not isinstance(cuda_version, str) and cuda_version is not None:
        return ('nvidia_driver_cuda_version must be a quoted string: YAML read it as the number %s (an unquoted 12.10 '
                'becomes 12.1); write nvidia_driver_cuda_version: "%s"' % (cuda_version, cuda_version)), None
    unquoted = [_text(key) for key in cuda_table if not isinstance(key, str)]
    if unquoted:
        return ("nvidia_driver_cuda_table: quote every CUDA version (%s): YAML reads 13.10 as the number 13.1"
                % ", ".join(unquoted)), None
    try:
        table = table_from(cuda_table)
        if not cuda_version:
            return "", None
        return "", resolve_min_driver(cuda_version, compatibility, table).as_request(cuda_version)
    except CudaCompatError as exc:
        return one_line(exc), None


def cuda_request_error(cuda_version, cuda_table=None, compatibility="toolkit"):
    """Why NVIDIA's table (extended by cuda_table) cannot answer cuda_version, in one line; '' when it can."""
    try:
        table = table_from(cuda_table or {})
        if cuda_version not in (None, ""):
            resolve_min_driver(cuda_version, compatibility, table)
    except CudaCompatError as exc:
        return one_line(exc)
    return ""


def driver_request(cuda_version, branch="", cuda_table=None, compatibility="toolkit", mok=(), source="distro",
                   apt_repo=None, module_params=None):
    """(refusal, request): the first refusal of the role's inputs as one line ('' when there is none) and the CUDA
    request resolved (None without nvidia_driver_cuda_version, or when refused)."""
    why, request = _cuda(cuda_version, branch, cuda_table or {}, compatibility)
    if why:
        return why, None
    mok = [_text(half) for half in mok]
    given = [half for half in mok if half]
    if len(given) not in (0, 2) or [half for half in given if not half.startswith("/")]:
        return ("Set both nvidia_driver_mok_key (the private key) and nvidia_driver_mok_cert (the certificate, DER), as "
                "absolute paths on the host, or neither; got %s" % json.dumps(mok)), None
    if source == "mirror" and not (isinstance(apt_repo, dict) and _text(apt_repo.get("url"))
                                   and _text(apt_repo.get("key_url"))):
        return MIRROR, None
    try:
        options_line(normalise(module_params or {}))
    except ModuleParamsError as exc:
        message = str(exc).strip()
        return (message[message.find(PARAMS):] if PARAMS in message else message), None
    return "", request

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: driver_input_error
short_description: Why the nvidia_driver role's inputs are refused, or an empty string
version_added: 0.3.0
description:
  - The nvidia_driver role's checks of its inputs alone (nothing read from the host), in this order; the first that
    fails gives the one-line message, naming the variable that fixes it. No driver asked for (neither
    C(nvidia_driver_cuda_version) nor C(nvidia_driver_branch)); a CUDA version that YAML read as a number, in
    C(nvidia_driver_cuda_version) or a key of C(nvidia_driver_cuda_table); a CUDA version NVIDIA's table (with
    C(nvidia_driver_cuda_table)) cannot resolve (P(gpuhost.provision.cuda_request_error#filter)); a Machine Owner
    Key given as one half or as relative paths; C(nvidia_driver_source=mirror) without C(nvidia_driver_apt_repo)'s
    url and key_url; module parameters that cannot be written into modprobe.d
    (P(gpuhost.provision.nvidia_module_options#filter)).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: C(nvidia_driver_cuda_version), as the inventory gave it (a number is refused).
    type: raw
    required: true
  branch:
    description: C(nvidia_driver_branch).
    type: raw
    default: ""
  cuda_table:
    description: C(nvidia_driver_cuda_table).
    type: dict
    default: {}
  compatibility:
    description: C(nvidia_driver_compatibility).
    type: str
    default: toolkit
  mok:
    description: C(nvidia_driver_mok_key) and C(nvidia_driver_mok_cert), in that order.
    type: list
    elements: str
    default: []
  source:
    description: C(nvidia_driver_source).
    type: str
    default: distro
  apt_repo:
    description: C(nvidia_driver_apt_repo).
    type: raw
    default: {}
  module_params:
    description: C(nvidia_driver_module_params).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Refuse the inputs
  ansible.builtin.fail:
    msg: "{{ __error }}"
  when: __error | length > 0
  vars:
    __error: "{{ nvidia_driver_cuda_version | gpuhost.provision.driver_input_error(branch=nvidia_driver_branch) }}"
"""

RETURN = r"""
_value:
  description: The first refusal's one-line message, or an empty string when every check passes.
  type: str
"""

import json

from ansible_collections.gpuhost.provision.plugins.filter.cuda_request_error import cuda_request_error
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


class FilterModule(object):
    def filters(self):
        return {"driver_input_error": driver_input_error}

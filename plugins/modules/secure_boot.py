#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: secure_boot
short_description: Read the UEFI Secure Boot state and whether a DKMS-built nvidia module would load
version_added: 0.1.0
description:
  - Reads whether Secure Boot is on, from C(mokutil --sb-state) where mokutil is installed, else from the
    C(SecureBoot) EFI variable under C(/sys/firmware/efi/efivars); a host without EFI variables booted without
    Secure Boot.
  - With O(mok_cert), also asks C(mokutil --test-key) whether that certificate is enrolled.
  - Decides, for the nvidia_driver role's pre-flight, whether installing O(packages) would leave a module the
    kernel refuses, that is Secure Boot on, a package that builds the module with DKMS, and no Machine Owner Key to
    sign it or one that is not enrolled. RV(refusal) is then the one line to fail with. A precompiled module package
    (Ubuntu's signed C(linux-modules-nvidia-*)) builds nothing and is never refused.
extends_documentation_fragment:
  - gpuhost.provision.read_only
author:
  - gpuhost.provision developers (@gpuhost)
options:
  packages:
    description: The packages that are about to be installed.
    type: list
    elements: str
    default: []
  mok_key:
    description: The Machine Owner Key's private key on the host (PEM), with which DKMS signs the module.
    type: path
  mok_cert:
    description: The Machine Owner Key's certificate on the host (DER, as C(mokutil --import) takes it).
    type: path
  option_prefix:
    description: Prefix of the variable names that the refusal tells the user to set.
    type: str
    default: nvidia_driver_
attributes:
  platform:
    description: Linux hosts, UEFI or BIOS.
seealso:
  - module: gpuhost.provision.driver_version_check
"""

EXAMPLES = r"""
- name: Would the module that DKMS builds load?
  gpuhost.provision.secure_boot:
    packages: [nvidia-driver, nvidia-kernel-dkms]
    mok_key: /var/lib/shim-signed/mok/MOK.priv
    mok_cert: /var/lib/shim-signed/mok/MOK.der
  register: sb

- name: Refuse before any change
  ansible.builtin.fail:
    msg: "{{ sb.refusal }}"
  when: sb.refusal
"""

RETURN = r"""
enabled:
  description: Whether Secure Boot is on; null when it cannot be read.
  returned: always
  type: bool
  sample: true
source:
  description: Where the state was read.
  returned: always
  type: str
  sample: mokutil --sb-state
builds_module:
  description: Whether O(packages) build the module with DKMS.
  returned: always
  type: bool
enrolled:
  description: C(mokutil --test-key)'s answer for O(mok_cert) (C(enrolled), C(not enrolled), C(pending ...)), or null.
  returned: always
  type: str
refusal:
  description: The one-line reason to refuse before any change, or null.
  returned: always
  type: str
msg:
  description: One line, for example C(Secure Boot on (mokutil --sb-state); key /root/mok.der enrolled).
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._secure_boot import (
    builds_module,
    parse_test_key,
    read_state,
    refusal,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            mok_key=dict(type="path"),
            mok_cert=dict(type="path"),
            option_prefix=dict(type="str", default="nvidia_driver_"),
        ),
        required_together=[("mok_key", "mok_cert")],
        supports_check_mode=True,
    )
    p = module.params
    mokutil = module.get_bin_path("mokutil")
    state = read_state(lambda argv: run_c_locale(module, argv), mokutil)
    key_exists = bool(p["mok_key"]) and os.path.isfile(p["mok_key"])
    cert_exists = bool(p["mok_cert"]) and os.path.isfile(p["mok_cert"])
    enrolled = None
    if state["enabled"] and cert_exists and mokutil:
        _rc, out, err = run_c_locale(module, [mokutil, "--test-key", p["mok_cert"]])
        enrolled = parse_test_key(out + err)
    building = builds_module(p["packages"])
    reason = refusal(state, building, p["mok_key"], p["mok_cert"], key_exists, cert_exists, enrolled,
                     p["option_prefix"])
    onoff = {True: "on", False: "off", None: "unknown"}[state["enabled"]]
    msg = "Secure Boot %s (%s)" % (onoff, state["source"])
    if p["mok_cert"]:
        msg += "; key %s %s" % (p["mok_cert"], enrolled or ("present" if cert_exists else "missing"))
    module.exit_json(changed=False, enabled=state["enabled"], source=state["source"], builds_module=building,
                     enrolled=enrolled, refusal=reason, msg=msg)


if __name__ == "__main__":
    main()

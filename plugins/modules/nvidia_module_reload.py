#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_module_reload
short_description: Decide whether the NVIDIA kernel modules can be reloaded instead of rebooting, and reload them
version_added: 0.2.0
description:
  - Reads C(/proc/modules), C(/sys/module/<name>/holders) and the processes that have a C(/dev/nvidia*) device open,
    and decides whether the loaded NVIDIA modules can be unloaded in the order C(nvidia_peermem), C(nvidia_uvm),
    C(nvidia_drm), C(nvidia_modeset), C(nvidia).
  - A module used by another kernel module, a reference count above what the NVIDIA modules account for (an open
    device, a console on C(nvidia_drm)), any process with an NVIDIA device open, or a container (the modules are
    its host's) means no reload; RV(decision) says why in one line.
  - O(state=reloaded) unloads them with C(modprobe -r) and loads the installed ones with C(modprobe) when the
    decision allows it, and returns the version now loaded. When it does not, nothing changes and RV(reloaded) is
    V(false), so the caller falls back to its reboot policy.
  - O(state=query) only reads; this is what to run on a shared GPU machine.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  state:
    description: V(query) decides only; V(reloaded) carries the decision out.
    type: str
    default: query
    choices: [query, reloaded]
  in_container:
    description: The host is a container (a reload is never attempted from one).
    type: bool
    default: false
  module_params:
    description:
      - The parameters the nvidia module should have (as C(nvidia_driver_module_params) writes them into modprobe.d,
        which C(modprobe) reads when it loads the module). After the call the loaded module's parameters are compared
        with them (RV(module_params)), so a reload done for changed parameters proves here that they took effect.
    type: dict
    default: {}
extends_documentation_fragment:
  - gpuhost.provision.posix
attributes:
  check_mode:
    support: full
    description: Decides; unloads and loads nothing.
  diff_mode:
    support: none
    description: Returns the decision instead.
  idempotent:
    support: partial
    description: Reloading twice reloads twice; the role calls it only when the loaded module differs from the
      installed one.
  platform:
    description: Linux hosts with the NVIDIA kernel modules; never carried out in a container.
requirements:
  - modprobe (kmod) and root for O(state=reloaded).
"""

EXAMPLES = r"""
- name: Would a reload work here? (read-only)
  gpuhost.provision.nvidia_module_reload:
    state: query
  register: __reload

- name: Reload the modules after a driver change
  gpuhost.provision.nvidia_module_reload:
    state: reloaded
  become: true
"""

RETURN = r"""
decision:
  description: C(possible), C(unload) and C(load) (module names in order), C(blockers) (one line each) and C(reason).
  returned: always
  type: dict
  sample: {possible: true, unload: [nvidia_uvm, nvidia_modeset, nvidia], load: [nvidia, nvidia_modeset, nvidia_uvm],
           blockers: [], reason: "unload nvidia_uvm, nvidia_modeset, nvidia, then load nvidia, nvidia_modeset, nvidia_uvm"}
reloaded:
  description: Whether the modules were reloaded (in check mode, whether they would be).
  returned: always
  type: bool
  sample: true
loaded_version:
  description: C(/sys/module/nvidia/version) after the call, or null when no nvidia module is loaded.
  returned: always
  type: str
  sample: 535.309.01
module_params:
  description:
    - The loaded module's parameters after the call against O(module_params), as M(gpuhost.provision.nvidia_module_params)
      returns C(reload) - C(needed) (the module must still be loaded again for them), C(reasons), C(unknown).
  returned: always
  type: dict
  sample: {needed: false, reasons: [], unknown: []}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import read_text
from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    ModuleParamsError,
    normalise,
    read_live,
    reload_need,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._module_reload import (
    NVIDIA_MODULES,
    decide,
    device_users,
    parse_proc_modules,
    read_holders,
)

PROC_ROOT = "/proc"
SYS_MODULE = "/sys/module"


def read_decision(in_container):
    modules = parse_proc_modules(read_text(os.path.join(PROC_ROOT, "modules")) or "")
    holders = read_holders([name for name in NVIDIA_MODULES if name in modules], SYS_MODULE)
    return decide(modules, holders, device_users(PROC_ROOT), in_container)


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="query", choices=["query", "reloaded"]),
            in_container=dict(type="bool", default=False),
            module_params=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    try:
        wanted = normalise(module.params["module_params"], "module_params")
    except ModuleParamsError as exc:
        module.fail_json(msg=str(exc))
    decision = read_decision(module.params["in_container"])
    reload_now = module.params["state"] == "reloaded" and decision["possible"]
    if reload_now and not module.check_mode:
        modprobe = module.get_bin_path("modprobe", required=True)
        for argv in [[modprobe, "-r", name] for name in decision["unload"]] + [[modprobe, name] for name in decision["load"]]:
            rc, out, err = run_c_locale(module, argv)
            if rc != 0:
                module.fail_json(msg="%s failed (rc %s): %s; run the nvidia_driver role again or reboot the host"
                                 % (" ".join(argv), rc, " ".join((err or out).split())), decision=decision)
    need = reload_need(wanted, read_live(os.path.join(SYS_MODULE, "nvidia", "parameters")))
    module.exit_json(changed=reload_now, reloaded=reload_now, decision=decision,
                     loaded_version=read_text(os.path.join(SYS_MODULE, "nvidia", "version")),
                     module_params=dict((key, need[key]) for key in ("needed", "reasons", "unknown")))


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_module_params
short_description: Compare the loaded nvidia module's parameters with the wanted ones
version_added: 0.1.0
description:
  - Reads the parameters the loaded C(nvidia) kernel module reports under C(/sys/module/nvidia/parameters) and
    compares them with O(wanted), as the nvidia_driver role writes them into C(/etc/modprobe.d)
    (C(nvidia_driver_module_params)). Integers compare by value (C(0x01) equals C(1)).
  - A parameter that differs takes effect only when the module is loaded again (a reboot, or unloading and loading
    the nvidia modules). Without a loaded module there is nothing to compare.
extends_documentation_fragment:
  - gpuhost.provision.read_only
author:
  - gpuhost.provision developers (@gpuhost)
options:
  wanted:
    description: Parameter name -> value (number, boolean or string).
    type: dict
    default: {}
  file:
    description:
      - The modprobe.d file that sets the parameters, read as it is now, before a caller writes O(wanted) into it. A
        parameter it sets and O(wanted) no longer has, which the loaded module still has at the file's value, also
        needs the module loaded again (RV(reload)).
    type: path
attributes:
  platform:
    description: Linux hosts.
seealso:
  - module: gpuhost.provision.driver_version_check
"""

EXAMPLES = r"""
- name: Do the loaded module's parameters match the inventory?
  gpuhost.provision.nvidia_module_params:
    wanted: "{{ nvidia_driver_module_params }}"
  register: params
"""

RETURN = r"""
loaded:
  description: Whether the nvidia module is loaded (its parameters directory exists).
  returned: always
  type: bool
source:
  description:
    - Where the values were read, C(/sys/module/nvidia/parameters), or the driver's own listing
      C(/proc/driver/nvidia/params) where a container hides the first (names there lack the C(NVreg_) prefix, which
      the module adds); null when the module is not loaded.
  returned: always
  type: str
  sample: /sys/module/nvidia/parameters
live:
  description: The loaded module's value of each wanted parameter (null when it has no such parameter).
  returned: always
  type: dict
  sample: {NVreg_PreserveVideoMemoryAllocations: "1"}
differ:
  description: The wanted parameters the loaded module does not have at that value.
  returned: always
  type: list
  elements: dict
  sample: [{name: NVreg_EnableGpuFirmware, wanted: "0", live: "18"}]
problems:
  description: One line per parameter in RV(differ), for validate.yml.
  returned: always
  type: list
  elements: str
configured:
  description: The parameters O(file) sets now (C(options nvidia ...) lines), empty without O(file) or without the file.
  returned: always
  type: dict
  sample: {NVreg_PreserveVideoMemoryAllocations: "1"}
reload:
  description:
    - Whether the loaded module must be loaded again (a module reload or a reboot) for O(wanted) to take effect
      (C(needed)), why (C(reasons), one line each) and the wanted parameters the loaded module does not have at all
      (C(unknown); loading it again would not give it them). Never needed while no nvidia module is loaded.
    - The nvidia_driver role's reboot decision (P(gpuhost.provision.reboot_decision#filter)) reads it.
  returned: always
  type: dict
  sample: {needed: true, reasons: ["nvidia module parameter NVreg_EnableGpuFirmware is 18, wanted 0"], unknown: []}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._module_params import (
    PROC_PARAMETERS,
    SYS_PARAMETERS,
    ModuleParamsError,
    compare,
    normalise,
    parse_options,
    read_live,
    read_proc,
    reload_need,
)


def main() -> None:
    module = AnsibleModule(argument_spec=dict(wanted=dict(type="dict", default={}), file=dict(type="path")),
                           supports_check_mode=True)
    try:
        wanted = normalise(module.params["wanted"], "wanted")
    except ModuleParamsError as exc:
        module.fail_json(msg=str(exc))
    live, source = read_live(SYS_PARAMETERS), SYS_PARAMETERS
    if live is None:
        live, source = read_proc(PROC_PARAMETERS), PROC_PARAMETERS
    configured = {}
    if module.params["file"] and os.path.isfile(module.params["file"]):
        with open(module.params["file"], encoding="utf-8", errors="replace") as handle:
            configured = parse_options(handle.read())
    need = reload_need(wanted, live, configured)
    differ = compare(wanted, live)
    problems = ["nvidia module parameter %s is %s, wanted %s (/etc/modprobe.d): reboot, or reload the nvidia modules"
                % (d["name"], "absent" if d["live"] is None else d["live"], d["wanted"]) for d in differ]
    module.exit_json(changed=False, loaded=live is not None, source=source if live is not None else None,
                     live=dict((name, (live or {}).get(name)) for name in wanted), differ=differ, problems=problems,
                     configured=configured, reload=dict((key, need[key]) for key in ("needed", "reasons", "unknown")))


if __name__ == "__main__":
    main()

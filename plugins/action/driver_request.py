# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuhost.provision.driver_request: the nvidia_driver role's input checks, on the controller (no connection to the
host), returning the CUDA request resolved against NVIDIA's table for nvidia_driver_plan's cuda_request option. The
checks are module_utils/_driver_inputs.py; the documentation is plugins/modules/driver_request.py."""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils._driver_inputs import driver_request
from ansible_collections.gpuhost.provision.plugins.plugin_utils._controller_action import ControllerCheck

# 'raw' where the type itself is checked: an unquoted CUDA version that YAML read as a number is refused, not converted
ARGUMENT_SPEC = dict(
    cuda_version=dict(type="raw"),
    branch=dict(type="raw"),
    cuda_table=dict(type="raw"),
    compatibility=dict(type="str", default="toolkit", choices=["toolkit", "minor"]),
    mok_key=dict(type="str", default="", no_log=False),
    mok_cert=dict(type="str", default=""),
    source=dict(type="str", default="distro", choices=["distro", "cuda_repo", "mirror"]),
    apt_repo=dict(type="raw"),
    module_params=dict(type="raw"),
)


class ActionModule(ControllerCheck):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def check(self, args, task_vars, result):
        refusal, request = driver_request(args["cuda_version"], branch=args["branch"], cuda_table=args["cuda_table"],
                                          compatibility=args["compatibility"], mok=[args["mok_key"], args["mok_cert"]],
                                          source=args["source"], apt_repo=args["apt_repo"],
                                          module_params=args["module_params"])
        result["request"] = request
        if refusal:
            result.update(failed=True, msg=refusal)
        elif request:
            result.update(msg="CUDA %s needs a driver >= %s (%s compatibility)"
                          % (request["cuda_version"], request["required_min_driver"], request["compatibility"]))
            if request["warnings"]:
                result["warnings"] = request["warnings"]
        else:
            result["msg"] = "no CUDA version asked for: the driver branch decides"
        return result

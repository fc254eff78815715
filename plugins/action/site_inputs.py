# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuhost.provision.site_inputs: site.yml's input checks of one host, on the controller (no connection): every enabled
role's argument spec, the variables with a role's prefix that no role knows, and the one-line refusal. The rules are
module_utils/_site.py (unknown_variables, input_refusal); the documentation is plugins/modules/site_inputs.py."""
from __future__ import annotations

import os
import re

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.gpuhost.provision.plugins.module_utils._site import input_refusal, unknown_variables
from ansible_collections.gpuhost.provision.plugins.plugin_utils._controller_action import ControllerCheck

ARGUMENT_SPEC = dict(
    roles=dict(type="list", elements="str", required=True),
    all_roles=dict(type="list", elements="str", required=True),
    prefixes=dict(type="list", elements="str", default=[]),
    known=dict(type="list", elements="str", default=[]),
    ignore=dict(type="list", elements="str", default=[]),
    unknown=dict(type="raw", default="warn"),
)


# the collection's roles, next to plugins/ (in a checkout and in an installed collection alike)
ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "roles")
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def role_options(role):
    """The options of the role's argument spec (its main entry point), read from the collection: a few ms with
    libyaml, where passing them in as a task argument templates every description for every host."""
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SafeLoader)["argument_specs"]["main"].get("options") or {}


class ActionModule(ControllerCheck):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def check(self, args, task_vars, result):
        specs = dict((role, role_options(role)) for role in sorted(set(args["all_roles"]) | set(args["roles"])))
        checks = []
        for role in args["roles"]:
            spec = specs[role]
            # as validate_argument_spec does: the role's options that are set, templated, against its spec
            given = self._templar.template(dict((name, task_vars[name]) for name in spec if name in task_vars))
            errors = ArgumentSpecValidator(spec).validate(given, validate_role_argument_spec=True).error_messages
            checks.append({"__site_role": role, "argument_errors": errors})
        mode = args["unknown"]
        unknown = []
        if mode != "ignore":
            prefixes = sorted(set(args["all_roles"]) | set(args["prefixes"]))
            pattern = re.compile("^(%s)_" % "|".join(re.escape(p) for p in prefixes))
            unknown = unknown_variables([name for name in task_vars if pattern.match(name)], specs,
                                        known=args["known"], ignore=args["ignore"])
        refusal = input_refusal(checks, mode=mode, unknown=unknown)
        result.update(roles=list(args["roles"]), unknown=unknown, argument_errors=dict(
            (c["__site_role"], c["argument_errors"]) for c in checks if c["argument_errors"]))
        if refusal:
            result.update(failed=True, msg=refusal)
        elif unknown and mode == "warn":
            result["msg"] = ("unknown variable(s) %s: no role of gpuhost.provision knows them (a typo?); they have no "
                             "effect" % ", ".join(unknown))
            # Ansible prints a warning without its host: the line names it
            result["warnings"] = ["%s: %s" % (task_vars.get("inventory_hostname", "?"), result["msg"])]
        else:
            result["msg"] = "the inputs of %s pass" % ", ".join(args["roles"])
        return result

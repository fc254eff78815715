# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The k8s_gpu_sharing role's filters: the device plugin's sharing configs, the role's plan and its report.
Documentation: one <filter>.yml each."""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._k8s_gpu_sharing import (
    SharingRefusal,
    k8s_gpu_sharing_plan,
    k8s_gpu_sharing_report,
)
from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses

# Kubernetes label values: at most 63 characters, alphanumerics, '-', '_', '.', alphanumeric at both ends.
# The name is the ConfigMap key and the value of the node label nvidia.com/device-plugin.config.
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
# nvidia.com/gpu, or a MIG resource of the mixed strategy (nvidia.com/mig-1g.5gb, nvidia.com/mig-1c.3g.20gb).
_GPU = "nvidia.com/gpu"
_MIG = re.compile(r"^nvidia\.com/mig-[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_SECTION = {"time-slicing": "timeSlicing", "mps": "mps"}
_STRATEGIES = ("time-slicing", "mps", "none")
_MIG_STRATEGIES = ("none", "single", "mixed")
_CONFIG_KEYS = ("name", "strategy", "resources", "rename_by_default", "fail_requests_greater_than_one",
                "mig_strategy")
_RESOURCE_KEYS = ("name", "replicas")
MIN_REPLICAS = 2


class _Invalid(Exception):
    pass


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_keys(item, allowed, where):
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise _Invalid("%s: unknown key %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(allowed)))


def _bool_option(spec, key, where):
    value = spec.get(key)
    if value is not None and not isinstance(value, bool):
        raise _Invalid("%s: %s must be true or false, got %r" % (where, key, value))
    return value


def _resource(item, index, strategy, mig_strategy, where):
    where = "%s resource %d" % (where, index)
    if not isinstance(item, dict):
        raise _Invalid("%s: expected a dict with name and replicas, got %r" % (where, item))
    _check_keys(item, _RESOURCE_KEYS, where)
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise _Invalid("%s: name is required (for example nvidia.com/gpu)" % where)
    where = "%s (%s)" % (where, name)
    if name.endswith(".shared"):
        raise _Invalid("%s: %s is the name the plugin advertises with rename_by_default; list %s and set "
                       "rename_by_default: true" % (where, name, name[:-len(".shared")]))
    if strategy == "mps" and name != _GPU:
        raise _Invalid("%s: MPS shares only %s on full GPUs (no MIG devices)" % (where, _GPU))
    if name != _GPU and not _MIG.match(name):
        raise _Invalid("%s: not a resource the device plugin shares; use %s or a MIG resource of the mixed "
                       "strategy such as nvidia.com/mig-1g.5gb" % (where, _GPU))
    if name != _GPU and mig_strategy not in (None, "mixed"):
        raise _Invalid("%s: MIG resources exist only with mig_strategy mixed, not %s" % (where, mig_strategy))
    replicas = item.get("replicas")
    if not _is_int(replicas):
        raise _Invalid("%s: replicas must be an integer, got %r" % (where, replicas))
    if replicas < MIN_REPLICAS:
        raise _Invalid("%s: replicas must be at least %d (the device plugin refuses fewer), got %d; use "
                       "strategy none for a node without sharing" % (where, MIN_REPLICAS, replicas))
    return {"name": name, "replicas": replicas}


def _config(spec, index):
    where = "config %d" % index
    if not isinstance(spec, dict):
        raise _Invalid("%s: expected a dict with name, strategy and resources, got %r" % (where, spec))
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _Invalid("%s: name %r is not usable as a node label value (letters, digits, '-', '_', '.', at most "
                       "63, starting and ending with a letter or digit)" % (where, name))
    where = "config %s" % name
    _check_keys(spec, _CONFIG_KEYS, where)
    strategy = spec.get("strategy")
    if strategy not in _STRATEGIES:
        raise _Invalid("%s: unknown strategy %r; use one of %s" % (where, strategy, ", ".join(_STRATEGIES)))
    mig_strategy = spec.get("mig_strategy")
    if mig_strategy is not None and mig_strategy not in _MIG_STRATEGIES:
        raise _Invalid("%s: unknown mig_strategy %r; use one of %s"
                       % (where, mig_strategy, ", ".join(_MIG_STRATEGIES)))
    rename = _bool_option(spec, "rename_by_default", where)
    fail_gt_one = _bool_option(spec, "fail_requests_greater_than_one", where)
    resources = spec.get("resources")
    if resources is None:
        resources = []
    if not isinstance(resources, list):
        raise _Invalid("%s: resources must be a list of {name, replicas}" % where)

    result = {"version": "v1"}
    if mig_strategy is not None:
        result["flags"] = {"migStrategy": mig_strategy}
    if strategy == "none":
        if resources or rename is not None or fail_gt_one is not None:
            raise _Invalid("%s: strategy none shares nothing; remove resources, rename_by_default and "
                           "fail_requests_greater_than_one" % where)
        return result
    if strategy == "mps":
        if mig_strategy in ("single", "mixed"):
            raise _Invalid("%s: the device plugin does not support MPS on MIG devices; use mig_strategy none or "
                           "strategy time-slicing" % where)
        if fail_gt_one is False:
            raise _Invalid("%s: the device plugin forces failRequestsGreaterThanOne to true for MPS; remove "
                           "fail_requests_greater_than_one or set it to true" % where)
    if not resources:
        raise _Invalid("%s: strategy %s needs at least one resource, e.g. {name: %s, replicas: 4}"
                       % (where, strategy, _GPU))

    shared = []
    for number, item in enumerate(resources, start=1):
        resource = _resource(item, number, strategy, mig_strategy, where)
        if any(r["name"] == resource["name"] for r in shared):
            raise _Invalid("%s: resource %s is listed twice" % (where, resource["name"]))
        shared.append(resource)

    section = {}
    if rename is not None:
        section["renameByDefault"] = rename
    if fail_gt_one is not None:
        section["failRequestsGreaterThanOne"] = fail_gt_one
    section["resources"] = shared
    result["sharing"] = {_SECTION[strategy]: section}
    return result


@refuses("device_plugin_config", _Invalid)
def device_plugin_config(configs):
    """List of sharing configs -> {config name: device plugin config}."""
    if not isinstance(configs, list) or not configs:
        raise _Invalid("expected a non-empty list of configs, each with name, strategy and resources")
    result = {}
    for index, spec in enumerate(configs, start=1):
        config = _config(spec, index)
        name = spec["name"]
        if name in result:
            raise _Invalid("config %s: the name is used twice; config names must be unique" % name)
        result[name] = config
    return result


class FilterModule(object):
    def filters(self):
        return {
            "device_plugin_config": device_plugin_config,
            "k8s_gpu_sharing_plan": refuses("k8s_gpu_sharing_plan", SharingRefusal)(k8s_gpu_sharing_plan),
            "k8s_gpu_sharing_report": k8s_gpu_sharing_report,
        }

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The k8s_gpu_sharing role's decisions: its plan (the input checks the argument spec cannot express, and what each
section has to do, from the manifest as the pre-flight read it) and its report with the summary line. Pure functions,
used on the controller by the filters ``k8s_gpu_sharing_plan`` and ``k8s_gpu_sharing_report``.

Private module_utils: not an API.
"""
from __future__ import annotations

import json
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_current

# Kubernetes object names: a DNS-1123 subdomain (ConfigMap, Node) and a DNS-1123 label (Namespace).
SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


class SharingRefusal(Exception):
    """An input the role refuses before any change: the one-line message names the variable that fixes it."""


def _names_check(configmap_name, namespace):
    if not (SUBDOMAIN.match(str(configmap_name)) and DNS_LABEL.match(str(namespace))):
        raise SharingRefusal("k8s_gpu_sharing_configmap_name %s or k8s_gpu_sharing_namespace %s is not a Kubernetes "
                             "name; use lower-case letters, digits and '-' (and '.' in the ConfigMap name)"
                             % (json.dumps(configmap_name), json.dumps(namespace)))


def _node_check(node_configs, config_names):
    unknown = []
    for value in node_configs.values():
        if value is not None and str(value) not in config_names and str(value) not in unknown:
            unknown.append(str(value))
    if unknown:
        raise SharingRefusal("k8s_gpu_sharing_node_configs: config %s is not in k8s_gpu_sharing_configs (%s); name "
                             "one of them, or null to remove the label" % (", ".join(unknown), ", ".join(config_names)))
    bad = [str(node) for node in node_configs if not SUBDOMAIN.match(str(node))]
    if bad:
        raise SharingRefusal("k8s_gpu_sharing_node_configs: node name %s is not a Kubernetes node name"
                             % ", ".join(bad))


def k8s_gpu_sharing_plan(inputs, rendered=None, kubernetes_core=False, manifest=None, manifest_sha1="", host=""):
    """What the role has to do. ``inputs``: configs, configmap_name, namespace, node_configs, apply, manifest_path;
    ``rendered``: the device plugin configs (device_plugin_config's answer); ``kubernetes_core``: whether the
    collection is installed on the controller; ``manifest``: host_snapshot's state of the manifest file and
    ``manifest_sha1`` the checksum of the manifest the role would write. Raises SharingRefusal with one line, in the
    order the role always checked: configs, names, node labels, kubernetes.core."""
    inputs = inputs or {}
    if not inputs.get("configs"):
        raise SharingRefusal("k8s_gpu_sharing_configs is empty; give at least one config, e.g. [{name: common, "
                             "strategy: time-slicing, resources: [{name: nvidia.com/gpu, replicas: 4}]}]")
    names = list(rendered or {})
    node_configs = inputs.get("node_configs") or {}
    _names_check(inputs.get("configmap_name"), inputs.get("namespace"))
    _node_check(node_configs, names)
    cluster = bool(inputs.get("apply")) or len(node_configs) > 0
    path = inputs.get("manifest_path", "")
    if cluster and not kubernetes_core:
        raise SharingRefusal("k8s_gpu_sharing_apply or k8s_gpu_sharing_node_configs needs the kubernetes.core "
                             "collection on the controller, which is not installed: install it (ansible-galaxy "
                             "collection install kubernetes.core) and the Python kubernetes library on %s, or set "
                             "k8s_gpu_sharing_apply false and k8s_gpu_sharing_node_configs {} and apply %s with kubectl"
                             % (host, path))
    current = file_current(manifest, manifest_sha1, owner=None, group=None)
    would_change = [] if current else ["write %s" % path]
    if inputs.get("apply"):
        would_change.append("apply ConfigMap %s/%s" % (inputs.get("namespace"), inputs.get("configmap_name")))
    if node_configs:
        would_change.append("label node(s) %s" % ", ".join(str(node) for node in node_configs))
    return {
        "configs": names,
        "cluster": cluster,
        "manifest_current": current,
        # the cluster's state is read by kubernetes.core itself (its k8s module changes only what differs)
        "todo": {"manifest": not current, "cluster": cluster},
        "would_change": would_change,
    }


def _changed(result):
    return bool((result or {}).get("changed"))


def k8s_gpu_sharing_report(plan, manifest=None, applied=None, labelled=None, inputs=None, check_mode=False):
    """The report and its summary line from the plan and this run's registers (``manifest``: the template task,
    ``applied``: the ConfigMap task, ``labelled``: the label loop; {} where a section did not run)."""
    plan, inputs = plan or {}, inputs or {}
    labels = [(r.get("item") or {}).get("key") for r in (labelled or {}).get("results") or [] if _changed(r)]
    report = {
        "configs": list(plan.get("configs") or []),
        "configmap": "%s/%s" % (inputs.get("namespace"), inputs.get("configmap_name")),
        "manifest": inputs.get("manifest_path", ""),
        "manifest_changed": _changed(manifest),
        "applied": bool(inputs.get("apply")),
        "apply_changed": _changed(applied),
        "labels_changed": labels,
        "would_change": list(plan.get("would_change") or []),
    }
    would = "would be " if check_mode else ""
    line = "ConfigMap %s (%s): manifest %s %s" % (report["configmap"], ", ".join(report["configs"]),
                                                  report["manifest"], would + "written" if report["manifest_changed"]
                                                  else "unchanged")
    if report["applied"]:
        line += "; %s" % ((would + "applied") if report["apply_changed"] else "unchanged in the cluster")
    if labels:
        line += "; labels %s on %s" % (would + "changed", ", ".join(labels))
    report["summary"] = line
    return report

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The k8s_gpu_sharing role's plan (its refusals in the order the role checks, what each section has to do) and its
report; the role run for real is tests/integration/roles/test_k8s_gpu_sharing.py."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.k8s_gpu_sharing import FilterModule as SharingFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._k8s_gpu_sharing import (
    SharingRefusal,
    k8s_gpu_sharing_plan,
    k8s_gpu_sharing_report,
)

PATH = "/etc/gpuhost/device-plugin-config.yaml"
INPUTS = {"configs": [{"name": "common"}], "configmap_name": "nvidia-device-plugin-configs",
          "namespace": "gpu-operator", "node_configs": {}, "apply": False, "manifest_path": PATH}
RENDERED = {"common": {}, "mps": {}}
WRITTEN = {"path": PATH, "exists": True, "type": "file", "sha1": "abc", "mode": "0644", "owner": "ansible",
           "group": "ansible"}


def plan(manifest=None, sha1="abc", **changes):
    return k8s_gpu_sharing_plan(dict(INPUTS, **changes), rendered=RENDERED, kubernetes_core=False,
                                manifest=WRITTEN if manifest is None else manifest, manifest_sha1=sha1, host="ctl")


def test_a_current_manifest_and_no_cluster_is_nothing_to_do():
    result = plan()
    assert result == {"configs": ["common", "mps"], "cluster": False, "manifest_current": True,
                      "todo": {"manifest": False, "cluster": False}, "would_change": []}


@pytest.mark.parametrize("manifest,sha1", [({"path": PATH, "exists": False}, "abc"), (WRITTEN, "other"),
                                           (dict(WRITTEN, mode="0600"), "abc")])
def test_a_missing_or_different_manifest_is_written(manifest, sha1):
    result = plan(manifest, sha1)
    assert result["todo"] == {"manifest": True, "cluster": False} and result["would_change"] == ["write " + PATH]


def test_the_cluster_section_runs_where_the_cluster_is_touched():
    result = k8s_gpu_sharing_plan(dict(INPUTS, apply=True, node_configs={"z02": "mps", "sm03": None}),
                                  rendered=RENDERED, kubernetes_core=True, manifest=WRITTEN, manifest_sha1="abc")
    assert result["todo"] == {"manifest": False, "cluster": True}
    assert result["would_change"] == ["apply ConfigMap gpu-operator/nvidia-device-plugin-configs",
                                      "label node(s) z02, sm03"]


@pytest.mark.parametrize("changes,message", [
    ({"configs": []}, "k8s_gpu_sharing_configs is empty; give at least one config"),
    ({"namespace": "GPU_Operator"}, 'k8s_gpu_sharing_configmap_name "nvidia-device-plugin-configs" or '
                                    'k8s_gpu_sharing_namespace "GPU_Operator" is not a Kubernetes name'),
    ({"configmap_name": "a" * 254}, "is not a Kubernetes name"),
    ({"node_configs": {"z02": "a100-80gb", "z03": "a100-80gb", "z04": None}},
     "k8s_gpu_sharing_node_configs: config a100-80gb is not in k8s_gpu_sharing_configs (common, mps); name one of "
     "them, or null to remove the label"),
    ({"node_configs": {"Node_1": "common", "n2": "mps"}},
     "k8s_gpu_sharing_node_configs: node name Node_1 is not a Kubernetes node name"),
    ({"apply": True}, "k8s_gpu_sharing_apply or k8s_gpu_sharing_node_configs needs the kubernetes.core collection on "
                      "the controller, which is not installed: install it (ansible-galaxy collection install "
                      "kubernetes.core) and the Python kubernetes library on ctl, or set k8s_gpu_sharing_apply false "
                      "and k8s_gpu_sharing_node_configs {} and apply %s with kubectl" % PATH),
    # the names are checked before kubernetes.core
    ({"node_configs": {"Node_1": "common"}, "apply": True}, "node name Node_1"),
])
def test_refusals(changes, message):
    with pytest.raises(SharingRefusal) as caught:
        plan(**changes)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_filters():
    with pytest.raises(AnsibleFilterError, match=r"^k8s_gpu_sharing_plan: k8s_gpu_sharing_configs is empty"):
        SharingFilters().filters()["k8s_gpu_sharing_plan"](dict(INPUTS, configs=[]))
    assert SharingFilters().filters()["k8s_gpu_sharing_report"] is k8s_gpu_sharing_report


def test_report_and_summary():
    labelled = {"results": [{"item": {"key": "z02", "value": "mps"}, "changed": True},
                            {"item": {"key": "sm03", "value": None}, "changed": False}]}
    inputs = dict(INPUTS, apply=True)
    report = k8s_gpu_sharing_report(plan(sha1="new"), manifest={"changed": True}, applied={"changed": True},
                                    labelled=labelled, inputs=inputs, check_mode=True)
    assert report["manifest_changed"] and report["apply_changed"] and report["labels_changed"] == ["z02"]
    assert report["configmap"] == "gpu-operator/nvidia-device-plugin-configs" and report["configs"] == ["common", "mps"]
    assert report["summary"] == ("ConfigMap gpu-operator/nvidia-device-plugin-configs (common, mps): manifest %s would "
                                 "be written; would be applied; labels would be changed on z02" % PATH)
    quiet = k8s_gpu_sharing_report(plan(), manifest={}, applied={"skipped": True}, labelled={}, inputs=INPUTS)
    assert not quiet["manifest_changed"] and not quiet["apply_changed"] and quiet["labels_changed"] == []
    assert quiet["summary"] == "ConfigMap gpu-operator/nvidia-device-plugin-configs (common, mps): manifest %s " \
                               "unchanged" % PATH

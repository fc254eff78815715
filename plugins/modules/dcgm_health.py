#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dcgm_health
short_description: Read DCGM's health check (and a level-1 diagnostic) per GPU where DCGM is installed
version_added: 0.1.0
description:
  - Where NVIDIA DCGM is installed (C(dcgmi) on the PATH) and its host engine C(nv-hostengine) runs, reads
    C(dcgmi health --check --json), the result of the background health watches, and reports the health of each
    GPU with DCGM's messages. With O(diag_level=1) it also runs the level-1 diagnostic C(dcgmi diag -r 1 --json)
    (software and deployment checks, seconds) and reports its status per GPU.
  - Without C(dcgmi) it reports RV(available=false) and RV(summary) C(n/a (no DCGM)); when C(nv-hostengine)
    cannot be reached, or no health watch is set (C(dcgmi health -s a) sets them), it says so. It never starts
    the host engine and never sets watches.
  - Decides what validate.yml reports, in RV(problems) (a C(Failure) of a health system, a failed diagnostic test)
    and RV(notes) (a C(Warning), DCGM not reachable).
extends_documentation_fragment:
  - gpuhost.provision.read_only
author:
  - gpuhost.provision developers (@gpuhost)
options:
  diag_level:
    description:
      - V(0) runs no diagnostic; V(1) runs C(dcgmi diag -r 1). Higher levels stress the GPUs for minutes and
        need them idle, so they are not offered here.
    type: int
    default: 0
    choices: [0, 1]
  gpu_ids:
    description:
      - The GPU ids to report (DCGM numbers GPUs as NVML does), so that a healthy GPU, which DCGM does not list,
        is reported as C(Healthy). Empty reports only the GPUs DCGM names.
    type: list
    elements: int
    default: []
attributes:
  platform:
    description: Linux hosts; DCGM optional.
requirements:
  - DCGM (package C(datacenter-gpu-manager) or C(datacenter-gpu-manager-4-*)) and a running C(nv-hostengine) for a result.
seealso:
  - name: dcgmi health
    description: The health command and its watches.
    link: https://docs.nvidia.com/datacenter/dcgm/latest/reference/command-line-reference/dcgmi/dcgmi-health.html
  - name: DCGM Diagnostics
    description: Run levels of C(dcgmi diag).
    link: https://docs.nvidia.com/datacenter/dcgm/latest/user-guide/dcgm-diagnostics.html
"""

EXAMPLES = r"""
- name: DCGM health of every GPU, and the level-1 diagnostic
  gpuhost.provision.dcgm_health:
    diag_level: 1
    gpu_ids: "{{ range(ansible_facts.nvidia.gpu_count | default(0)) | list }}"
  register: dcgm
"""

RETURN = r"""
available:
  description: Whether DCGM answered the health check.
  returned: always
  type: bool
  sample: true
overall:
  description: DCGM's overall health (C(Healthy), C(Warning), C(Failure)), or null when DCGM did not answer.
  returned: always
  type: str
  sample: Warning
gpus:
  description: Per GPU, its health, DCGM's incidents (system, health, message) and the diagnostic's status.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 0
      health: Warning
      incidents: [{system: PCIe system, health: Warning, message: "Detected more than 8 PCIe replays per minute"}]
      diag: Pass
problems:
  description: What validate.yml counts as a problem of the host.
  returned: always
  type: list
  elements: str
notes:
  description: What validate.yml shows without failing the host.
  returned: always
  type: list
  elements: str
summary:
  description: One line for the host, for example C(Healthy (GPU 0 Healthy, GPU 1 Healthy)) or C(n/a (no DCGM)).
  returned: always
  type: str
  sample: n/a (no DCGM)
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._dcgm import (
    NO_WATCHES,
    DcgmOutputError,
    parse_diag,
    parse_health,
    report,
    summary,
    unreachable,
)


def _text(out, err):
    return " ".join((out + " " + err).split())[:300]


def check(module, dcgmi):
    """Run the health check (and the diagnostic); the module's result without 'changed'."""
    result = dict(available=False, overall=None, gpus=[], problems=[], notes=[])
    rc, out, err = run_c_locale(module, [dcgmi, "health", "--check", "--json"])
    if unreachable(out, err):
        result["summary"] = "n/a (nv-hostengine not running)"
        result["notes"].append("dcgmi is installed but nv-hostengine cannot be reached: start nvidia-dcgm.service "
                               "for DCGM's health checks")
        return result
    if NO_WATCHES in out + err:
        result["summary"] = "n/a (no health watches)"
        result["notes"].append("DCGM has no health watch set: run 'dcgmi health -s a' once to set them")
        return result
    try:
        health = parse_health(out)
    except DcgmOutputError as exc:
        result["summary"] = "error"
        result["problems"].append("dcgmi health --check failed (rc %d): %s" % (rc, exc))
        return result
    diag = None
    if module.params["diag_level"]:
        rc, out, err = run_c_locale(module, [dcgmi, "diag", "-r", str(module.params["diag_level"]), "--json"])
        try:
            diag = parse_diag(out)
        except DcgmOutputError as exc:
            diag = {"error": "rc %d: %s (%s)" % (rc, exc, _text("", err)), "entities": {}}
    gpus, problems, notes = report(health, diag, module.params["gpu_ids"])
    result.update(available=True, overall=health["overall"], gpus=gpus, problems=problems, notes=notes,
                  summary=summary(gpus, health["overall"], diag is not None))
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            diag_level=dict(type="int", default=0, choices=[0, 1]),
            gpu_ids=dict(type="list", elements="int", default=[]),
        ),
        supports_check_mode=True,
    )
    dcgmi = module.get_bin_path("dcgmi")
    if not dcgmi:
        module.exit_json(changed=False, available=False, overall=None, gpus=[], problems=[], notes=[],
                         summary="n/a (no DCGM)")
    module.exit_json(changed=False, **check(module, dcgmi))


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: slurm_node
short_description: Drain a Slurm node and wait for its jobs to end, or resume it
version_added: 0.2.0
description:
  - O(state=drained) sets the node to drain with O(reason) (C(scontrol update nodename=... state=drain reason=...))
    unless it is drained already, then waits up to O(wait_timeout) seconds for its running jobs to end (C(sinfo)
    state C(draining) becomes C(drained), C(squeue -w) lists nothing). A job that outlasts the wait fails the task
    with the job list; the node stays drained with its reason.
  - O(state=resumed) resumes the node (C(state=resume)) only when its drain reason starts with O(reason), so that a
    drain an operator set for another cause is never undone.
  - Runs the Slurm client commands where the task runs (the node itself, or the controller with C(delegate_to)).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  name:
    description: The node's NodeName in slurm.conf.
    type: str
    required: true
  state:
    description: V(drained), V(resumed), or V(query) (reads only).
    type: str
    default: query
    choices: [query, drained, resumed]
  reason:
    description: The drain reason this collection sets and recognises when it resumes.
    type: str
    default: gpuhost.provision driver change
  wait_timeout:
    description: Seconds to wait for running jobs to end after the drain (V(0) does not wait).
    type: int
    default: 3600
  poll_interval:
    description: Seconds between two looks at the node while waiting.
    type: int
    default: 10
  timeout_option:
    description: The variable named in the timeout message.
    type: str
    default: wait_timeout
extends_documentation_fragment:
  - gpuhost.provision.posix
attributes:
  check_mode:
    support: full
    description: Reports the drain or resume it would make; neither changes the node nor waits.
  diff_mode:
    support: full
    description: The node's state and reason before and after.
  idempotent:
    support: full
    description: A drained node is not drained again; a node in service is not resumed.
  platform:
    description: Any host with the Slurm client commands and the cluster's munge key.
requirements:
  - The Slurm client commands C(sinfo), C(squeue) and C(scontrol) with an operator's rights (C(scontrol update)).
"""

EXAMPLES = r"""
- name: Drain the node and wait up to an hour for its jobs
  gpuhost.provision.slurm_node:
    name: "{{ inventory_hostname_short }}"
    state: drained
    wait_timeout: 3600

- name: Resume it after validation
  gpuhost.provision.slurm_node:
    name: "{{ inventory_hostname_short }}"
    state: resumed
"""

RETURN = r"""
node:
  description: C(state) (sinfo's long form), C(flags), C(responding) and C(reason), as found last.
  returned: always
  type: dict
  sample: {state: drained, flags: [drained], responding: true, reason: gpuhost.provision driver change}
jobs:
  description: The jobs on the node, as found last.
  returned: always
  type: list
  elements: dict
  sample: [{id: "12", user: root, state: RUNNING, name: wrap}]
states:
  description: The states seen, in order (e.g. V(idle), V(draining), V(drained)).
  returned: always
  type: list
  elements: str
waited:
  description: Seconds waited for jobs to end.
  returned: always
  type: int
ours:
  description:
    - Whether the node is drained (or draining) with a reason that starts with O(reason), as found last; a drain this
      collection set, which O(state=resumed) undoes. An operator's drain for another cause is not.
    - C(playbooks/driver_change.yml) reads it to give back a node that a stopped run left drained.
  returned: always
  type: bool
  sample: false
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._slurm import (
    SlurmError,
    drain_timeout_message,
    is_drain,
    is_drained,
    ours,
    parse_sinfo,
    parse_squeue,
    resume_plan,
)


class Node:
    def __init__(self, module):
        self.module = module
        self.name = module.params["name"]
        self.states = []

    def run(self, tool, args):
        argv = [self.module.get_bin_path(tool, required=True)] + list(args)
        rc, out, err = run_c_locale(self.module, argv)
        if rc != 0:
            raise SlurmError("%s failed (rc %s): %s" % (" ".join(argv), rc, " ".join((err or out).split())))
        return out

    def read(self):
        node = parse_sinfo(self.run("sinfo", ["-h", "-N", "-n", self.name, "-o", "%T|%E"]), self.name)
        jobs = parse_squeue(self.run("squeue", ["-h", "-w", self.name, "-o", "%i|%u|%T|%j"]))
        if not self.states or self.states[-1] != node["state"]:
            self.states.append(node["state"])
        return node, jobs

    def update(self, *settings):
        self.run("scontrol", ["update", "nodename=" + self.name] + list(settings))


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="query", choices=["query", "drained", "resumed"]),
            reason=dict(type="str", default="gpuhost.provision driver change"),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="int", default=10),
            timeout_option=dict(type="str", default="wait_timeout"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    node = Node(module)
    changed, waited, message = False, 0, None
    try:
        before, jobs = node.read()
        current = before
        if params["state"] == "drained" and not is_drain(before):
            changed = True
            if not module.check_mode:
                node.update("state=drain", "reason=" + params["reason"])
                current, jobs = node.read()
        if params["state"] == "drained" and not module.check_mode:
            start = time.monotonic()
            while not is_drained(current, jobs) and time.monotonic() - start < params["wait_timeout"]:
                time.sleep(max(1, min(params["poll_interval"], params["wait_timeout"] - (time.monotonic() - start))))
                current, jobs = node.read()
            waited = int(time.monotonic() - start)
            if not is_drained(current, jobs):
                message = drain_timeout_message(node.name, jobs, waited, current["reason"] or params["reason"],
                                                params["timeout_option"])
        if params["state"] == "resumed":
            resume, why = resume_plan(before, params["reason"])
            if not resume and is_drain(before):
                module.warn("Slurm node %s: %s" % (node.name, why))
            if resume:
                changed = True
                if not module.check_mode:
                    node.update("state=resume")
                    current, jobs = node.read()
    except SlurmError as exc:
        module.fail_json(msg=str(exc), states=node.states)
    result = dict(changed=changed, node=current, jobs=jobs, states=node.states, waited=waited,
                  ours=is_drain(current) and ours(current, params["reason"]))
    if module._diff:
        result["diff"] = dict(before=dict(state=before["state"], reason=before["reason"]),
                              after=dict(state=current["state"], reason=current["reason"]))
    if message:
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

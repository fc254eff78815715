#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_clients
short_description: List what uses the GPUs, wait for compute processes to end, stop and start the GPU's services
version_added: 0.2.0
description:
  - Lists the GPU compute processes from NVML (C(nvidia-smi --query-compute-apps) where NVML's Python module is
    missing) and the services known to hold an NVIDIA device open (the MPS control daemon, DCGM's
    C(nv-hostengine), Fabric Manager, nvidia-persistenced), whether present and active.
  - O(state=stopped) waits up to O(wait_for_idle) seconds for the compute processes to end; when some outlast the
    wait it fails with their names and pids and changes nothing. Then it stops the active services, clients first,
    and returns them in RV(stopped).
  - O(state=started) starts the given services that are not active, in the reverse order (nvidia-persistenced first).
  - A host without a driver (NVML cannot load) has no compute processes; a host without systemd has no services.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  state:
    description:
      - V(query) reads only; V(stopped) waits for idle and stops the services; V(started) starts them again.
    type: str
    default: query
    choices: [query, stopped, started]
  services:
    description:
      - The systemd units to consider. For V(started), the units RV(stopped) returned before the change.
    type: list
    elements: str
    default: [nvidia-cuda-mps-control.service, nvidia-dcgm.service, dcgm.service, nvidia-fabricmanager.service,
              nvidia-persistenced.service]
  wait_for_idle:
    description:
      - Seconds to wait for GPU compute processes to end before refusing (V(0) refuses at once).
    type: int
    default: 0
  poll_interval:
    description: Seconds between two looks at the process list while waiting.
    type: int
    default: 5
  wait_option:
    description: The variable named in the refusal, so that the message says what to raise.
    type: str
    default: wait_for_idle
  backend:
    description: How to read the processes, as in M(gpuhost.provision.nvidia_gpu_facts).
    type: str
    default: auto
    choices: [auto, nvml, nvidia_smi]
extends_documentation_fragment:
  - gpuhost.provision.posix
attributes:
  check_mode:
    support: full
    description: Reports what would be stopped or started; does not wait (a busy host with O(wait_for_idle=0) fails
      as a real run would).
  diff_mode:
    support: none
    description: Returns the services' states instead.
  idempotent:
    support: full
    description: Stopping stopped or starting started services changes nothing.
  platform:
    description: Linux hosts with NVIDIA GPUs; systemd for the services.
requirements:
  - systemd (systemctl) for the services; NVML (nvidia-ml-py) or nvidia-smi for the processes.
"""

EXAMPLES = r"""
- name: Wait up to 10 minutes for GPU jobs to end, then stop the GPU's services
  gpuhost.provision.gpu_clients:
    state: stopped
    wait_for_idle: 600
  register: __clients

- name: Start them again after the driver change
  gpuhost.provision.gpu_clients:
    state: started
    services: "{{ __clients.stopped }}"
"""

RETURN = r"""
processes:
  description: The GPU compute processes (pid, name) seen last.
  returned: always
  type: list
  elements: dict
  sample: [{pid: 4242, name: python3}]
process_source:
  description: Where the processes were read (V(nvml), V(nvidia_smi)), or why none could be (no driver).
  returned: always
  type: str
  sample: nvml
services:
  description: Per unit, before this call, C(present), C(active) and C(enabled).
  returned: always
  type: dict
  sample: {nvidia-persistenced.service: {present: true, active: true, enabled: true}}
stopped:
  description: The units stopped (or that would be, in check mode), in the order stopped.
  returned: always
  type: list
  elements: str
  sample: [nvidia-persistenced.service]
started:
  description: The units started (or that would be), in the order started.
  returned: always
  type: list
  elements: str
  sample: [nvidia-persistenced.service]
waited:
  description: Seconds spent waiting for compute processes to end.
  returned: always
  type: int
  sample: 0
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_clients import (
    HOLDER_SERVICES,
    busy_message,
    parse_systemctl_show,
    to_start,
    to_stop,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_sysfs import read_text
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    NotSupported,
    NvidiaError,
    open_backend,
)

PROC_ROOT = "/proc"
SYSTEMD_RUN_DIR = "/run/systemd/system"


def process_name(pid) -> str:
    return read_text(os.path.join(PROC_ROOT, str(pid), "comm")) or ""


class Clients:
    """Reads processes and services; stops and starts services through one command runner."""

    def __init__(self, module):
        self.module = module
        self.systemctl = module.get_bin_path("systemctl") if os.path.isdir(SYSTEMD_RUN_DIR) else None

    def run(self, argv):
        rc, out, err = run_c_locale(self.module, argv)
        if rc != 0:
            self.module.fail_json(msg="%s failed (rc %s): %s" % (" ".join(argv), rc, " ".join((err or out).split())),
                                  stdout=out, stderr=err)
        return out

    def processes(self):
        """([{'pid', 'name'}], source)."""
        try:
            with open_backend(self.module, self.module.params["backend"]) as backend:
                pids = []
                try:
                    for gpu in backend.gpus():
                        if not gpu.lost:
                            pids.extend(backend.compute_processes(gpu))
                    source = backend.name
                except NotSupported:
                    out = backend.run(["--query-compute-apps=pid", "--format=csv,noheader"])[1]
                    pids = [int(line.strip()) for line in out.splitlines() if line.strip().isdigit()]
                    source = "nvidia_smi"
        except NvidiaError as exc:
            return [], "none (%s)" % exc
        return [{"pid": pid, "name": process_name(pid)} for pid in sorted(set(pids))], source

    def services(self, units):
        if not self.systemctl or not units:
            return dict((unit, {"present": False, "active": False, "enabled": False}) for unit in units)
        out = self.run([self.systemctl, "show", "--property=Id,LoadState,ActiveState,UnitFileState"] + list(units))
        return parse_systemctl_show(out, list(units))

    def wait_for_idle(self, timeout, interval):
        """(processes, source, waited): polls until none run or the timeout passed."""
        start = time.monotonic()
        processes, source = self.processes()
        while processes and not self.module.check_mode and time.monotonic() - start < timeout:
            time.sleep(max(1, min(interval, timeout - (time.monotonic() - start))))
            processes, source = self.processes()
        return processes, source, int(time.monotonic() - start)


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="query", choices=["query", "stopped", "started"]),
            services=dict(type="list", elements="str", default=list(HOLDER_SERVICES)),
            wait_for_idle=dict(type="int", default=0),
            poll_interval=dict(type="int", default=5),
            wait_option=dict(type="str", default="wait_for_idle"),
            backend=dict(type="str", default="auto", choices=["auto", "nvml", "nvidia_smi"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["wait_for_idle"] < 0:
        module.fail_json(msg="%s must be 0 or more seconds, not %s" % (params["wait_option"], params["wait_for_idle"]))
    units = [unit if "." in unit else unit + ".service" for unit in params["services"]]
    clients = Clients(module)
    result = dict(changed=False, stopped=[], started=[], waited=0)
    if params["state"] == "stopped":
        processes, source, waited = clients.wait_for_idle(params["wait_for_idle"], params["poll_interval"])
        result.update(processes=processes, process_source=source, waited=waited)
        if processes and (params["wait_for_idle"] == 0 or not module.check_mode):
            module.fail_json(msg=busy_message(processes, waited, params["wait_option"]), **result)
        if processes:
            module.warn("check mode: %d GPU compute process(es) run now; a real run waits up to %d s for them"
                        % (len(processes), params["wait_for_idle"]))
    else:
        processes, source = clients.processes()
        result.update(processes=processes, process_source=source)
    state = clients.services(units)
    result["services"] = state
    if params["state"] == "stopped":
        result["stopped"] = to_stop(state)
        for unit in [] if module.check_mode else result["stopped"]:
            clients.run([clients.systemctl, "stop", unit])
    elif params["state"] == "started":
        result["started"] = to_start(units, state)
        for unit in [] if module.check_mode else result["started"]:
            clients.run([clients.systemctl, "start", unit])
    result["changed"] = bool(result["stopped"] or result["started"])
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_snapshot
short_description: Read files, users and systemd units in one call, changing nothing
version_added: 0.1.0
description:
  - Reads, in one module execution, what a role needs to decide whether anything must change. For files, their
    type, SHA-1, mode, owner and link target; for users their passwd entry and whether the password is locked;
    for systemd units their masks, the vendor unit a package installed, and C(systemctl is-enabled) and
    C(is-active) where systemd runs.
  - The roles of this collection call it once in their pre-flight and skip every task whose target is already
    as wanted, so that a converged host costs one execution instead of one per task. Every task it lets a role
    skip is idempotent on its own; the snapshot only saves the round trip.
  - Never changes anything and behaves the same in check mode.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  files:
    description:
      - Absolute paths to read. A final symlink is reported as a link, not followed.
    type: list
    elements: path
    default: []
  users:
    description:
      - User names to look up in the passwd database (and the shadow file, for the lock state).
    type: list
    elements: str
    default: []
  units:
    description:
      - systemd unit names; a name without a suffix gets C(.service), as with C(systemctl).
    type: list
    elements: str
    default: []
  nvidia_facts:
    description:
      - Also read the NVIDIA driver, NVML, per-GPU facts and the PCI view, exactly as
        M(gpuhost.provision.nvidia_gpu_facts) with O(gpuhost.provision.nvidia_gpu_facts#module:backend=auto) does, and
        return them as C(ansible_facts.nvidia). A role that needs both saves one module execution on the host.
    type: bool
    default: false
  xid:
    description:
      - >-
        Also read the NVIDIA Xid lines (C(NVRM: Xid)) the kernel logged since boot, into RV(xid), from the journal
        where systemd runs, else from C(/dev/kmsg), else through C(dmesg).
      - When none of them can be read, C(error) in RV(xid) says why (for example in an unprivileged container), so that
        no Xid and no log stay apart.
    type: bool
    default: false
extends_documentation_fragment:
  - gpuhost.provision.read_only
attributes:
  platform:
    description: Linux hosts, with or without systemd.
notes:
  - Reading the lock state needs read access to C(/etc/shadow) (root); otherwise C(locked) is null.
seealso:
  - module: gpuhost.provision.systemd_unit_unmask
  - module: gpuhost.provision.nvidia_gpu_facts
"""

EXAMPLES = r"""
- name: Read the unit file, the daemon user and the unit's state in one call
  gpuhost.provision.host_snapshot:
    files: [/usr/bin/nvidia-persistenced, /etc/systemd/system/nvidia-persistenced.service]
    users: [nvidia-persistenced]
    units: [nvidia-persistenced.service]
  register: __snapshot

- name: The same, with the GPU facts of nvidia_gpu_facts in ansible_facts.nvidia (one call instead of two)
  gpuhost.provision.host_snapshot:
    files: [/usr/bin/nvidia-persistenced]
    nvidia_facts: true

- name: Write the unit only when its content differs
  ansible.builtin.template:
    src: nvidia-persistenced.service.j2
    dest: /etc/systemd/system/nvidia-persistenced.service
    mode: "0644"
  when: >-
    __snapshot.files['/etc/systemd/system/nvidia-persistenced.service'].sha1
    != lookup('ansible.builtin.template', 'nvidia-persistenced.service.j2') | hash('sha1')
"""

RETURN = r"""
files:
  description: One entry per path in O(files), keyed by the path.
  returned: always
  type: dict
  sample:
    /etc/systemd/system/nvidia-persistenced.service:
      path: /etc/systemd/system/nvidia-persistenced.service
      exists: true
      type: file
      sha1: 3b2f6c0d9f6e5c3f1f0e8d4a3c2b1a0f9e8d7c6b
      mode: "0644"
      owner: root
      group: root
      link_target: null
users:
  description: One entry per name in O(users), keyed by the name.
  returned: always
  type: dict
  sample:
    nvidia-persistenced: {name: nvidia-persistenced, exists: true, uid: 998, gid: 998, comment: NVIDIA Persistence Daemon,
                          home: /nonexistent, shell: /usr/sbin/nologin, locked: true}
units:
  description: One entry per unit in O(units), keyed by the normalised name.
  returned: always
  type: dict
  sample:
    nvidia-persistenced.service:
      masks: []
      vendor_unit: {path: /usr/lib/systemd/system/nvidia-persistenced.service,
                    exec_start: ExecStart=/usr/bin/nvidia-persistenced --user nvpd, static: false}
      enabled: enabled
      active: inactive
systemd_running:
  description: Whether systemd manages the host (C(/run/systemd/system) is a directory).
  returned: always
  type: bool
  sample: true
xid:
  description: With O(xid=true), the Xid lines since boot and where they were read.
  returned: when O(xid=true)
  type: dict
  sample: {source: kmsg, lines: ["NVRM: Xid (PCI:0000:17:00): 79, pid=0, GPU has fallen off the bus."], error: null}
ansible_facts:
  description: With O(nvidia_facts=true), C(nvidia) as returned by M(gpuhost.provision.nvidia_gpu_facts).
  returned: when O(nvidia_facts=true)
  type: dict
  sample: {nvidia: {available: false, error: "The NVIDIA kernel driver is not loaded", gpu_count: 0, gpus: [],
                    pci_devices: [], pci_not_in_nvml: [], nvswitch_devices: []}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._gpu_facts import collect_gpu_facts
from ansible_collections.gpuhost.provision.plugins.module_utils._kernel_log import read_xid
from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_state, user_state
from ansible_collections.gpuhost.provision.plugins.module_utils._systemd import (
    MASK_KINDS,
    SystemdError,
    find_unit_paths,
    find_vendor_unit,
    normalize_unit_names,
    systemd_running,
)


ROOT = "/"   # overridable by tests (module-internal)


def unit_state(module: AnsibleModule, unit: str, running: bool) -> dict:
    state = {"masks": [path for path, kind in find_unit_paths(ROOT, unit) if kind in MASK_KINDS],
             "vendor_unit": find_vendor_unit(ROOT, unit), "enabled": None, "active": None}
    systemctl = module.get_bin_path("systemctl") if running else None
    if systemctl:
        for verb in ("is-enabled", "is-active"):
            # both exit non-zero for "disabled", "inactive" and the like: the word on stdout is the answer
            _rc, out, _err = run_c_locale(module, [systemctl, verb, unit])
            state[verb[3:]] = out.strip().splitlines()[0] if out.strip() else None
    return state


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="path", default=[]),
            users=dict(type="list", elements="str", default=[]),
            units=dict(type="list", elements="str", default=[]),
            nvidia_facts=dict(type="bool", default=False),
            xid=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        units = normalize_unit_names(module.params["units"]) if module.params["units"] else []
    except SystemdError as exc:
        module.fail_json(msg=str(exc))
    relative = [path for path in module.params["files"] if not path.startswith("/")]
    if relative:
        module.fail_json(msg="files: %r is not an absolute path" % relative[0])
    bad = [name for name in module.params["users"] if not name or ":" in name or "\n" in name]
    if bad:
        module.fail_json(msg="user name %r is not valid: give a name as in /etc/passwd" % bad[0])
    running = systemd_running(ROOT)
    result = dict(
        changed=False,
        files=dict((path, file_state(path)) for path in module.params["files"]),
        users=dict((name, user_state(name)) for name in module.params["users"]),
        units=dict((unit, unit_state(module, unit, running)) for unit in units),
        systemd_running=running,
    )
    if module.params["nvidia_facts"]:
        result["ansible_facts"] = {"nvidia": collect_gpu_facts(module)}
    if module.params["xid"]:
        result["xid"] = read_xid(module, running)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

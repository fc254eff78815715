#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: package_lock
short_description: Wait for the package manager's locks, tell a running install from an interrupted one, follow an install
version_added: 0.2.0
description:
  - Reads who holds the APT and dpkg locks (C(/var/lib/dpkg/lock-frontend), C(/var/lib/dpkg/lock),
    C(/var/cache/apt/archives/lock), C(/var/lib/apt/lists/lock)) and, when none is held, whether dpkg's last run
    was interrupted (its journal in C(/var/lib/dpkg/updates), or packages that C(dpkg --audit) lists).
  - With O(package_manager=dnf), the DNF and rpm locks instead - dnf's lock files, which hold the PID of the dnf
    process while it lives (C(/var/cache/dnf/metadata_lock.pid), C(/var/cache/dnf/download_lock.pid),
    C(/var/lib/dnf/rpmdb_lock.pid)), and rpm's transaction lock (C(.rpm.lock) in C(/var/lib/rpm) or
    C(/usr/lib/sysimage/rpm)); there is no dpkg audit.
  - RV(state) is V(running) while a process holds a lock (an install or an index refresh still going on, for
    example after the controller that started it was killed), V(interrupted) when no process holds one and dpkg
    left work behind (repair it with C(dpkg --configure -a)), else V(free).
  - With O(timeout), the action plugin waits until no process holds a lock, at most O(timeout) seconds, and prints
    every O(report_every) seconds which process it waits for; it fails naming the process and O(timeout_name)
    when the time is up.
  - With O(jid), the action plugin follows a task started with C(async) and C(poll=0) (the install) until it
    ends (the module waits on the host and returns when the job ends, or after O(report_every) seconds), and
    prints every O(report_every) seconds the task's own name, the stage of the install and the seconds since it
    started; it returns the job's result. Stages with APT resolving, download, unpack, configure, DKMS build,
    initramfs; with DNF resolving, download, install/verify, scriptlets, DKMS build, initramfs. A failed job's
    C(msg) is its error lines (C(E:)) or its message, at most 300 characters; its whole output is kept in the
    result only with C(-v).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  package_manager:
    description:
      - Whose locks to look at (and, with O(stage), how to read the stage of an install).
    type: str
    choices: [apt, dnf]
    default: apt
  locks:
    description:
      - The lock files to look at instead of those of O(package_manager); a name that ends in C(.pid) is a lock file
        as dnf writes it (the holder's PID), any other an fcntl(2) lock.
    type: list
    elements: path
  audit:
    description:
      - When no lock is held, run C(dpkg --audit) (read-only) and read dpkg's journal for RV(state) and RV(pending).
      - APT only.
    type: bool
    default: true
  stage:
    description:
      - Also report the stage an install is in (RV(stage)), from the processes that run.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait while a process holds one of O(locks); V(0) only looks.
    type: int
    default: 0
  timeout_name:
    description:
      - The name of the setting that gives O(timeout), for the message when the time is up.
    type: str
    default: timeout
  jid:
    description:
      - The job id of an asynchronous task to follow until it ends (its C(ansible_job_id)).
    type: str
  poll:
    description:
      - Seconds between two looks at the locks (with O(timeout)).
      - A job (O(jid)) is looked at on the host itself every half second, by one module execution that lasts until the
        job ends or O(report_every) seconds have passed; the controller hears of the end at once.
    type: int
    default: 2
  report_every:
    description:
      - Seconds between two progress lines.
    type: int
    default: 15
  job_file:
    description:
      - Set by the action plugin while it follows O(jid) (the job's results file on the host); wait on the host until
        the job ends, or O(job_wait) seconds, and return RV(job_state).
    type: path
  job_wait:
    description:
      - With O(job_file), the most seconds to wait on the host.
    type: int
    default: 0
  job_take:
    description:
      - With O(job_file), once the job has ended without failing, return its result (RV(job)) and remove its results
        file, as C(async_status) and its C(cleanup) mode would in two more module executions. A failed job's file is
        left for C(async_status).
    type: bool
    default: false
extends_documentation_fragment:
  - gpuhost.provision.read_only
attributes:
  action:
    support: full
    description: The waiting loops run on the controller, which prints the progress lines.
  async:
    support: none
    description: It follows asynchronous tasks itself (O(jid)).
  platform:
    description: Debian and Ubuntu (APT, dpkg; fcntl(2) record locks, as apt and dpkg take them); EL 8-10 (dnf 4, rpm).
notes:
  - A holder is found with C(F_GETLK), which does not take the lock. A lock taken with flock(2) (the C(flock)
    command) is a different kind that apt and dpkg neither take nor see. A dnf lock file whose process has ended is
    free, as dnf itself reads it.
  - With O(jid) the job's result file is removed once it has been read, as C(async_status) with C(mode=cleanup)
    does.
seealso:
  - module: ansible.builtin.async_status
"""

EXAMPLES = r"""
- name: Wait up to 5 minutes for another apt or dpkg run to finish
  gpuhost.provision.package_lock:
    timeout: 300
    timeout_name: nvidia_driver_lock_timeout
  register: __lock

- name: Repair an interrupted dpkg run
  ansible.builtin.command:
    argv: [dpkg, --configure, -a]
  changed_when: true
  when: __lock.state == 'interrupted'

- name: Start the install
  ansible.builtin.apt:
    name: hello
  async: 3600
  poll: 0
  register: __job

- name: Install hello (stage and elapsed time every 15 s)
  gpuhost.provision.package_lock:
    jid: "{{ __job.ansible_job_id }}"
    timeout: 3600

- name: Start the install on an EL host
  ansible.builtin.dnf:
    name: hello
  async: 3600
  poll: 0
  register: __dnf_job

- name: Install hello with dnf (resolving, download, install/verify, scriptlets, DKMS build)
  gpuhost.provision.package_lock:
    package_manager: dnf
    jid: "{{ __dnf_job.ansible_job_id }}"
    timeout: 3600
"""

RETURN = r"""
state:
  description: V(running), V(interrupted) or V(free) (see the description); after a wait, the state it ended in.
  returned: always
  type: str
  sample: interrupted
holders:
  description: The locks held, each with the holder's C(pid) and C(command) (V(0) and empty when the holder is in
    another PID namespace).
  returned: always
  type: list
  elements: dict
  sample: [{lock: /var/lib/apt/lists/lock, pid: 812, command: apt-get update}]
waited_for:
  description: The holders found when the wait began (empty when nothing was held).
  returned: when O(timeout) is set
  type: list
  elements: dict
waited:
  description: Seconds waited for the locks.
  returned: when O(timeout) is set
  type: int
  sample: 12
journal:
  description: The files of dpkg's journal (C(/var/lib/dpkg/updates), without C(tmp.i)).
  returned: always
  type: list
  elements: str
pending:
  description: The packages that C(dpkg --audit) lists (half-installed, half-configured, awaiting triggers).
  returned: always
  type: list
  elements: str
  sample: [gpuhost-killed]
job_state:
  description: With O(job_file), V(finished), V(running) (after O(job_wait) seconds) or V(missing) (no results file).
  returned: when O(job_file) is set
  type: str
  sample: running
job:
  description: With O(job_take), the result of the job that ended (what C(async_status) would return for it).
  returned: when O(job_take) is set and the job has ended without failing
  type: dict
  sample: {rc: 0, changed: true, cmd: [apt-get, install, -y, nvidia-smi], stdout: "...", stderr: ""}
stage:
  description: The stage an install is in, with the command that shows it.
  returned: when O(stage) is set
  type: dict
  sample: {name: DKMS build, command: /bin/bash /usr/sbin/dkms autoinstall}
msg:
  description: One line.
  returned: always
  type: str
  sample: "dpkg was interrupted: gpuhost-killed"
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import C_LOCALE
from ansible_collections.gpuhost.provision.plugins.module_utils._package_lock import (
    ARGUMENT_SPEC,
    audit_packages,
    descendants,
    holder_text,
    holders,
    install_stage,
    journal_entries,
    lock_set,
    processes,
    state,
    take_job,
    timeout_message,
    wait_for_job,
)


def stage_of(held):
    """The stage of the install that holds the locks: only the holders' own processes (a build elsewhere on the host
    is not the install's)."""
    name, command = install_stage(descendants(processes(), [item["pid"] for item in held]), held)
    return dict(name=name, command=command)


def look(module):
    """The module's answer for one look at the host."""
    held = holders(lock_set(module.params["package_manager"], module.params["locks"]))
    journal, pending = [], []
    if not held and module.params["audit"] and module.params["package_manager"] == "apt":
        journal = journal_entries()
        dpkg = module.get_bin_path("dpkg")
        if dpkg:
            rc, out, err = module.run_command([dpkg, "--audit"], environ_update=C_LOCALE)
            if rc not in (0, 1):
                module.fail_json(msg="dpkg --audit failed (rc %s): %s" % (rc, " ".join(err.split())[:300]))
            pending = audit_packages(out)
    result = dict(changed=False, state=state(held, journal, pending), holders=held, journal=journal,
                  pending=pending)
    if module.params["stage"]:
        result["stage"] = stage_of(held)
    if held:
        result["msg"] = holder_text(held)
    elif result["state"] == "interrupted":
        result["msg"] = "dpkg was interrupted: %s" % (", ".join(pending) or "its journal has %d entries" % len(journal))
    else:
        result["msg"] = "no process holds the package manager's locks"
    return result


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    if module.params["jid"]:
        module.fail_json(msg="jid is followed by the action plugin on the controller: call the module as "
                             "gpuhost.provision.package_lock, not through ansible.legacy")
    if module.params["job_file"]:
        # the action plugin following a job: wait here, on the host, until it ends or job_wait seconds have passed
        found = wait_for_job(module.params["job_file"], module.params["job_wait"])
        result = dict(changed=False, job_state=found)
        if found == "finished" and module.params["job_take"]:
            job = take_job(module.params["job_file"])
            if job is not None:
                result["job"] = job
        if found == "running" and module.params["stage"]:
            result["stage"] = stage_of(holders(lock_set(module.params["package_manager"], module.params["locks"])))
        module.exit_json(**result)
    # Without the action plugin (a direct call): wait here, without progress lines.
    started = time.monotonic()
    first = result = look(module)
    while result["holders"] and time.monotonic() - started < module.params["timeout"]:
        time.sleep(max(module.params["poll"], 1))
        result = look(module)
    if module.params["timeout"]:
        result.update(waited=int(time.monotonic() - started), waited_for=first["holders"])
        if result["holders"]:
            result["msg"] = timeout_message(result["holders"], module.params["timeout"], module.params["timeout_name"])
            module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: driver_change_table
short_description: The fleet table of playbooks/driver_change.yml
version_added: 0.2.0
description:
  - One line per host with its result, the driver before and after, the workload manager's state of the node, and
    the reason of a failure (a drain that timed out, a refused change, a failed validation, a rollback).
  - A host without a record was not reached (unreachable, or stopped by the rollout guard).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The targeted hosts' names.
    type: list
    elements: str
    required: true
  hostvars:
    description:
      - "Per host its variables (C(hostvars)); C(__change_record) is what the play set for the host (C(result):
        V(ok), V(changed), V(failed); C(from), C(to), C(workload), C(reason)). A host without it was not reached."
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the table
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts_all | gpuhost.provision.driver_change_table(hostvars) }}"
"""

RETURN = r"""
_value:
  description: The table's lines, a header first and a count last.
  type: list
  elements: str
"""

import re

NOT_RUN = "not run: unreachable, or stopped by the rollout guard (gpuhost_max_fail_percentage)"
# the package whose version is the driver's in each set the nvidia_driver role installs (libcuda1: Debian's compute
# set; nvidia-headless-*: Ubuntu's)
DRIVER_PACKAGES = ("nvidia-driver", "cuda-drivers", "nvidia-driver-cuda", "libcuda1")
DNF_PIN = re.compile(r"^(?:nvidia-driver|cuda-drivers)-(?:[0-9]+:)?([0-9]+\.[0-9]+(?:\.[0-9]+)?)(?:-|$)")


def planned_version(would_install):
    """The driver version a check-mode run would install, from the role's pinned items ('nvidia-driver=535.309.01-0+deb12u1',
    'nvidia-driver-535-server=...', 'cuda-drivers-580.95.05-1'), or None."""
    for item in would_install or []:
        name, sep, version = item.partition("=")
        if sep and (name in DRIVER_PACKAGES or name.startswith(("nvidia-driver-", "nvidia-headless-"))) and version:
            return version.split(":")[-1].split("-")[0]
        match = DNF_PIN.match(item)          # dnf: name-version
        if match:
            return match.group(1)
    return None


def driver_change_table(hosts, hostvars):
    rows = ["host | result | driver | workload | reason"]
    done = failed = 0
    for host in hosts:
        record = (hostvars.get(host) or {}).get("__change_record")
        if not record:
            failed += 1
            rows.append(" | ".join([host, "FAILED", "-", "-", NOT_RUN]))
            continue
        if record.get("result") == "failed":
            failed += 1
        else:
            done += 1
        before = record.get("from") or "none"
        after = record.get("to") or planned_version(record.get("would_install")) or "none"
        driver = before if before == after else "%s -> %s" % (before, after)
        rows.append(" | ".join([host, str(record.get("result", "?")).upper() if record.get("result") == "failed"
                                else str(record.get("result")), driver, record.get("workload") or "-",
                                record.get("reason") or "-"]))
    rows.append("%d host(s): %d done, %d failed or not run" % (len(hosts), done, failed))
    return rows


class FilterModule(object):
    def filters(self):
        return {"driver_change_table": driver_change_table}

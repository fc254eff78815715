#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: driver_local_fact
short_description: Record the installed NVIDIA driver, and the one before it, in the host's local fact
version_added: 0.2.0
description:
  - Keeps the C(driver) section of the local fact file C(/etc/ansible/facts.d/gpuhost.fact) (JSON), which fact
    gathering returns as C(ansible_local.gpuhost). The section holds C(version), C(previous_version), C(packages)
    (name to installed package version, read from dpkg or rpm) and C(changed_at) (UTC, ISO 8601).
  - The file changes only when the driver version differs from the recorded one (then the recorded version becomes
    C(previous_version)), or when the same version's package set differs. A run that changes nothing writes nothing.
  - C(previous_version) is what C(playbooks/driver_rollback.yml) puts back.
  - Other top-level sections of the file are kept.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  version:
    description:
      - The driver version installed now, e.g. C(535.309.01). Empty or null leaves the fact as it is (no driver).
    type: str
  packages:
    description:
      - The driver's package names; their installed versions are read from the package database. Names that are
        not installed are left out.
    type: list
    elements: str
    default: []
  path:
    description: The fact file.
    type: path
    default: /etc/ansible/facts.d/gpuhost.fact
extends_documentation_fragment:
  - gpuhost.provision.posix
attributes:
  check_mode:
    support: full
    description: Returns the fact a real run would write; writes nothing.
  diff_mode:
    support: full
    description: The file's text before and after.
  idempotent:
    support: full
    description: The same driver and packages leave the file alone.
  platform:
    description: Linux hosts with dpkg or rpm.
requirements:
  - dpkg-query (APT hosts) or rpm (DNF hosts) to read the package versions.
"""

EXAMPLES = r"""
- name: Record the driver the post-check found
  gpuhost.provision.driver_local_fact:
    version: 535.309.01
    packages: [nvidia-driver, nvidia-driver-libs, nvidia-kernel-dkms]
  become: true

- name: Read it back on the next run
  ansible.builtin.debug:
    msg: "{{ ansible_local.gpuhost.driver.previous_version }} -> {{ ansible_local.gpuhost.driver.version }}"
"""

RETURN = r"""
fact:
  description: The whole fact after this run, as C(ansible_local.gpuhost) will read it.
  returned: always
  type: dict
  sample:
    driver:
      version: 535.309.01
      previous_version: 535.261.03
      packages: {nvidia-driver: 535.309.01-0+deb12u1}
      changed_at: "2026-12-06T23:41:07Z"
diff:
  description: The file's text before and after.
  returned: when diff mode is on
  type: dict
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._local_fact import (
    LocalFactError,
    next_fact,
    parse_fact,
    render_fact,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._packages import (
    PackageQueryError,
    check_names,
    packages_for,
)


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def package_versions(module, names) -> dict:
    """{name: installed version} of the names that are installed."""
    if not names:
        return {}
    check_names(names)
    state = packages_for(module, "auto", private=False).installed(names)
    return dict((name, state[name][0]) for name in names if state[name][0])


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomic(module, path, text):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            version=dict(type="str"),
            packages=dict(type="list", elements="str", default=[]),
            path=dict(type="path", default="/etc/ansible/facts.d/gpuhost.fact"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    before_text = read_text(path)
    try:
        current = parse_fact(before_text)
        packages = package_versions(module, module.params["packages"]) if module.params["version"] else {}
    except (LocalFactError, PackageQueryError) as exc:
        module.fail_json(msg=str(exc))
    fact = next_fact(current, module.params["version"], packages, utc_now())
    changed = fact != current
    after_text = render_fact(fact) if fact else before_text
    if changed and not module.check_mode:
        write_atomic(module, path, after_text)
    result = dict(changed=changed, fact=fact)
    if module._diff:
        result["diff"] = dict(before=before_text or "", after=after_text or "", before_header=path,
                              after_header=path)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

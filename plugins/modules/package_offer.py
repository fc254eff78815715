#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: package_offer
short_description: Which versions of some packages the package sources offer, and which are installed or held
version_added: 0.2.0
description:
  - Answers, for each package in O(names), which versions the host's package sources offer, which version is
    installed and whether it is held, as data, so that a role can decide without parsing command output.
  - APT (Debian, Ubuntu) reads C(apt-cache policy) and C(dpkg-query); DNF (RHEL-compatible) reads
    C(dnf repoquery) and C(rpm -q).
  - It never changes the host. On APT the host's own package index is read without writing apt's caches; with
    O(private_index), a package the host's index offers no version of is looked up again in a private,
    freshly downloaded index in the module's temporary directory, built from the host's sources, so that the
    host's own index, sources and lock stay untouched.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  names:
    description:
      - Package names to look up, without versions (V(nvidia-cuda-mps), V(nvidia-container-toolkit)).
    type: list
    elements: str
    required: true
  manager:
    description:
      - The package manager to ask. V(auto) uses APT where C(apt-cache) exists, else DNF.
    type: str
    choices: [auto, apt, dnf]
    default: auto
  private_index:
    description:
      - APT only. When the host's own index offers no version of one of O(names) (its lists were never
        downloaded, or are older than the sources), download a private index from the host's sources and read
        that one instead (RV(index) is V(private)). Needs the network; the host's index is left as it was.
      - V(false) reads the host's index as it is.
      - DNF refreshes its own metadata cache when it is stale, so this option does not apply there.
    type: bool
    default: false
  fail_on_missing:
    description:
      - Fail with a one-line message naming the packages that are neither installed nor offered (RV(missing)).
    type: bool
    default: false
extends_documentation_fragment:
  - gpuhost.provision.read_only
attributes:
  platform:
    description: Hosts with APT or DNF.
notes:
  - Holds are read from dpkg (C(apt-mark hold)); on DNF the versionlock list is not read and RV(packages) reports
    C(held) as V(false).
  - The private index lives in the module's temporary directory and is removed when the module exits.
seealso:
  - module: gpuhost.provision.nvidia_driver_plan
"""

EXAMPLES = r"""
- name: Which versions of the MPS control daemon does APT offer, is it installed
  gpuhost.provision.package_offer:
    names: [nvidia-cuda-mps]
    private_index: true
  register: __offer

- name: Refuse when nothing offers it
  ansible.builtin.fail:
    msg: no package source offers nvidia-cuda-mps; add the non-free component to the APT sources
  when: __offer.packages['nvidia-cuda-mps'].candidate is none and __offer.packages['nvidia-cuda-mps'].installed is none

- name: Fail unless both packages are installed or offered
  gpuhost.provision.package_offer:
    names: [nvidia-container-toolkit, nvidia-container-toolkit-base]
    manager: dnf
    fail_on_missing: true
"""

RETURN = r"""
manager:
  description: The package manager asked, V(apt) or V(dnf).
  returned: always
  type: str
  sample: apt
index:
  description: Which index answered, V(host) (the host's own) or V(private) (a private, freshly downloaded one).
  returned: always
  type: str
  sample: host
packages:
  description:
    - For each of O(names), C(installed) (the installed version, or null), C(held) (held by C(apt-mark hold)),
      C(candidate) (the version the package manager would install, or null when none is offered) and
      C(versions) (every version offered, as the package manager lists them; with C(apt-cache policy) that
      includes an installed version no source offers any more).
  returned: always
  type: dict
  sample:
    nvidia-cuda-mps: {installed: null, held: false, candidate: "535.309.01-0+deb12u1",
                      versions: ["535.309.01-0+deb12u1", "535.247.01-1~deb12u1"]}
missing:
  description: Those of O(names) that are neither installed nor offered.
  returned: always
  type: list
  elements: str
  sample: []
msg:
  description: One-line summary.
  returned: always
  type: str
  sample: "apt (host index): nvidia-cuda-mps 535.309.01-0+deb12u1 offered, not installed"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._packages import (
    PackageQueryError,
    check_names,
    packages_for,
)


def summary(manager, index, packages):
    parts = []
    for name, info in packages.items():
        offered = "%s offered" % info["candidate"] if info["candidate"] else "not offered"
        installed = "installed %s%s" % (info["installed"], " (held)" if info["held"] else "") \
            if info["installed"] else "not installed"
        parts.append("%s %s, %s" % (name, offered, installed))
    return "%s (%s index): %s" % (manager, index, "; ".join(parts))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            manager=dict(type="str", default="auto", choices=["auto", "apt", "dnf"]),
            private_index=dict(type="bool", default=False),
            fail_on_missing=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    names = list(dict.fromkeys(module.params["names"]))   # in order, each once
    try:
        check_names(names)
        reader = packages_for(module, module.params["manager"], private=module.params["private_index"])
        packages, index = reader.offer(names)
    except PackageQueryError as exc:
        module.fail_json(msg="package_offer: %s" % one_line(exc))
    missing = [name for name in names if not packages[name]["installed"] and not packages[name]["versions"]]
    result = dict(changed=False, manager=reader.manager, index=index, packages=packages, missing=missing,
                  msg=summary(reader.manager, index, packages))
    if missing and module.params["fail_on_missing"]:
        one = len(missing) == 1
        result["msg"] = ("package_offer: the %s package sources offer no %s, and %s not installed: add the "
                         "repository or component that carries %s, or correct the name" % (
                             reader.manager.upper(), ", ".join(missing), "it is" if one else "they are",
                             "it" if one else "them"))
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

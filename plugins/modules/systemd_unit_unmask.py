#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: systemd_unit_unmask
short_description: Remove systemd masks (links to /dev/null or empty files) without touching real unit files
version_added: 0.1.0
description:
  - Finds masks for one or more systemd units in C(/etc/systemd/system) (C(systemctl mask)) and
    C(/run/systemd/system) (C(systemctl mask --runtime)) and removes them.
  - A mask is a symlink to C(/dev/null) or an empty (0-byte) regular file. Only those are removed.
  - A non-empty regular file with the unit's name is a real unit file, not a mask; it is never deleted and
    the unit is reported as not masked. A symlink to anything other than C(/dev/null), a directory or any
    other kind of file is left alone and reported.
  - Runs C(systemctl daemon-reload) after a change, only when systemd manages the host
    (C(/run/systemd/system) is a directory) and O(root) is C(/).
  - Works on an offline root tree (O(root)), for image builds, without calling systemctl.
  - Also reports, read only, the unit file that a package installed for each unit (RV(units[].vendor_unit)),
    and whether systemd runs (RV(systemd_running)), so that a role needs no further calls to find out.
  - Unlike C(ansible.builtin.systemd_service) with C(masked=false), it does not need a running systemd
    and also removes runtime masks in C(/run/systemd/system).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  name:
    description:
      - One unit name or a list of unit names.
      - A name without a unit suffix (C(.service), C(.socket), C(.timer), ...) gets C(.service), as with
        C(systemctl).
      - Names must be plain unit names made of letters, digits and C(:-_.\@); path separators are refused.
    type: list
    elements: str
    required: true
    aliases: [unit]
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) after removing a mask, so that systemd sees the change at once.
      - Only done when something changed, systemd runs, and O(root) is C(/).
    type: bool
    default: true
  root:
    description:
      - The root of the tree to work on. Use C(/) for the managed host, or the path of an offline root tree
        (an image being built); systemctl is never called for an offline tree.
    type: path
    default: /
extends_documentation_fragment:
  - gpuhost.provision.posix
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
  platform:
    description: Target OS/families that can be operated against.
notes:
  - Removing a mask under C(/etc) or C(/run) needs root; run with C(become=true).
  - Use M(ansible.builtin.systemd_service) afterwards to enable or start the unit.
seealso:
  - module: ansible.builtin.systemd_service
"""

EXAMPLES = r"""
- name: Unmask nvidia-persistenced before writing its unit
  gpuhost.provision.systemd_unit_unmask:
    name: nvidia-persistenced
  become: true

- name: Unmask several units, reloading systemd once
  gpuhost.provision.systemd_unit_unmask:
    name:
      - nvidia-persistenced.service
      - nvidia-fabricmanager.service
  become: true

- name: Unmask a unit inside an image tree that is being built
  gpuhost.provision.systemd_unit_unmask:
    name: nvidia-persistenced
    root: /srv/images/gpu-node/rootfs
"""

RETURN = r"""
units:
  description: One entry per unit, in the order given (duplicates removed).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The unit name, with C(.service) added where it had no suffix.
      type: str
      sample: nvidia-persistenced.service
    masked_before:
      description: Whether a mask was found.
      type: bool
      sample: true
    masked_paths_before:
      description: The masks that were found.
      type: list
      elements: str
      sample: [/etc/systemd/system/nvidia-persistenced.service]
    removed:
      description: The masks removed (in check mode, the masks that would be removed).
      type: list
      elements: str
      sample: [/etc/systemd/system/nvidia-persistenced.service]
    masked_after:
      description: Whether a mask is left (in check mode, whether one would be left).
      type: bool
      sample: false
    not_masks:
      description: Things with the unit's name in the mask directories that are not masks and were left alone.
      type: list
      elements: dict
      sample:
        - path: /etc/systemd/system/nvidia-persistenced.service
          kind: unit_file
          reason: "real unit file, not a mask: left alone"
    vendor_unit:
      description:
        - The unit file a package installed under C(/usr/local/lib/systemd/system), C(/usr/lib/systemd/system)
          or C(/lib/systemd/system) (the first in systemd's search order), or null when there is none. Read only;
          it lets a role see which unit it overrides without another call.
      type: dict
      contains:
        path:
          description: Path of the vendor unit.
          type: str
        exec_start:
          description: Its first C(ExecStart=) line.
          type: str
        static:
          description: Whether it has no C([Install]) section (cannot be enabled; started by something else).
          type: bool
      sample:
        path: /usr/lib/systemd/system/nvidia-persistenced.service
        exec_start: ExecStart=/usr/bin/nvidia-persistenced --user nvpd
        static: false
daemon_reloaded:
  description: Whether C(systemctl daemon-reload) ran.
  returned: always
  type: bool
  sample: true
systemd_running:
  description: Whether systemd manages the host and O(root) is C(/).
  returned: always
  type: bool
  sample: true
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: "unmasked nvidia-persistenced.service (removed /etc/systemd/system/nvidia-persistenced.service)"
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import is_root, run_c_locale
from ansible_collections.gpuhost.provision.plugins.module_utils._systemd import (
    MASK_KINDS,
    SystemdError,
    UnmaskPermissionError,
    can_remove,
    check_root,
    describe_kind,
    find_unit_paths,
    find_vendor_unit,
    normalize_unit_names,
    remove_mask,
    systemd_running,
)


class UnitUnmasker:
    """Work out which masks exist for the requested units, then remove only those."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.root = module.params["root"]
        self.units = []

    def run_command(self, argv: list) -> tuple:
        """The one place external commands are run (tests replace AnsibleModule.run_command)."""
        return run_c_locale(self.module, argv)

    def plan(self) -> None:
        self.root = check_root(self.root)
        names = normalize_unit_names(self.module.params["name"])
        for unit in names:
            masks = []
            not_masks = []
            for path, kind in find_unit_paths(self.root, unit):
                if kind in MASK_KINDS:
                    masks.append(path)
                else:
                    not_masks.append({"path": path, "kind": kind, "reason": describe_kind(kind)})
            self.units.append({
                "name": unit,
                "masked_before": bool(masks),
                "masked_paths_before": masks,
                "removed": [],
                "masked_after": bool(masks),
                "not_masks": not_masks,
                "vendor_unit": find_vendor_unit(self.root, unit),
            })

    @property
    def to_remove(self) -> list:
        return [path for unit in self.units for path in unit["masked_paths_before"]]

    def check_permissions(self) -> None:
        """Refuse before removing anything when any mask cannot be removed."""
        for path in self.to_remove:
            if not can_remove(path):
                if is_root():
                    hint = "%s is not writable (read-only file system?)" % os.path.dirname(path)
                else:
                    hint = "permission denied on %s; run with become: true (root is needed)" % os.path.dirname(path)
                raise UnmaskPermissionError("cannot remove mask %s: %s" % (path, hint), path)

    def apply(self) -> None:
        for unit in self.units:
            for path in unit["masked_paths_before"]:
                if not self.module.check_mode:
                    remove_mask(path)
                unit["removed"].append(path)
            unit["masked_after"] = len(unit["removed"]) < len(unit["masked_paths_before"])

    def daemon_reload(self) -> bool:
        systemctl = self.module.get_bin_path("systemctl", required=True)
        argv = [systemctl, "daemon-reload"]
        rc, out, err = self.run_command(argv)
        if rc != 0:
            self.module.fail_json(
                msg="'%s' failed (rc=%d): %s" % (" ".join(argv), rc, (err or out).strip().replace("\n", " ")),
                cmd=argv, rc=rc, stdout=out, stderr=err, changed=True, units=self.units,
                daemon_reloaded=False, systemd_running=True,
            )
        return True

    def diff(self) -> dict:
        before = {u["name"]: {"masked_paths": list(u["masked_paths_before"])} for u in self.units}
        after = {
            u["name"]: {"masked_paths": [p for p in u["masked_paths_before"] if p not in u["removed"]]}
            for u in self.units
        }
        return {"before": before, "after": after}

    def summary(self, changed: bool) -> str:
        parts = []
        verb = "would unmask" if self.module.check_mode else "unmasked"
        for unit in self.units:
            if unit["removed"]:
                parts.append("%s %s (removed %s)" % (verb, unit["name"], ", ".join(unit["removed"])))
            else:
                note = "%s is not masked" % unit["name"]
                real = [n["path"] for n in unit["not_masks"] if n["kind"] == "unit_file"]
                if real:
                    note += " (real unit file %s left alone)" % ", ".join(real)
                parts.append(note)
        return "; ".join(parts)


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str", required=True, aliases=["unit"]),
            daemon_reload=dict(type="bool", default=True),
            root=dict(type="path", default="/"),
        ),
        supports_check_mode=True,
    )
    unmasker = UnitUnmasker(module)
    try:
        unmasker.plan()
        unmasker.check_permissions()
    except SystemdError as exc:
        module.fail_json(msg=str(exc), changed=False)

    try:
        unmasker.apply()
    except SystemdError as exc:
        removed = [p for u in unmasker.units for p in u["removed"]]
        module.fail_json(msg=str(exc), changed=bool(removed), units=unmasker.units)

    changed = bool(unmasker.to_remove)
    running = systemd_running(unmasker.root)
    reloaded = False
    if changed and running and module.params["daemon_reload"] and not module.check_mode:
        reloaded = unmasker.daemon_reload()

    result = dict(
        changed=changed,
        units=unmasker.units,
        daemon_reloaded=reloaded,
        systemd_running=running,
        msg=unmasker.summary(changed),
    )
    if module._diff:
        result["diff"] = unmasker.diff()
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

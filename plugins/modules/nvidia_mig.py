#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_mig
short_description: Apply a MIG layout written in mig-parted's config format to NVIDIA GPUs
version_added: 0.1.0
description:
  - Takes a config in the format of NVIDIA's mig-parted (C(version) V(v1) and C(mig-configs), as in the GPU
    operator's C(default-mig-parted-config) ConfigMap) and applies the entry named O(config_name).
  - Each item of the entry selects GPUs with C(devices) (V(all) or a list of indexes), sets C(mig-enabled) and,
    when MIG is enabled, the number of GPU instances per profile in C(mig-devices) (for example C(1g.10gb) 7).
    Every GPU instance gets one compute instance that spans it. GPUs that no item selects are left alone.
  - Everything is validated for every selected GPU before anything changes; profile names are checked
    against the GPU's own GPU-instance profiles and counts against its capacity (instances per profile and
    slices in all).
  - Refuses, with nothing changed, while a GPU that would change runs compute processes (check mode
    refuses too, so that it predicts the real run).
  - A MIG mode change stays pending until the GPU is reset or the host reboots; the module then reports
    C(reset_required) and applies the instances on a later run. It resets a GPU only when O(allow_reset) is
    true, and refuses to do so while C(nvidia-persistenced) runs (the daemon holds the GPU open and the reset
    fails); stop it first, or reboot.
  - NVML only (Python module C(pynvml), nvidia-ml-py); the reset uses C(nvidia-smi -r -i <index>).
author:
  - gpuhost.provision developers (@gpuhost)
options:
  config:
    description:
      - The mig-parted config, a dict with C(version) (V(v1)) and C(mig-configs) (name to a list of items with
        C(devices), C(mig-enabled) and optional C(mig-devices)). C(device-filter) is not supported.
    type: dict
    required: true
  config_name:
    description:
      - The entry of C(mig-configs) to apply.
    type: str
    required: true
  allow_reset:
    description:
      - Reset a GPU whose MIG mode change is pending (C(nvidia-smi -r)), then create its instances.
      - Never set on a GPU that other workloads use; the reset kills them.
    type: bool
    default: false
  backend:
    description:
      - How to talk to the GPUs. Only NVML can create MIG instances.
    type: str
    choices: [nvml]
    default: nvml
extends_documentation_fragment:
  - gpuhost.provision.posix
attributes:
  check_mode:
    support: full
    description: Computes C(after), C(reset_required) and C(changed) without calling any setter.
  diff_mode:
    support: full
    description: Returns MIG mode and profile counts per GPU before and after.
  platform:
    description: Linux hosts with MIG-capable NVIDIA GPUs (A100, A30, H100, H200, B200 and later).
requirements:
  - nvidia-ml-py (Python module C(pynvml)) on the target.
  - Root to change anything.
seealso:
  - module: gpuhost.provision.nvidia_gpu_facts
  - name: mig-parted
    description: NVIDIA's MIG partition editor, whose config format this module reads.
    link: https://github.com/NVIDIA/mig-parted
"""

EXAMPLES = r"""
- name: Seven 1g.10gb instances on every H100
  gpuhost.provision.nvidia_mig:
    config_name: all-1g.10gb
    config:
      version: v1
      mig-configs:
        all-disabled:
          - devices: all
            mig-enabled: false
        all-1g.10gb:
          - devices: all
            mig-enabled: true
            mig-devices:
              "1g.10gb": 7
  become: true
  register: __mig

- name: Mixed layout, GPUs 0-3 split, 4-7 whole, reset allowed (the host is drained)
  gpuhost.provision.nvidia_mig:
    config_name: half
    allow_reset: true
    config:
      version: v1
      mig-configs:
        half:
          - devices: [0, 1, 2, 3]
            mig-enabled: true
            mig-devices: {"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}
          - devices: [4, 5, 6, 7]
            mig-enabled: false
  become: true
"""

RETURN = r"""
gpus:
  description: The GPUs that the entry selects.
  returned: always
  type: list
  elements: dict
  sample:
    - index: 0
      uuid: GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e
      pci_bus_id: "00000000:3B:00.0"
      mig_mode_current: false
      mig_mode_pending: true
      before: {}
      after: {"1g.10gb": 7}
      reset_required: true
      changed: true
reset_required:
  description: Whether any GPU's MIG mode change waits for a GPU reset or reboot (after this run).
  returned: always
  type: bool
  sample: true
config_name:
  description: The entry applied.
  returned: always
  type: str
  sample: all-1g.10gb
backend:
  description: The backend used (V(nvml)).
  returned: always
  type: str
  sample: nvml
diff:
  description: MIG mode and profile counts per GPU (keyed by PCI bus id) before and after.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"00000000:3B:00.0": {mig_enabled: false, mig_devices: {}}}
    after: {"00000000:3B:00.0": {mig_enabled: true, mig_devices: {"1g.10gb": 7}}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._common import (
    backend_spec,
    fail_from,
    gpu_key,
    is_root,
    per_gpu_diff,
    root_message,
    run_c_locale,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import (
    GpuBackend,
    NoPermission,
    NotSupported,
    NvidiaError,
    UnknownGpuSelector,
    open_backend,
    persistenced_running,
    select_gpus,
    smi_error,
)

ITEM_KEYS = ("devices", "mig-enabled", "mig-devices")


def reset_gpu(module: AnsibleModule, gpu) -> None:
    """nvidia-smi -r -i <index> (only with allow_reset, outside check mode)."""
    smi = module.get_bin_path("nvidia-smi", required=True)
    argv = [smi, "-r", "-i", str(gpu.index)]
    rc, out, err = run_c_locale(module, argv)
    if rc != 0:
        raise smi_error(rc, out, err, argv, gpu, "resetting the GPU")


class ConfigError(NvidiaError):
    default = "The MIG config is not valid"


def parse_config(config, name):
    """The items of mig-configs[name] as [(devices, enabled, {profile: count})]. Raises ConfigError."""
    if config.get("version") != "v1":
        raise ConfigError("config version must be v1 (mig-parted format), not %r" % (config.get("version"),))
    configs = config.get("mig-configs")
    if not isinstance(configs, dict) or not configs:
        raise ConfigError("config has no mig-configs mapping: give version: v1 and mig-configs: {<name>: [...]}")
    if name not in configs:
        raise ConfigError("config_name %r is not in mig-configs (known: %s)" % (name, ", ".join(sorted(configs))))
    items = configs[name]
    if not isinstance(items, list) or not items:
        raise ConfigError("mig-configs[%s] must be a non-empty list of items with devices and mig-enabled" % name)
    parsed = []
    for number, item in enumerate(items):
        where = "mig-configs[%s][%d]" % (name, number)
        if not isinstance(item, dict):
            raise ConfigError("%s must be a mapping with devices and mig-enabled" % where)
        unknown = sorted(set(item) - set(ITEM_KEYS))
        if unknown:
            raise ConfigError("%s has unsupported key(s) %s: this module knows %s"
                              % (where, ", ".join(unknown), ", ".join(ITEM_KEYS)))
        devices = item.get("devices")
        if devices != "all" and not (isinstance(devices, list) and devices and all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in devices)):
            raise ConfigError("%s devices must be 'all' or a list of GPU indexes, not %r" % (where, devices))
        enabled = item.get("mig-enabled")
        if not isinstance(enabled, bool):
            raise ConfigError("%s mig-enabled must be true or false, not %r" % (where, enabled))
        counts = item.get("mig-devices") or {}
        if not isinstance(counts, dict):
            raise ConfigError("%s mig-devices must map profile names to counts, not %r" % (where, counts))
        for profile, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ConfigError("%s mig-devices[%s] must be a count >= 0, not %r" % (where, profile, count))
        counts = dict((str(p), c) for p, c in counts.items() if c)
        if counts and not enabled:
            raise ConfigError("%s has mig-devices with mig-enabled false: enable MIG or drop mig-devices" % where)
        parsed.append((devices, enabled, counts))
    return parsed


def _counts(instances):
    counts = {}
    for instance in instances:
        counts[instance["profile"]] = counts.get(instance["profile"], 0) + 1
    return counts


class MigManager:
    """Validate every GPU's target first, then change only what differs."""

    def __init__(self, module: AnsibleModule, backend: GpuBackend, items: list) -> None:
        self.module = module
        self.backend = backend
        self.items = items
        self.allow_reset = module.params["allow_reset"]
        self.selected = []     # [(Gpu, result entry, steps)]

    def targets(self, items):
        gpus = self.backend.gpus()
        chosen = []
        owner = {}
        for number, (devices, enabled, counts) in enumerate(items):
            for gpu in select_gpus(gpus, ["all"] if devices == "all" else devices):
                if gpu.index in owner:
                    raise UnknownGpuSelector("GPU %s is selected by items %d and %d of the config: select each GPU once"
                                             % (gpu.index, owner[gpu.index], number))
                owner[gpu.index] = number
                chosen.append((gpu, enabled, counts))
        return sorted(chosen, key=lambda c: c[0].index)

    def validate(self, gpu, profiles, counts):
        if not profiles:
            raise NotSupported("GPU %s (%s) reports no MIG GPU-instance profiles" % (gpu.label(), gpu.name))
        slices = 0
        for name, count in sorted(counts.items()):
            profile = profiles.get(name)
            if profile is None:
                raise NvidiaError("MIG profile %r is not supported by GPU %s (%s): use one of %s"
                                  % (name, gpu.label(), gpu.name, ", ".join(sorted(profiles))))
            if count > profile["instances"]:
                raise NvidiaError("Too many MIG instances: %d x %s on GPU %s, which fits at most %d"
                                  % (count, name, gpu.label(), profile["instances"]))
            slices += count * profile["slices"]
        capacity = max(p["slices"] for p in profiles.values())
        if slices > capacity:
            raise NvidiaError("Too many MIG instances: the layout %s needs %d slices, GPU %s has %d"
                              % (", ".join("%s=%d" % kv for kv in sorted(counts.items())), slices, gpu.label(), capacity))

    def plan_gpu(self, gpu, enabled, counts):
        entry = gpu.ident()
        mode = self.backend.mig_mode(gpu)
        if mode is None:
            if enabled:
                raise NotSupported("MIG is not supported on GPU %s (%s): select only MIG-capable GPUs (A100, A30, "
                                   "H100, H200, B200 and later)" % (gpu.label(), gpu.name))
            entry.update(mig_mode_current=None, mig_mode_pending=None, before={}, after={}, reset_required=False,
                         changed=False)
            return entry, {}
        current, pending = mode
        profiles = self.backend.mig_profiles(gpu) if (current or counts) else {}
        if counts and (profiles or current):
            self.validate(gpu, profiles, counts)
        elif counts:
            self.module.warn("GPU %s reports no MIG profiles while MIG is disabled: the layout is validated once MIG "
                             "is enabled" % gpu.label())
        instances = self.backend.mig_instances(gpu, profiles) if current else []
        before = _counts(instances)
        steps = {"set_mode": pending != enabled, "destroy": [], "create": [], "profiles": profiles}
        if current and (not enabled or before != counts):
            steps["destroy"] = instances
        if current and enabled and before != counts:
            steps["create"] = sorted(counts.items(), key=lambda kv: (-profiles[kv[0]]["slices"], kv[0]))
        after = dict(counts) if current and enabled else ({} if not enabled else before)
        entry.update(mig_mode_current=current, mig_mode_pending=enabled, before=before, after=after,
                     reset_required=current != enabled,
                     changed=bool(steps["set_mode"] or steps["destroy"] or steps["create"]))
        steps["counts"] = counts
        return entry, steps

    def plan(self) -> None:
        for gpu, enabled, counts in self.targets(self.items):
            entry, steps = self.plan_gpu(gpu, enabled, counts)
            self.selected.append((gpu, entry, steps))

    def check(self) -> None:
        """Refuse before changing anything: busy GPUs, a reset that would fail, no root."""
        changing = [gpu for gpu, entry, _steps in self.selected if entry["changed"]]
        for gpu in changing:
            pids = self.backend.compute_processes(gpu)
            if pids:
                raise NvidiaError("GPU %s runs %d compute process(es) (pid %s): stop them (drain the node) before "
                                  "changing its MIG layout" % (gpu.label(), len(pids), ", ".join(str(p) for p in pids)))
        resets = [gpu for gpu, entry, _steps in self.selected if entry["reset_required"] and self.allow_reset]
        if resets and persistenced_running():
            raise NvidiaError("allow_reset: nvidia-persistenced is running and holds the GPUs, so a GPU reset would fail: "
                              "stop it (systemctl stop nvidia-persistenced), run again, then start it - or reboot instead")
        if changing and not self.module.check_mode and not is_root():
            raise NoPermission(root_message("Changing MIG", [gpu.label() for gpu in changing]))

    def apply(self) -> None:
        if self.module.check_mode:
            return
        for gpu, entry, steps in self.selected:
            self.apply_gpu(gpu, entry, steps)

    @property
    def gpus(self) -> list:
        return [entry for _gpu, entry, _steps in self.selected]

    def apply_gpu(self, gpu, entry: dict, steps: dict) -> None:
        for instance in steps.get("destroy", []):
            self.backend.destroy_gpu_instance(gpu, instance)
        if steps.get("set_mode"):
            self.backend.set_mig_mode(gpu, entry["mig_mode_pending"])
        if entry["reset_required"] and self.allow_reset:
            reset_gpu(self.module, gpu)
            current, pending = self.backend.mig_mode(gpu)
            entry.update(mig_mode_current=current, mig_mode_pending=pending, reset_required=current != pending)
            if current and not entry["reset_required"] and steps["counts"]:
                profiles = self.backend.mig_profiles(gpu)
                self.validate(gpu, profiles, steps["counts"])
                steps["profiles"] = profiles
                steps["create"] = sorted(steps["counts"].items(), key=lambda kv: (-profiles[kv[0]]["slices"], kv[0]))
                entry["after"] = dict(steps["counts"])
        for name, count in steps.get("create", []):
            for _number in range(count):
                self.backend.create_gpu_instance(gpu, steps["profiles"][name])


def _mig_view(gpu: dict, side: str) -> dict:
    if side == "before":
        return {"mig_enabled": gpu["mig_mode_current"], "mig_devices": gpu["before"]}
    return {"mig_enabled": gpu["mig_mode_pending"], "mig_devices": gpu["after"]}


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="dict", required=True),
            config_name=dict(type="str", required=True),
            allow_reset=dict(type="bool", default=False),
            backend=backend_spec(choices=["nvml"], default="nvml"),
        ),
        supports_check_mode=True,
    )
    try:
        items = parse_config(module.params["config"], module.params["config_name"])
        with open_backend(module, module.params["backend"]) as backend:
            manager = MigManager(module, backend, items)
            manager.plan()
            manager.check()
            manager.apply()
    except NvidiaError as exc:
        fail_from(module, exc)
    gpus = manager.gpus
    pending = [gpu_key(g) for g in gpus if g["reset_required"]]
    if pending:
        module.warn("MIG mode change pending on GPU(s) %s: it takes effect after a GPU reset or reboot; run this task "
                    "again afterwards to create the instances" % ", ".join(pending))
    result = dict(changed=any(g["changed"] for g in gpus), gpus=gpus, reset_required=bool(pending),
                  config_name=module.params["config_name"], backend="nvml")
    if module._diff:
        result["diff"] = per_gpu_diff(gpus, _mig_view)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia_driver role's reboot decision: pure functions, used on the controller by the filters
``reboot_target`` and ``reboot_decision``.

Private module_utils: not an API.
"""
from __future__ import annotations

LOCAL_CONNECTIONS = ("local", "ansible.builtin.local")


def reboot_target(connection: str | None, controller_machine_id: str = "", target_machine_id: str = "",
                  controller_boot_id: str = "", target_boot_id: str = "") -> str:
    """Why this host must not be rebooted by the role, or '' when it may: a local connection, or the controller
    itself by identity, never by address (a node reached through a port forwarded on 127.0.0.1 is another machine):
    the same machine id (/etc/machine-id), or the same kernel boot id (it runs on the controller's kernel, like a
    container or chroot on the controller). Unknown ids (empty) decide nothing."""
    if (connection or "ssh") in LOCAL_CONNECTIONS:
        return "over a local connection"
    if controller_machine_id and target_machine_id == controller_machine_id:
        return "the controller itself (same machine id %s)" % target_machine_id
    if controller_boot_id and target_boot_id == controller_boot_id:
        return "the controller's own kernel (same boot id %s)" % target_boot_id
    return ""


def reboot_decision(check: dict, policy: str = "auto", force: bool = False, local_reason: str = "",
                    in_container: bool = False, virtualization_type: str = "", processes: dict | None = None,
                    module_params: dict | None = None) -> dict:
    """{required, policy, reasons, action, reason} from the driver check (driver_version_check's answer), the kernel
    module's parameters (``module_params``: nvidia_module_params' ``reload``, {needed, reasons}; a parameter the loaded
    module has at another value than modprobe.d's needs the module loaded again, as a driver change does) and the
    reboot policy. The first rule that applies decides, in this order: nothing required (none); policy never
    (skipped-never); the kernel that would boot next has no nvidia module (refused-no-module); the controller or a
    local connection (refused-local); a container (refused-container); GPU compute processes running, unless forced
    (refused-processes); otherwise reboot. ``processes``: the result of ``nvidia-smi --query-compute-apps=pid``
    (rc, stdout), or None when it was not asked."""
    check = check or {}
    params = module_params or {}
    required = bool(check.get("reboot_required")) or bool(params.get("needed"))
    reasons = list(check.get("reboot_reasons") or []) + (list(params.get("reasons") or []) if params.get("needed")
                                                         else [])
    boot_kernel = check.get("boot_kernel") or ""
    processes = processes or {}
    busy = processes.get("rc", 1) == 0 and bool(str(processes.get("stdout") or "").strip())
    if not required:
        action, reason = "none", "the loaded kernel module matches the installed driver and its parameters"
    elif policy == "never":
        action, reason = "skipped-never", "nvidia_driver_reboot is never: reboot this host yourself"
    elif boot_kernel and boot_kernel in (check.get("kernels_without_module") or []):
        action, reason = "refused-no-module", (
            "not rebooting: kernel %s, which would boot next, has no nvidia kernel module: install its headers and "
            "run dkms autoinstall -k %s" % (boot_kernel, boot_kernel))
    elif local_reason:
        action, reason = "refused-local", "not rebooting " + local_reason
    elif in_container:
        action, reason = "refused-container", (
            "not rebooting a %s container: the kernel module belongs to its host" % virtualization_type)
    elif busy and not force:
        action, reason = "refused-processes", "GPU compute processes are running: stop them or set " \
            "nvidia_driver_reboot_force"
    else:
        action, reason = "reboot", "rebooting: " + "; ".join(reasons)
    return {"required": required, "policy": policy, "reasons": reasons, "action": action, "reason": reason}

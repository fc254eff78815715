# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nvidia_driver role's side of the driver plan: what each of its sections has to do and what a run would
change (``sections``), the pre-flight's line and the summary line site.yml prints, and whether the components file
the role owns is current. Pure functions over the plan's result (``_driver_plan``); file reads go through
``_snapshot``.

Private module_utils: not an API.
"""
from __future__ import annotations

from ansible_collections.gpuhost.provision.plugins.module_utils import _apt_sources
from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_current, file_state


def _components(result):
    """The components the planned stanzas add, each once, in their order."""
    found = []
    for stanza in result["apt_sources"]:
        found.extend(c for c in stanza["components"] if c not in found)
    return found


def components_current(path, stanzas):
    """Does the components file the role owns already hold exactly these stanzas (0644 root:root)? Compared as APT
    reads it, so the template's comment lines do not count."""
    state = file_state(path)
    if not stanzas or not file_current(state, state["sha1"]):
        return False
    with open(path) as handle:
        have = _apt_sources.parse_deb822_sources(handle.read())
    return have == [{"types": [s["types"]], "uris": [s["uris"]], "suites": list(s["suites"]),
                     "components": list(s["components"]), "signed_by": s["signed_by"]} for s in stanzas]


def initramfs_stale(blacklist, images):
    """Is the newest initramfs older than the nouveau blacklist, so that no rebuild followed the file's last write (a
    run that stopped between the two: a failed step, a killed controller, a lost host)? ``blacklist``: the file's
    modification time, None without the file; ``images``: the initramfs images' modification times."""
    return blacklist is not None and bool(images) and max(images) < blacklist


def sections(result, files, rendered, apt_sources_file, hold=True, nouveau_file=None, stale_initramfs=False):
    """What each section of the nvidia_driver role has to do, and what a run would change, from the plan's result.

    ``files``: the state of the files the role manages (RV(files)); ``rendered``: {path: SHA-1 of what the role's
    template renders for it}; ``apt_sources_file``: the components file the role owns (whether it is current is the
    plan's ``apt_sources_current``); ``hold``: the role's switch;
    ``nouveau_file``: the blacklist the role writes, None when it does not; ``stale_initramfs``: the newest
    initramfs is older than that file (initramfs_stale). Returns {todo: {section: bool},
    hold_now: [names to hold after the install], install_holds: [the names the install itself holds],
    would_change: [one line per change]}."""
    adopted, el = result["adopted"], result["family"] == "el"
    apt_file = apt_sources_file
    current = result.get("apt_sources_current", False)
    hold_now = result["to_hold"] if hold else result["release"]
    apt_repo = result.get("apt_repo")
    repo_todo = bool(apt_repo and not (apt_repo["key_current"] and apt_repo["sources_current"]))
    install = not adopted and bool(result["to_install"] or (el and result["satisfied"]))
    # APT: the install's own job holds them right after apt-get, in the same process on the host, so that no
    # moment has them installed and not held (a controller that is gone before the next task leaves them held)
    install_holds = list(hold_now) if install and not el else []
    check = result.get("driver_check")
    nouveau = not adopted and nouveau_file is not None and not file_current(files.get(nouveau_file),
                                                                            rendered.get(nouveau_file))
    todo = {
        "sources": not adopted and (result["cuda_repo"] is not None or repo_todo or bool(result.get("apt_repo_stale"))
                                    or (not el and ((bool(result["apt_sources"]) and not current)
                                                    or (not result["apt_sources"] and result["apt_sources_file_exists"])))),
        "install": install,
        # before the install, the GPU clients are waited for and stopped; a host with no driver at all (no module
        # loaded, no NVML library, no package: a first install) has none
        "clients": install and (check is None or any(check.get(key) for key in (
            "kernel_module_version", "userspace_version", "installed_version"))),
        "nouveau": nouveau,
        # the file is current but no initramfs was built after it: rebuilt without writing it again
        "initramfs": not adopted and nouveau_file is not None and not nouveau and bool(stale_initramfs),
        "hold": not adopted and not install_holds and bool(hold_now or (el and hold and result["satisfied"])),
        "fabric_manager": bool(result["fabric_manager"]["required"]),
    }
    would = []
    if todo["sources"]:
        if result["cuda_repo"] is not None:
            would.append("add NVIDIA's CUDA repository %s" % result["cuda_repo"]["id"])
        if repo_todo:
            would.append("add the APT repository %s (%s, key %s)"
                         % (apt_repo["url"], apt_repo["sources_file"], apt_repo["key_file"]))
        if result.get("apt_repo_stale"):
            would.append("remove %s" % ", ".join(result["apt_repo_stale"]))
        if result["apt_sources"] and not current:
            would.append("add components %s in %s" % (", ".join(_components(result)), apt_file))
        elif not result["apt_sources"] and result["apt_sources_file_exists"]:
            would.append("remove %s (the host's sources have the components)" % apt_file)
    if todo["install"] and result["to_install"]:
        change = result["driver_change"]
        what = "driver %s → %s" % (change["from"], change["to"]) if change else "driver %s" % result["driver_version"]
        would.append("install %d package(s), %s%s" % (
            len(result["to_install"]), what,
            "; release the holds of %d of them for it" % len(result["release"]) if result["release"] else ""))
    if todo["nouveau"]:
        would.append("write %s (blacklist nouveau) and rebuild the initramfs" % nouveau_file)
    if todo["initramfs"]:
        would.append("rebuild the initramfs (older than %s)" % nouveau_file)
    if (todo["hold"] or install_holds) and hold_now:
        would.append("hold %d package(s)" % len(hold_now))
    return {"todo": todo, "hold_now": hold_now, "install_holds": install_holds, "would_change": would}


def summary_line(plan, check, decision=None, check_mode=False):
    """The line site.yml prints for the nvidia_driver role: driver (or its change), kernel module, CUDA, reboot; in
    check mode, what a real run would change."""
    check, decision = check or {}, decision or {}
    change = plan.get("driver_change")
    if plan.get("adopted"):
        driver = plan["msg"]
    elif change:
        driver = "driver %s → %s%s" % (change["from"], change["to"], " (would change)" if check_mode else "")
    else:
        driver = "driver %s" % (check.get("installed_version") or check.get("driver_version") or "none")
    module = "%s (%s)" % (check["kernel_module_version"], check.get("kernel_module_flavor")) \
        if check.get("kernel_module_version") else "not loaded"
    if not (check.get("reboot_required") or decision.get("required")):
        reboot = "not required"
    elif decision.get("action"):
        reboot = "required, %s - %s" % (decision["action"], decision.get("reason", ""))
    else:
        reboot = "required, not decided (the reboot section did not run)"
    line = "%s, kernel module %s, CUDA up to %s; reboot %s" % (driver, module, check.get("max_cuda_version") or "-",
                                                               reboot)
    if check_mode and plan.get("would_change"):
        line += "; would " + "; ".join(plan["would_change"])
    return line


def driver_report(plan, check_now, check_after=None, decision=None, install=None, local_fact=None,
                  package_manager="apt", check_mode=False):
    """The role's report fact (nvidia_driver_report, documented in the role's README): the plan's answers, what this
    run installed and held, the driver check the report stands on (the post-check where it ran, else ``check_now``)
    and the summary line. ``install``: the install task's result (installed only where it changed);
    ``check_after``: the post-check's result, absent or skipped where it did not run."""
    check = check_after if check_after and not check_after.get("skipped") else (check_now or {})
    installed = plan.get("to_install") or [] if (install or {}).get("changed") else []
    return {
        "plan": plan.get("msg"),
        "adopted": plan.get("adopted"),
        # check mode: what a real run would install and change (roles after this one treat those programs as coming)
        "would_install": list(plan.get("to_install") or []) if check_mode else [],
        "would_change": list(plan.get("would_change") or []) if check_mode else [],
        "driver_change": plan.get("driver_change"),
        "existing_driver": plan.get("existing_driver"),
        "installed_before": plan.get("installed"),
        "installed": list(installed),
        "held": list(plan.get("hold_now") or []) if ((plan.get("todo") or {}).get("hold") or plan.get("install_holds"))
        and package_manager == "apt" else [],
        "kernels_without_module": list((check_now or {}).get("kernels_without_module") or []),
        "fabric_manager": plan.get("fabric_manager"),
        "local_fact": local_fact if local_fact is not None else {},
        "check": check,
        "summary": summary_line(plan, check, decision, check_mode),
    }


def preflight_line(result):
    """What the pre-flight chose, on one line: the plan's message, the kernel module and why, Fabric Manager, the
    components it will add."""
    line = "%s; kernel module %s (%s)" % (result["msg"], result["kernel_module"], result["kernel_module_reason"])
    fm = result["fabric_manager"]
    if fm["required"]:
        line += "; Fabric Manager %s %s (%s)" % (fm["package"], fm["version"], fm["reason"])
    components = _components(result)
    if components:
        line += "; will add components: " + ", ".join(components)
    return line

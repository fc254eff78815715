# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container_toolkit role's plan (refusals, the runtimes, what each section has to do, the notes) and its report,
from host_snapshot and package_offer answers as the modules return them."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.container_toolkit import FilterModule as ToolkitFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._container_toolkit import (
    ToolkitRefusal,
    container_toolkit_plan,
    container_toolkit_report,
)

CTK = "/usr/bin/nvidia-ctk"
PACKAGE = "nvidia-container-toolkit"
UNITS = {"containerd": "containerd.service", "docker": "docker.service", "crio": "crio.service"}
GPU = {"available": True, "gpu_count": 1, "gpus": [{}], "pci_devices": [{}]}
NO_GPU = {"available": False, "gpu_count": 0, "error": "The NVIDIA kernel driver is not loaded"}
ABSENT = {"masks": [], "vendor_unit": {}, "enabled": None, "active": None}


def snapshot(ctk=True, nvidia=None, **units):
    return {"systemd_running": True, "files": {CTK: {"path": CTK, "exists": ctk}},
            "units": {unit: units.get(name, ABSENT) for name, unit in UNITS.items()},
            "ansible_facts": {"nvidia": nvidia or GPU}}


def offer(installed="1.17.8-1", versions=("1.17.8-1", "1.17.7-1")):
    return {"packages": {PACKAGE: {"installed": installed, "versions": list(versions)}}}


def plan(snap=None, **overrides):
    kwargs = dict(offer=offer(), facts={"os_family": "Debian", "distribution": "Debian"}, manager="apt",
                  package=PACKAGE, version="", repo_given=False, runtimes=[], runtime_units=UNITS, cdi=True,
                  cdi_spec_path="/etc/cdi/nvidia.yaml", ldconfig={"mode": "auto"})
    kwargs.update(overrides)
    return container_toolkit_plan(snapshot() if snap is None else snap, **kwargs)


def test_a_converged_host_without_runtimes_skips_all_but_cdi():
    result = plan()
    assert result["todo"] == {"repo": False, "install": False, "ldconfig": False, "runtime": False, "cdi": True}
    assert result["would_change"] == [] and result["runtimes"] == []
    assert result["notes"] == ["no containerd, docker or crio unit on this host: no runtime configured; list one in "
                               "container_toolkit_runtimes to configure it before it is installed"]


def test_the_runtimes_whose_unit_exists_and_which_run():
    result = plan(snapshot(docker={"enabled": "enabled", "active": "active"},
                           crio={"enabled": None, "vendor_unit": {"path": "/usr/lib/systemd/system/crio.service"},
                                 "active": "inactive"}))
    assert result["runtimes"] == ["docker", "crio"] and result["todo"]["runtime"] is True
    assert result["runtimes_active"] == {"docker": True, "crio": False}
    assert plan(runtimes=["containerd"])["runtimes"] == ["containerd"]


@pytest.mark.parametrize("overrides,install,spec", [
    ({"offer": offer(installed=None)}, True, PACKAGE),
    ({"version": "1.17.7-1"}, True, PACKAGE + "=1.17.7-1"),
    ({"version": "1.17.7-1", "manager": "dnf"}, True, PACKAGE + "-1.17.7-1"),
    ({"version": "1.17.8-1"}, False, PACKAGE + "=1.17.8-1"),
])
def test_install_when_the_wanted_version_is_not_installed(overrides, install, spec):
    result = plan(**overrides)
    assert result["todo"]["install"] is install and result["package_spec"] == spec
    assert result["would_change"] == (["install " + spec] if install else [])


def test_ldconfig_reasons_decide_the_ldconfig_section():
    result = plan(ldconfig={"mode": "auto", "cached": ["/usr/lib/x86_64-linux-gnu/nvidia/current/libnvidia-ml.so.1"],
                            "present": []})
    assert result["todo"]["ldconfig"] is True
    assert result["would_change"] == ["run ldconfig: NVIDIA libraries in the cache that are gone: 1 "
                                      "(/usr/lib/x86_64-linux-gnu/nvidia/current/libnvidia-ml.so.1)"]
    assert plan(ldconfig={"mode": "never", "driver_changed": True})["todo"]["ldconfig"] is False


@pytest.mark.parametrize("snap,overrides,cdi,note", [
    (snapshot(ctk=False), {}, False, "nvidia-ctk is not installed yet: a real run installs it, then generates "
                                     "/etc/cdi/nvidia.yaml if a GPU is usable"),
    # the toolkit installed in this run brings nvidia-ctk; in check mode it is not there
    (snapshot(ctk=False), {"offer": offer(installed=None)}, True, None),
    (snapshot(ctk=False), {"offer": offer(installed=None), "check_mode": True}, False, "nvidia-ctk is not installed"),
    (snapshot(nvidia=NO_GPU), {}, False, "no NVIDIA GPU is usable here (The NVIDIA kernel driver is not loaded): "
                                         "/etc/cdi/nvidia.yaml not generated; run the role again once the driver is "
                                         "loaded (after the reboot that follows a driver install)"),
    (snapshot(nvidia=NO_GPU), {"cdi": False}, False, None),
])
def test_cdi_needs_nvidia_ctk_and_a_usable_gpu(snap, overrides, cdi, note):
    result = plan(snap, runtimes=["docker"], **overrides)
    assert result["todo"]["cdi"] is cdi
    assert result["notes"] == ([note] if note else []) or result["notes"][0].startswith(note)


@pytest.mark.parametrize("overrides,message", [
    ({"manager": "", "facts": {"os_family": "Suse", "distribution": "SLES"}},
     "SLES (Suse) is not supported; the role knows apt (Debian, Ubuntu) and dnf (EL) hosts"),
    ({"offer": offer(installed=None, versions=())},
     "nvidia-container-toolkit is not installed and no apt source of this host offers it (it is not in the "
     "distribution's archive): set container_toolkit_repo to NVIDIA's repository (url and key_url), or configure "
     "that repository on the host and refresh its package index; nothing was changed"),
    ({"version": "1.18.0-1"}, "nvidia-container-toolkit 1.18.0-1 is not installed and no apt source of this host "
                              "offers it (offered: 1.17.8-1, 1.17.7-1): set container_toolkit_repo"),
])
def test_refusals(overrides, message):
    with pytest.raises(ToolkitRefusal) as caught:
        plan(**overrides)
    assert str(caught.value).startswith(message)


def test_a_given_repository_is_read_in_its_own_section_instead_of_refused():
    result = plan(offer=offer(installed=None, versions=()), repo_given=True)
    assert result["todo"]["repo"] and result["todo"]["install"]


def test_the_filters_and_the_report():
    with pytest.raises(AnsibleFilterError, match=r"^container_toolkit_plan: SLES \(Suse\) is not supported"):
        suse = {"os_family": "Suse", "distribution": "SLES"}
        ToolkitFilters().filters()["container_toolkit_plan"](snapshot(), manager="", facts=suse)
    assert ToolkitFilters().filters()["container_toolkit_report"] is container_toolkit_report
    quiet = container_toolkit_report(plan(), install={}, reconfigured=[], cdi_written={})
    assert quiet["summary"] == "present, runtimes none, CDI skipped, ldconfig not needed"
    assert quiet["installed_before"] == "1.17.8-1" and quiet["notes"]
    busy = container_toolkit_report(
        plan(runtimes=["docker"], ldconfig={"mode": "always"}, offer=offer(installed=None)),
        install={"changed": True}, reconfigured=["docker"], cdi_written={"changed": False})
    assert busy["summary"] == ("installed, runtimes docker, CDI unchanged, ldconfig run: container_toolkit_ldconfig "
                               "is always")
    assert busy["runtimes_configured"] == ["docker"] and busy["installed"]
    assert container_toolkit_report(plan(), cdi_written={"changed": True})["cdi"] == "written"
    assert container_toolkit_report(plan(), cdi_written={"skipped": True})["cdi"] == "skipped"

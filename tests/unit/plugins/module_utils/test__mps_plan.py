# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mps role's plan (what each section has to do, the refusals, in the order the role always made them) and its
report, from host_snapshot and package_offer answers as the modules return them."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.mps import FilterModule as MpsFilters, mps_plan
from ansible_collections.gpuhost.provision.plugins.module_utils._mps import MpsRefusal, mps_host_plan, mps_report

BINARY = "/usr/bin/nvidia-cuda-mps-control"
UNIT = "/etc/systemd/system/nvidia-cuda-mps-control.service"
PROFILE = "/etc/profile.d/nvidia-mps.sh"
DEBIAN = {"distribution": "Debian", "distribution_major_version": "12", "distribution_release": "bookworm",
          "pkg_mgr": "apt"}
UUID0 = "GPU-2b3e6f4a-51c2-8e0f-3f5e-1d2c3b4a5f6e"
UUID1 = "GPU-7c1d0e2f-0a9b-4c8d-9e7f-6a5b4c3d2e1f"


def _file(path, sha1="u1", exists=True):
    if not exists:
        return {"path": path, "exists": False, "type": None, "sha1": None}
    return {"path": path, "exists": True, "type": "file", "sha1": sha1, "mode": "0644", "owner": "root",
            "group": "root"}


def snapshot(binary=True, unit_sha1="u1", profile_sha1="p1", masks=(), enabled="enabled", active="inactive",
             systemd=True, nvidia=None):
    return {
        "systemd_running": systemd,
        "files": {BINARY: _file(BINARY, "b", binary), UNIT: _file(UNIT, unit_sha1, unit_sha1 is not None),
                  PROFILE: _file(PROFILE, profile_sha1, profile_sha1 is not None)},
        "units": {"nvidia-cuda-mps-control.service": {"masks": list(masks), "enabled": enabled, "active": active}},
        "ansible_facts": {"nvidia": nvidia or {"available": False, "pci_devices": [], "gpus": []}},
    }


def offer(installed="535.261.03-1~deb12u1", candidate="535.261.03-1~deb12u1"):
    return {"packages": {"nvidia-cuda-mps": {"installed": installed, "candidate": candidate}}}


def plan(snap=None, **overrides):
    kwargs = dict(offer=offer(), facts=DEBIAN, install=True, package="",
                  known_packages={"Debian": "nvidia-cuda-mps"}, binary=BINARY, gpus="all", start="auto",
                  unit_path=UNIT, unit_sha1="u1", profile=True, profile_path=PROFILE, profile_sha1="p1")
    kwargs.update(overrides)
    return mps_host_plan(snapshot() if snap is None else snap, **kwargs)


def test_a_converged_host_has_nothing_to_do():
    result = plan()
    assert result["todo"] == {"install": False, "unit": False, "service": False, "verify": False}
    assert result["would_change"] == []
    assert result["package"] == "nvidia-cuda-mps" and result["installed"]


@pytest.mark.parametrize("snap,overrides,todo,would", [
    (snapshot(), {"offer": offer(installed=None)}, "install", "install nvidia-cuda-mps 535.261.03-1~deb12u1"),
    (snapshot(unit_sha1="old"), {}, "unit", "write " + UNIT),
    (snapshot(unit_sha1=None), {}, "unit", "write " + UNIT),
    (snapshot(masks=["/etc/systemd/system/nvidia-cuda-mps-control.service"]), {}, "unit",
     "unmask /etc/systemd/system/nvidia-cuda-mps-control.service"),
    (snapshot(profile_sha1="old"), {}, "unit", "write " + PROFILE),
    (snapshot(), {"profile": False}, "unit", "remove " + PROFILE),
    (snapshot(enabled="disabled"), {}, "service", "enable " + UNIT),
    (snapshot(nvidia={"available": False, "pci_devices": [{"pci_bus_id": "0000:17:00.0"}]}), {}, "service",
     "enable and start " + UNIT),
])
def test_each_section_has_work_for_its_reason(snap, overrides, todo, would):
    result = plan(snap, **overrides)
    assert [k for k, v in result["todo"].items() if v and k != "verify"] == [todo]
    assert result["would_change"] == [would]


def test_a_profile_not_wanted_and_absent_is_current():
    assert plan(snapshot(profile_sha1=None), profile=False)["todo"]["unit"] is False


def test_verify_where_the_daemon_runs_after_the_sections_and_never_in_check_mode():
    assert plan(snapshot(active="active"))["todo"]["verify"] is True
    assert plan(snapshot(active="active"), check_mode=True)["todo"]["verify"] is False
    on_pci = snapshot(nvidia={"available": False, "pci_devices": [{}]})
    assert plan(on_pci)["todo"]["verify"] is True and plan(on_pci)["do_start"] is True
    assert plan(on_pci, start="false")["todo"]["verify"] is False


def test_without_systemd_nothing_starts():
    result = plan(snapshot(systemd=False, enabled=None, active=None, nvidia={"available": False, "pci_devices": [{}]}))
    assert result["do_start"] is False and result["systemd"] is False


GPUS = {"available": True, "gpu_count": 2, "pci_devices": [{}, {}],
        "gpus": [{"uuid": UUID0, "pci_bus_id": "0000:17:00.0", "compute_mode": "exclusive_process"},
                 {"uuid": UUID1, "pci_bus_id": "0000:65:00.0", "compute_mode": "default"}]}


@pytest.mark.parametrize("snap,overrides,message", [
    (snapshot(), {"start": "true"},
     "mps_start: true, but no NVIDIA GPU is visible on the PCI bus (sysfs, vendor 0x10de); attach the GPU and load "
     "the NVIDIA driver, or set mps_start: auto to write and enable the unit only"),
    (snapshot(systemd=False, nvidia=GPUS), {"start": "True"},
     "mps_start: true, but systemd does not run on this host; attach the GPU"),
    (snapshot(nvidia=GPUS), {"gpus": [UUID0, "GPU-00000000-0000-0000-0000-000000000000", 1, "2"]},
     "mps_gpus: GPU-00000000-0000-0000-0000-000000000000, 2 not on this host, which has 2 GPU(s) (%s, %s); use "
     "UUIDs from nvidia-smi -L" % (UUID0, UUID1)),
    (snapshot(nvidia=GPUS), {"pinned_mem_limit": {0: "8G", "3": "1G"}},
     "mps_default_device_pinned_mem_limit: device(s) 3 do not exist; this host has 2 GPU(s), numbered from 0"),
    (snapshot(), {"facts": dict(DEBIAN, distribution="Ubuntu", distribution_major_version="24")},
     "no package that ships nvidia-cuda-mps-control is known for Ubuntu 24; set mps_package to one (Ubuntu: "
     "nvidia-compute-utils-<driver branch>), or install it yourself and set mps_install: false"),
    (snapshot(), {"facts": dict(DEBIAN, pkg_mgr="dnf")},
     "mps_install: true installs with apt, and this host uses dnf; install the package that ships"),
    (snapshot(), {"offer": offer(installed=None, candidate=None)},
     "APT has no installation candidate for nvidia-cuda-mps on Debian bookworm (apt-cache policy nvidia-cuda-mps, "
     "also after a fresh apt-get update); add the component"),
    (snapshot(binary=False), {},
     BINARY + " not found, although nvidia-cuda-mps is installed; set mps_binary to where it puts "
     "nvidia-cuda-mps-control (dpkg -L nvidia-cuda-mps)"),
    (snapshot(binary=False), {"install": False},
     BINARY + " not found; install the package that ships nvidia-cuda-mps-control (Debian: nvidia-cuda-mps) or set "
     "mps_install: true"),
])
def test_refusals_say_which_variable_fixes_them(snap, overrides, message):
    with pytest.raises(MpsRefusal) as caught:
        plan(snap, **overrides)
    assert str(caught.value).startswith(message)


def test_the_binary_is_not_required_before_its_package_is_installed():
    assert plan(snapshot(binary=False), offer=offer(installed=None))["todo"]["install"] is True


def test_the_filter_raises_one_line_named_after_it():
    inputs = {"gpus": "all", "pinned_mem_limit": {}, "pipe_directory": "/run/nvidia-mps",
              "log_directory": "/var/log/nvidia-mps"}
    assert "todo" not in mps_plan(inputs)
    assert mps_plan(inputs, snapshot=snapshot(), offer=offer(), facts=DEBIAN, binary=BINARY,
                    known_packages={"Debian": "nvidia-cuda-mps"}, unit_path=UNIT, unit_sha1="u1",
                    profile_path=PROFILE, profile_sha1="p1")["todo"]["unit"] is False
    with pytest.raises(AnsibleFilterError, match=r"^mps_plan: mps_start: true, but"):
        mps_plan(inputs, snapshot=snapshot(), start="true")


def test_report_and_summary():
    assert MpsFilters().filters()["mps_report"] is mps_report
    result = plan(snapshot(unit_sha1=None, nvidia=GPUS), offer=offer(installed=None), check_mode=True)
    inputs = {"unit_path": UNIT, "gpus": [UUID0, 1], "pipe_directory": "/run/nvidia-mps",
              "log_directory": "/var/log/nvidia-mps", "active_thread_percentage": 50,
              "mem_limits": [{"device": 0, "limit": "8G"}], "start": "auto"}
    report = mps_report(result, {"unit": {"changed": True}, "unmask": {}, "verified": False}, inputs,
                        check_mode=True)
    assert report["package_installed_now"] is True and report["package_version"] == "535.261.03-1~deb12u1"
    assert report["unit_changed"] is True and report["gpus"] == [UUID0, "1"] and report["gpus_visible"] == 2
    assert report["not_exclusive_process"] == ["0000:65:00.0"]
    assert report["active"] is False and report["started"] is True
    assert report["summary"].startswith("would install nvidia-cuda-mps 535.261.03-1~deb12u1; %s (pipe /run/nvidia-mps,"
                                        " log /var/log/nvidia-mps, GPUs %s,1, active threads 50%%, pinned memory 0=8G)"
                                        " would be written and enabled" % (UNIT, UUID0))
    converged = mps_report(plan(snapshot(active="active")), {"unit": {}, "verified": True}, dict(inputs, start="auto"))
    assert converged["active"] and converged["verified"] and not converged["unit_changed"]
    assert converged["package_version"] == "535.261.03-1~deb12u1" and not converged["package_installed_now"]
    assert "already running, left as it is" in converged["summary"]

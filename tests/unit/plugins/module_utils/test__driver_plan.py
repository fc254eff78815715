# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_driver_plan: the request object, the role's sections and what a run would change, the summary lines (the planner
itself runs end to end in tests/unit/plugins/modules/test_nvidia_driver_plan.py)."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _driver_plan as dplan
from ansible_collections.gpuhost.provision.plugins.module_utils import _driver_sections as dsec

APT_FILE = "/etc/apt/sources.list.d/gpuhost-nvidia-driver.sources"
NOUVEAU = "/etc/modprobe.d/gpuhost-blacklist-nouveau.conf"
CURRENT = {"type": "file", "sha1": "abc", "mode": "0644", "owner": "root", "group": "root"}


def _plan(**changes):
    plan = {"adopted": False, "family": "debian", "cuda_repo": None, "apt_sources": [], "apt_sources_file_exists": False,
            "to_install": [], "to_hold": [], "release": [], "satisfied": True, "driver_change": None,
            "driver_version": "535.309.01", "fabric_manager": {"required": False, "reason": "", "package": None,
                                                               "version": None},
            "msg": "CUDA 12.2 needs >= 535.54.03: nvidia-driver 535.309.01-0+deb12u1 (R535, proprietary) satisfies it",
            "kernel_module": "proprietary", "kernel_module_reason": "no GPU on the PCI bus: the default of R535"}
    plan.update(changes)
    return plan


def test_request_from_params_fills_the_release_from_the_host(monkeypatch):
    monkeypatch.setattr(dplan, "read_host_release", lambda: {"distribution": "Debian", "kernel": "6.1.0-28-amd64",
                                                             "distribution_major_version": "12",
                                                             "distribution_release": "bookworm", "os_family": "Debian"})
    request = dplan.PlanRequest.from_params({"cuda_version": "12.2", "distribution": "Ubuntu", "branch": None,
                                             "files": [], "option_prefix": "x_"})
    assert request.cuda_version == "12.2" and request.distribution == "Ubuntu" and request.kernel == "6.1.0-28-amd64"
    assert request.branch is None and request.kernel_module == "auto" and request.refresh_cache is True
    with pytest.raises(TypeError):
        dplan.PlanRequest("12.2")     # keyword arguments only


def test_a_converged_host_has_no_section_to_run():
    out = dsec.sections(_plan(), {APT_FILE: None, NOUVEAU: CURRENT}, {NOUVEAU: "abc"}, APT_FILE, nouveau_file=NOUVEAU)
    assert out == {"todo": {"sources": False, "install": False, "clients": False, "nouveau": False, "initramfs": False,
                            "hold": False, "fabric_manager": False}, "hold_now": [], "install_holds": [],
                   "would_change": []}


NO_DRIVER = {"kernel_module_version": None, "userspace_version": None, "installed_version": None}


@pytest.mark.parametrize("check, clients", [
    (NO_DRIVER, False),                                            # a first install: nothing can hold a GPU
    (dict(NO_DRIVER, kernel_module_version="535.261.03"), True),   # a module loaded (a container with the host's)
    (dict(NO_DRIVER, userspace_version="580.159.04"), True),       # an NVML library (a .run install, an image)
    (dict(NO_DRIVER, installed_version="535.261.03"), True),       # packages (an upgrade)
    (None, True),                                                  # no check read: look
])
def test_the_gpu_clients_are_looked_for_before_an_install_where_a_driver_is(check, clients):
    plan = _plan(to_install=["nvidia-driver=535.309.01-0+deb12u1"])
    if check is not None:
        plan["driver_check"] = check
    assert dsec.sections(plan, {}, {}, APT_FILE)["todo"]["clients"] is clients
    # no install, no look
    assert not dsec.sections(dict(plan, to_install=[]), {}, {}, APT_FILE)["todo"]["clients"]


@pytest.mark.parametrize("blacklist, images, stale", [
    (200.0, [100.0], True),             # written after the only image: no rebuild followed it
    (200.0, [100.0, 300.0], False),     # an image built after it
    (200.0, [200.0], False),
    (None, [100.0], False),             # no blacklist
    (200.0, [], False),                 # no initramfs at all (a container)
])
def test_the_initramfs_is_stale_when_no_image_is_newer_than_the_blacklist(blacklist, images, stale):
    assert dsec.initramfs_stale(blacklist, images) is stale


def test_a_stale_initramfs_is_rebuilt_without_writing_the_current_blacklist_again():
    out = dsec.sections(_plan(), {NOUVEAU: CURRENT}, {NOUVEAU: "abc"}, APT_FILE, nouveau_file=NOUVEAU,
                        stale_initramfs=True)
    assert out["todo"]["initramfs"] and not out["todo"]["nouveau"]
    assert out["would_change"] == ["rebuild the initramfs (older than %s)" % NOUVEAU]
    # a blacklist written in this run is followed by the rebuild anyway; no blacklist, or an adopted driver: nothing
    assert not dsec.sections(_plan(), {}, {NOUVEAU: "abc"}, APT_FILE, nouveau_file=NOUVEAU,
                             stale_initramfs=True)["todo"]["initramfs"]
    assert not dsec.sections(_plan(), {}, {}, APT_FILE, stale_initramfs=True)["todo"]["initramfs"]
    assert not dsec.sections(_plan(adopted=True), {NOUVEAU: CURRENT}, {NOUVEAU: "abc"}, APT_FILE,
                             nouveau_file=NOUVEAU, stale_initramfs=True)["todo"]["initramfs"]


def test_a_fresh_host_runs_every_section_and_says_what_would_change():
    plan = _plan(apt_sources=[{"components": ["contrib", "non-free"]}, {"components": ["non-free", "non-free-firmware"]}],
                 to_install=["nvidia-driver=535.309.01-0+deb12u1", "python3-pynvml"], to_hold=["nvidia-driver"])
    out = dsec.sections(plan, {}, {NOUVEAU: "abc"}, APT_FILE, nouveau_file=NOUVEAU)
    assert all(out["todo"][s] for s in ("sources", "install", "nouveau"))
    # APT: the install's own job holds what it installs; the hold section has nothing left to do
    assert out["install_holds"] == ["nvidia-driver"] and not out["todo"]["hold"]
    assert out["would_change"] == [
        "add components contrib, non-free, non-free-firmware in " + APT_FILE,
        "install 2 package(s), driver 535.309.01",
        "write %s (blacklist nouveau) and rebuild the initramfs" % NOUVEAU,
        "hold 1 package(s)"]


def test_an_upgrade_names_from_and_to_and_the_released_holds():
    change = {"from": "535.261.03", "to": "535.309.01"}
    plan = _plan(to_install=["a=2", "b=2"], release=["a", "b"], to_hold=["a", "b"], driver_change=change)
    out = dsec.sections(plan, {}, {}, APT_FILE)
    assert out["would_change"] == ["install 2 package(s), driver 535.261.03 → 535.309.01; release the holds of 2 of "
                                   "them for it", "hold 2 package(s)"]
    assert out["install_holds"] == ["a", "b"] and not out["todo"]["hold"]
    # nvidia_driver_hold false: only the released holds are set again (by the install)
    out = dsec.sections(_plan(to_install=["a=2"], to_hold=["a", "c"], release=["a"]), {}, {}, APT_FILE, hold=False)
    assert out["hold_now"] == ["a"] and out["install_holds"] == ["a"] and not out["todo"]["hold"]
    assert dsec.sections(_plan(to_hold=["a", "c"], release=["a"]), {}, {}, APT_FILE, hold=False)["hold_now"] == ["a"]


def test_holds_without_an_install_are_the_hold_sections():
    # every package at its version, some not held (an operator's apt-mark unhold): the hold section holds them
    out = dsec.sections(_plan(to_hold=["libcuda1"]), {}, {}, APT_FILE)
    assert out["todo"]["hold"] and not out["todo"]["install"] and out["install_holds"] == []
    assert out["would_change"] == ["hold 1 package(s)"]
    # EL: the install never holds; the hold section locks the versions after it
    out = dsec.sections(_plan(family="el", to_install=["x"], to_hold=["x"]), {}, {}, APT_FILE)
    assert out["todo"]["install"] and out["todo"]["hold"] and out["install_holds"] == []


@pytest.mark.parametrize("state", [
    None, dict(CURRENT, sha1="old"), dict(CURRENT, mode="0600"), dict(CURRENT, owner="nobody"), dict(CURRENT, type="link"),
])
def test_a_template_file_that_differs_is_written(state):
    out = dsec.sections(_plan(), {NOUVEAU: state}, {NOUVEAU: "abc"}, APT_FILE, nouveau_file=NOUVEAU)
    assert out["todo"]["nouveau"]


def test_sources_sections_for_the_cuda_repository_and_a_stale_components_file():
    repo = {"id": "debian12"}
    assert dsec.sections(_plan(cuda_repo=repo), {}, {}, APT_FILE)["would_change"] == [
        "add NVIDIA's CUDA repository debian12"]
    out = dsec.sections(_plan(apt_sources_file_exists=True), {}, {}, APT_FILE)
    assert out["todo"]["sources"] and out["would_change"] == [
        "remove %s (the host's sources have the components)" % APT_FILE]


def test_el_installs_and_locks_always_and_an_adopted_driver_runs_nothing():
    out = dsec.sections(_plan(family="el"), {}, {}, APT_FILE)
    assert out["todo"]["install"] and out["todo"]["hold"] and out["would_change"] == []
    out = dsec.sections(_plan(adopted=True, to_install=["x"], to_hold=["x"], apt_sources=[{"components": ["c"]}]),
                        {}, {}, APT_FILE, nouveau_file=NOUVEAU)
    assert not any(out["todo"][s] for s in ("sources", "install", "nouveau", "hold"))


CHECK = {"installed_version": "535.309.01", "driver_version": None, "kernel_module_version": None,
         "max_cuda_version": "12.2.2", "reboot_required": False}


@pytest.mark.parametrize("plan, check, decision, check_mode, expected", [
    (_plan(), CHECK, None, False, "driver 535.309.01, kernel module not loaded, CUDA up to 12.2.2; reboot not required"),
    (_plan(driver_change={"from": "535.261.03", "to": "535.309.01"}, would_change=["install 2 package(s)"]), CHECK,
     None, True, "driver 535.261.03 → 535.309.01 (would change), kernel module not loaded, CUDA up to 12.2.2; reboot "
     "not required; would install 2 package(s)"),
    (_plan(), dict(CHECK, kernel_module_version="535.261.03", kernel_module_flavor="proprietary", reboot_required=True),
     {"action": "refused-container", "reason": "not rebooting a podman container: the kernel module belongs to its host"},
     False, "driver 535.309.01, kernel module 535.261.03 (proprietary), CUDA up to 12.2.2; reboot required, "
     "refused-container - not rebooting a podman container: the kernel module belongs to its host"),
    (_plan(), dict(CHECK, reboot_required=True, installed_version=None, driver_version=None, max_cuda_version=None), {},
     False, "driver none, kernel module not loaded, CUDA up to -; reboot required, not decided (the reboot section did "
     "not run)"),
    # the driver is current, the loaded module's parameters are not: the decision says the reboot is required
    (_plan(), CHECK, {"required": True, "action": "skipped-never", "reason": "nvidia_driver_reboot is never: reboot this "
                      "host yourself"}, False, "driver 535.309.01, kernel module not loaded, CUDA up to 12.2.2; reboot "
     "required, skipped-never - nvidia_driver_reboot is never: reboot this host yourself"),
    (_plan(adopted=True, msg="kept driver 580.159.04 (NVIDIA's .run installer), satisfies CUDA 12.2"), CHECK, None, False,
     "kept driver 580.159.04 (NVIDIA's .run installer), satisfies CUDA 12.2, kernel module not loaded, CUDA up to "
     "12.2.2; reboot not required"),
])
def test_summary_line(plan, check, decision, check_mode, expected):
    assert dsec.summary_line(plan, check, decision, check_mode) == expected


def test_preflight_line():
    plan = _plan(apt_sources=[{"components": ["contrib", "non-free"]}],
                 fabric_manager={"required": True, "package": "nvidia-fabricmanager-570", "version": "570.172.08-1",
                                 "reason": "4 NVSwitch bridge(s) on the PCI bus (00000000:05:00.0)"})
    assert dsec.preflight_line(plan) == (
        plan["msg"] + "; kernel module proprietary (no GPU on the PCI bus: the default of R535); Fabric Manager "
        "nvidia-fabricmanager-570 570.172.08-1 (4 NVSwitch bridge(s) on the PCI bus (00000000:05:00.0)); will add "
        "components: contrib, non-free")


def test_report_of_a_run_that_installed_and_held():
    plan = _plan(to_install=["libcuda1=535.309.01-0+deb12u1"], hold_now=["libcuda1"], todo={"hold": True},
                 installed=[], would_change=["install 1 package(s)"])
    after = dict(CHECK, kernels_without_module=[])
    now = dict(CHECK, kernels_without_module=["6.1.0-99-amd64"])
    report = dsec.driver_report(plan, now, check_after=after, install={"changed": True}, local_fact={"a": 1})
    assert report["installed"] == ["libcuda1=535.309.01-0+deb12u1"] and report["held"] == ["libcuda1"]
    # the post-check is the one the report stands on; the kernels without a module come from the last check read
    assert report["check"] is after and report["kernels_without_module"] == ["6.1.0-99-amd64"]
    assert report["would_install"] == [] and report["would_change"] == [] and report["local_fact"] == {"a": 1}
    assert report["summary"] == dsec.summary_line(plan, after, None, False)


def test_report_of_an_apt_install_that_held_in_its_job():
    plan = _plan(to_install=["libcuda1=535.309.01-0+deb12u1"], hold_now=["libcuda1"], install_holds=["libcuda1"],
                 todo={"hold": False, "install": True})
    report = dsec.driver_report(plan, CHECK, install={"changed": True})
    assert report["held"] == ["libcuda1"] and report["installed"] == ["libcuda1=535.309.01-0+deb12u1"]


def test_report_of_a_converged_host_and_of_check_mode():
    plan = _plan(to_install=["libcuda1=535.309.01-0+deb12u1"], hold_now=["libcuda1"], todo={"hold": True},
                 would_change=["install 1 package(s)"])
    # nothing installed (the install did not change), a skipped post-check, dnf: no holds reported
    report = dsec.driver_report(plan, CHECK, check_after={"skipped": True}, install={"changed": False},
                                package_manager="dnf")
    assert report["installed"] == [] and report["held"] == [] and report["check"] is CHECK
    assert report["local_fact"] == {}
    checked = dsec.driver_report(plan, CHECK, check_mode=True)
    assert checked["would_install"] == ["libcuda1=535.309.01-0+deb12u1"]
    assert checked["would_change"] == ["install 1 package(s)"]
    assert checked["summary"].endswith("; would install 1 package(s)")


def test_the_summary_filter_is_the_function():
    from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import FilterModule
    assert FilterModule().filters()["driver_summary"] is dsec.summary_line
    assert FilterModule().filters()["driver_report"] is dsec.driver_report


def test_a_components_file_is_current_when_apt_reads_the_same_stanzas(tmp_path):
    stanzas = [{"types": "deb", "uris": "http://deb.debian.org/debian", "suites": ["bookworm", "bookworm-updates"],
                "components": ["contrib", "non-free"], "signed_by": None}]
    path = tmp_path / "gpuhost-nvidia-driver.sources"
    path.write_text("# Ansible managed\n\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm "
                    "bookworm-updates\nComponents: contrib non-free\n")
    path.chmod(0o644)
    assert dsec.components_current(str(path), stanzas)
    assert not dsec.components_current(str(path), [dict(stanzas[0], components=["contrib"])])
    assert not dsec.components_current(str(tmp_path / "absent.sources"), stanzas)
    assert not dsec.components_current(str(path), [])
    path.chmod(0o600)
    assert not dsec.components_current(str(path), stanzas)
    # the plan says so, and the sources section is skipped for it
    plan = _plan(apt_sources=stanzas, apt_sources_current=True)
    assert not dsec.sections(plan, {}, {}, APT_FILE)["todo"]["sources"]

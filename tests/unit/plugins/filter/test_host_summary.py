# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.site import host_changes, host_summary

PACKAGES = ["nvidia-driver=535.261.03-1", "nvidia-driver-libs=535.261.03-1", "nvidia-driver-bin=535.261.03-1",
            "nvidia-kernel-dkms=535.261.03-1", "nvidia-smi=535.261.03-1", "nvidia-persistenced=535.261.03-1",
            "libnvidia-ml1=535.261.03-1", "xserver-xorg-video-nvidia=535.261.03-1"]
CHECK = {"installed_version": "535.261.03", "driver_version": "535.261.03", "kernel_module_version": None,
         "max_cuda_version": "12.2.2", "reboot_required": True}
# a fresh Debian 12 container after site.yml: the packages installed and held, the unit and the user made
INSTALL = {"plan": "install driver 535.261.03 for CUDA 12.2", "adopted": False, "installed": PACKAGES,
           "would_install": [], "held": [p.split("=", maxsplit=1)[0] for p in PACKAGES], "check": CHECK}
PERSISTENCED = {"systemd": True, "started": False, "start_policy": "auto", "unit_changed": True, "unmasked": [],
                "user_change": "created system user nvidia-persistenced",
                "unit": "/etc/systemd/system/nvidia-persistenced.service",
                "vendor_unit": {"path": "/usr/lib/systemd/system/nvidia-persistenced.service"}}
NO_GPU = {"gpu_count": 0, "gpus": [], "pci_devices": []}
GPU_STATE = ("/etc/systemd/system/gpuhost-gpu-state.service and /usr/local/sbin/gpuhost-gpu-state (1 entry, 1 "
             "nvidia-smi call(s) at boot) written and enabled; not applied now (no NVIDIA GPU can be read: NVML "
             "library not found; gpu_state_apply: auto); the unit applies them at the next boot once a GPU is present")
NEVER = {"action": "skipped-never", "reason": "nvidia_driver_reboot is never: reboot this host yourself"}


def test_an_install_is_one_short_line_with_counts():
    line = host_summary(INSTALL, nvidia=NO_GPU, persistenced=PERSISTENCED, decision=NEVER)
    assert line == ("driver 535.261.03 (no module loaded, CUDA <= 12.2.2), reboot skipped-never | GPUs 0/0 nvml/pci | "
                    "persistenced waits for a GPU | changed: installed 8 packages, held 8, unit written, "
                    "user created")
    assert len(line) <= 200


def test_a_run_that_changed_nothing_says_so():
    driver = {**INSTALL, "installed": [], "held": [], "check": {**CHECK, "reboot_required": False}}
    persistenced = {**PERSISTENCED, "unit_changed": False, "user_change": ""}
    line = host_summary(driver, nvidia=NO_GPU, persistenced=persistenced)
    assert line.endswith(" | nothing changed"), line
    assert "written" not in line and "reboot" not in line, line
    assert host_summary(driver, nvidia=NO_GPU, persistenced=persistenced, check_mode=True).endswith(
        " | nothing to change")


def test_check_mode_says_what_would_change():
    driver = {**INSTALL, "installed": [], "would_install": PACKAGES, "held": PACKAGES}
    assert host_summary(driver, nvidia=NO_GPU, persistenced=PERSISTENCED, decision=NEVER, check_mode=True).endswith(
        "would change: install 8 packages, hold 8, unit written, user created")


def test_gpus_and_a_started_daemon():
    nvidia = {"gpu_count": 2, "gpus": [{"persistence_mode": True}, {"persistence_mode": False}],
              "pci_devices": [{}, {}, {}]}
    check = {**CHECK, "reboot_required": False, "kernel_module_version": "535.261.03"}
    line = host_summary({**INSTALL, "installed": [], "held": [], "check": check},
                        nvidia=nvidia, persistenced={**PERSISTENCED, "started": True, "unit_changed": False,
                                                     "user_change": ""})
    assert line == ("driver 535.261.03 (module 535.261.03, CUDA <= 12.2.2) | GPUs 2/3 nvml/pci, persistence on 1 | "
                    "persistenced started | nothing changed")


def test_a_kept_driver_and_no_systemd():
    driver = {"plan": "kept driver 580.159.04 (NVIDIA's .run installer), satisfies CUDA 12.2", "adopted": True,
              "check": {**CHECK, "reboot_required": False}}
    line = host_summary(driver, nvidia=NO_GPU, persistenced={"systemd": False})
    assert line == ("kept driver 580.159.04 (NVIDIA's .run installer), satisfies CUDA 12.2 | GPUs 0/0 nvml/pci | "
                    "persistenced no systemd on this host: no unit written or enabled | nothing changed")


def test_optional_roles_give_their_first_clause_or_only_their_name_when_the_line_would_be_too_long():
    short = host_summary({}, nvidia=NO_GPU, roles={"mps": "mps-control.service started"})
    assert short == "GPUs 0/0 nvml/pci | mps: mps-control.service started | nothing changed"
    line = host_summary(INSTALL, nvidia=NO_GPU, persistenced=PERSISTENCED, decision=NEVER,
                        roles={"gpu_state": GPU_STATE})
    assert len(line) <= 200, (len(line), line)
    assert " | gpu_state | changed: installed 8 packages" in line, line


@pytest.mark.parametrize("width", [160, 200])
def test_the_line_never_exceeds_the_width_and_keeps_what_changed(width):
    driver = {"plan": "kept driver 580.159.04 " + "x" * 300, "adopted": True, "check": CHECK}
    line = host_summary(driver, nvidia=NO_GPU, persistenced=PERSISTENCED, decision=NEVER,
                        roles={"gpu_state": GPU_STATE, "mps": "y" * 100}, width=width)
    assert len(line) <= width, (len(line), line)
    assert line.startswith("kept driver 580.159")
    assert line.endswith(" | changed: unit written, user created"), line


def test_under_tags_the_line_starts_with_them():
    assert host_summary({}, nvidia=NO_GPU, tags=["nvidia_driver_hold"]).startswith("only --tags nvidia_driver_hold | ")


def test_changes_are_counted():
    assert host_changes(INSTALL, {**PERSISTENCED, "unmasked": ["/etc/systemd/system/nvidia-persistenced.service"]}) == [
        "installed 8 packages", "held 8", "unmasked nvidia-persistenced.service", "unit written", "user created"]
    assert host_changes({}, {"user_change": "user nvidia-persistenced: corrected login shell /bin/bash to "
                                            "/usr/sbin/nologin (security fix)"}) == [
        "user shell set to nologin (security fix)"]
    assert host_changes({}, {}) == []
    assert host_changes({"installed": ["a"]}, {"unit_changed": "False"}) == ["installed 1 package"]


def test_a_tags_run_on_a_converged_host_fits_whole():
    # site.yml --tags nvidia_driver_hold,persistenced_verify on a converged Debian 12 container: the reboot section
    # did not run, so the reboot that is due is pending; nothing is cut
    driver = {**INSTALL, "installed": [], "held": []}
    persistenced = {**PERSISTENCED, "unit_changed": False, "user_change": ""}
    line = host_summary(driver, nvidia=NO_GPU, persistenced=persistenced,
                        tags=["nvidia_driver_hold", "persistenced_verify"])
    assert line == ("only --tags nvidia_driver_hold,persistenced_verify | driver 535.261.03 (no module loaded, CUDA <= "
                    "12.2.2), reboot pending | GPUs 0/0 nvml/pci | persistenced waits for a GPU | nothing changed")
    assert len(line) <= 200

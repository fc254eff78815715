# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The persistenced role's plan (what each section has to do) and report (what was done, the summary line)."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.persistenced import FilterModule as PersistencedFilters
from ansible_collections.gpuhost.provision.plugins.module_utils._persistenced import (
    persistenced_plan,
    persistenced_report,
    user_change,
    vendor_unit,
)

UNIT = "/etc/systemd/system/nvidia-persistenced.service"
PROGRAM = "/usr/bin/nvidia-persistenced"
SHA1 = "0123456789abcdef0123456789abcdef01234567"
GPU = {"pci_bus_id": "00000000:3B:00.0"}


def _snapshot(**units):
    unit = {"enabled": "enabled", "active": "active", "masks": [], "vendor_unit": None}
    unit.update(units)
    return {
        "systemd_running": True,
        "units": {"nvidia-persistenced.service": unit},
        "files": {PROGRAM: {"exists": True},
                  UNIT: {"exists": True, "type": "file", "sha1": SHA1, "mode": "0644", "owner": "root", "group": "root"}},
        "users": {"nvpd": {"exists": True, "uid": 998, "shell": "/usr/sbin/nologin", "locked": True}},
        "ansible_facts": {"nvidia": {"available": True, "gpus": [{"persistence_mode": True, "lost": False}]}},
    }


def _plan(snapshot, **kw):
    args = dict(user="nvpd", program=PROGRAM, unit_path=UNIT, unit_sha1=SHA1, gpus=[GPU])
    args.update(kw)
    return persistenced_plan(snapshot, **args)


def test_registered_under_their_names():
    assert PersistencedFilters().filters()["persistenced_plan"] is persistenced_plan
    assert PersistencedFilters().filters()["persistenced_report"] is persistenced_report


def test_a_converged_host_has_nothing_to_do():
    plan = _plan(_snapshot())
    assert plan["todo"] == {"user": False, "unit": False, "service": False, "legacy": False, "nosystemd": False}
    assert plan["changes"] is False   # main.yml skips every section with one task
    assert plan["do_start"] and plan["unit_file_current"] and plan["verify"] and plan["snapshot_modes_usable"]


@pytest.mark.parametrize("change,todo", [
    (lambda s: s["users"].clear(), "user"),
    (lambda s: s["users"]["nvpd"].update(shell="/bin/bash"), "user"),
    (lambda s: s["users"]["nvpd"].update(locked=False), "user"),
    (lambda s: s["users"]["nvpd"].update(uid=1001), "user"),
    (lambda s: s["units"]["nvidia-persistenced.service"].update(masks=["/etc/systemd/system/x"]), "unit"),
    (lambda s: s["files"][UNIT].update(sha1="ffff"), "unit"),
    (lambda s: s["files"][UNIT].update(mode="0755"), "unit"),
    (lambda s: s["files"][UNIT].update(owner="nvpd"), "unit"),
    (lambda s: s["files"].pop(UNIT), "unit"),
    (lambda s: s["units"]["nvidia-persistenced.service"].update(enabled="disabled"), "service"),
    (lambda s: s["units"]["nvidia-persistenced.service"].update(active="failed"), "service"),
])
def test_each_finding_gives_its_section_work(change, todo):
    snapshot = _snapshot()
    change(snapshot)
    plan = _plan(snapshot)
    assert [name for name, do in plan["todo"].items() if do] == [todo]
    assert plan["changes"] is True


def test_root_never_needs_the_user_section_and_an_inactive_daemon_not_to_be_started_is_left():
    snapshot = _snapshot(active="inactive")
    snapshot["users"].clear()
    plan = _plan(snapshot, user="root", start="false")
    assert plan["todo"]["user"] is False and plan["todo"]["service"] is False and not plan["do_start"]


@pytest.mark.parametrize("start,gpus,do_start", [
    ("auto", [GPU], True), ("auto", [], False), ("true", [], True), ("True", [], True), (True, [], True),
    ("false", [GPU], False), (False, [GPU], False),
])
def test_the_start_policy(start, gpus, do_start):
    assert _plan(_snapshot(), start=start, gpus=gpus)["do_start"] is do_start


def test_without_systemd_only_the_nosystemd_section_runs():
    snapshot = _snapshot(enabled="not-found", active="")
    snapshot["systemd_running"] = False
    snapshot["users"].clear()
    plan = _plan(snapshot)
    assert [name for name, do in plan["todo"].items() if do] == ["nosystemd"]
    assert plan["do_start"] is False and plan["verify"] is False


def test_the_legacy_method_has_its_own_section():
    plan = _plan(_snapshot(), method="legacy")
    assert [name for name, do in plan["todo"].items() if do] == ["legacy"]
    assert plan["verify"] is False


def test_check_mode_and_unusable_snapshot_modes():
    snapshot = _snapshot()
    assert _plan(snapshot, check_mode=True)["verify"] is False
    snapshot["ansible_facts"]["nvidia"]["gpus"][0]["persistence_mode"] = None
    assert _plan(snapshot)["snapshot_modes_usable"] is False
    snapshot["ansible_facts"]["nvidia"]["gpus"][0].update(persistence_mode=True, lost=True)
    assert _plan(snapshot)["snapshot_modes_usable"] is False


def test_a_missing_program_may_be_pending_only_when_absent():
    snapshot = _snapshot()
    assert _plan(snapshot, program_pending=True)["program_pending"] is False
    snapshot["files"][PROGRAM]["exists"] = False
    assert _plan(snapshot, program_pending=True)["program_pending"] is True


@pytest.mark.parametrize("exec_start,static,kind", [
    ("/usr/bin/nvidia-persistenced --no-persistence-mode", True, "static, no [Install] (Ubuntu style)"),
    ("/usr/bin/nvidia-persistenced --user nvpd", False, "Debian (--user nvpd)"),
    ("/usr/bin/nvidia-persistenced --user nvidia-persistenced", False, "CUDA repository (--user nvidia-persistenced)"),
    ("/usr/bin/nvidia-persistenced --verbose", False, "other"),
])
def test_the_vendor_unit_kind(exec_start, static, kind):
    found = vendor_unit({"path": "/lib/systemd/system/nvidia-persistenced.service", "exec_start": exec_start,
                         "static": static})
    assert found["kind"] == kind
    assert found["no_persistence_mode"] is ("--no-persistence-mode" in exec_start)
    assert vendor_unit(None) == {}


@pytest.mark.parametrize("before,result,check,phrase", [
    ([], {}, False, ""),
    ([], {"changed": True}, False, "created system user nvpd"),
    ([], {"changed": True}, True, "would create system user nvpd"),
    (["x", 998, 998, "", "/", "/bin/bash"], {"changed": True}, False,
     "user nvpd: corrected login shell /bin/bash to /usr/sbin/nologin (security fix)"),
    (["x", 998, 998, "", "/", "/bin/bash"], {"changed": True}, True,
     "user nvpd: would correct login shell /bin/bash to /usr/sbin/nologin (security fix)"),
    (["x", 998, 998, "", "/", "/usr/sbin/nologin"], {"changed": True}, False, "user nvpd: password locked"),
    (["x", 1001, 1001, "", "/", "/usr/sbin/nologin"], {"skipped": True, "changed": False}, False, ""),
])
def test_user_change(before, result, check, phrase):
    assert user_change(before, result, "nvpd", check) == phrase


def _report(plan, results=None, **kw):
    args = dict(user="nvpd", start="auto", program=PROGRAM, unit_path=UNIT, nvidia={"available": True})
    args.update(kw)
    return persistenced_report(plan, results or {}, **args)


def test_the_report_of_a_first_run():
    snapshot = _snapshot(enabled="masked", masks=[UNIT])
    snapshot["units"]["nvidia-persistenced.service"]["vendor_unit"] = {
        "path": "/lib/systemd/system/nvidia-persistenced.service", "exec_start": "/usr/bin/nvidia-persistenced "
        "--user nvpd", "static": False}
    results = {"unmask": {"changed": True, "units": [{"removed": [UNIT]}]}, "unit": {"changed": True},
               "unit_start": {"changed": True}, "user": {"changed": True}, "user_before": []}
    report = _report(_plan(snapshot), results)
    assert report["unit_changed"] and report["service_changed"] and report["started"]
    assert report["unmasked"] == [UNIT] and report["gpus_visible"] == 1
    assert report["summary"] == (
        UNIT + " (nvidia-persistenced --user nvpd) written and enabled; started; overrides vendor unit "
        "/lib/systemd/system/nvidia-persistenced.service [Debian (--user nvpd): /usr/bin/nvidia-persistenced --user "
        "nvpd]; unmasked " + UNIT + "; created system user nvpd")


def test_the_report_of_a_converged_run_and_of_check_mode():
    plan = _plan(_snapshot())
    assert _report(plan)["summary"] == UNIT + " (nvidia-persistenced --user nvpd) unchanged and enabled; started"
    assert not _report(plan)["service_changed"]
    assert _report(plan, {"unit": {"changed": True}}, check_mode=True)["summary"].startswith(
        UNIT + " (nvidia-persistenced --user nvpd) would be written and enabled")


@pytest.mark.parametrize("start,gpus,tail", [
    ("auto", [], "not started: no NVIDIA GPU visible on the PCI bus (persistenced_start: auto); it starts at boot "
                 "once a GPU is present"),
    ("false", [GPU], "not started (persistenced_start: false)"),
])
def test_why_not_started(start, gpus, tail):
    plan = _plan(_snapshot(), start=start, gpus=gpus)
    assert _report(plan, start=start, user="root")["summary"] == UNIT + " (nvidia-persistenced as root) unchanged " \
        "and enabled; " + tail


def test_the_legacy_method_reports_its_own_unit_and_registers():
    plan = _plan(_snapshot(), method="legacy")
    results = {"legacy_unit": {"changed": True}, "legacy_set": {"changed": True}, "unit": {"changed": False}}
    report = _report(plan, results, method="legacy", unit_path="/etc/systemd/system/nvidia-persistence-mode.service")
    assert report["user"] == "" and report["unit_changed"] and report["service_changed"]
    assert report["summary"] == ("/etc/systemd/system/nvidia-persistence-mode.service (nvidia-smi -pm) written and "
                                 "enabled; started")


@pytest.mark.parametrize("results,nvidia,start,check,tail", [
    ({"nosystemd_set": {"changed": True, "gpus": [{"pci_bus_id": "a", "before": False, "after": True},
                                                  {"pci_bus_id": "b", "before": True, "after": True}]}},
     {"available": True}, "auto", False, "persistence mode set through NVML on a"),
    ({"nosystemd_set": {"changed": True, "gpus": [{"pci_bus_id": "a", "before": False, "after": True}]}},
     {"available": True}, "auto", True, "persistence mode would be set through NVML on a"),
    ({}, {"available": True}, "auto", False, "persistence mode already on on every GPU"),
    ({}, {"available": True}, "false", False, "left alone (persistenced_start: false)"),
    ({}, {"available": False, "error": "NVML: Driver Not Loaded"}, "auto", False,
     "no usable NVIDIA GPU: NVML: Driver Not Loaded"),
])
def test_the_report_without_systemd(results, nvidia, start, check, tail):
    snapshot = _snapshot()
    snapshot["systemd_running"] = False
    report = _report(_plan(snapshot), results, nvidia=nvidia, start=start, check_mode=check)
    assert report["method"] == "none (no systemd)"
    assert report["summary"] == ("no systemd on this host: no unit written or enabled (nothing here starts "
                                 "nvidia-persistenced at boot); " + tail)
    assert report["service_changed"] is bool(results)


@pytest.mark.parametrize("verify_plan,verify,snapshot_modes,mode,wrong", [
    (True, None, [True, False], True, ["b"]),                        # the snapshot's reading, no read after it
    (True, {"skipped": True}, [True, True], True, []),
    (True, {"gpus": [{"pci_bus_id": "a", "before": False}]}, [True, True], True, ["a"]),   # read after a start
    (True, None, [False, False], False, []),                         # persistence mode off asked for, and off
    (False, None, [False, False], True, []),                         # no daemon on visible GPUs: nothing to check
])
def test_the_gpus_without_the_mode_asked_for(verify_plan, verify, snapshot_modes, mode, wrong):
    from ansible_collections.gpuhost.provision.plugins.module_utils._persistenced import wrong_gpus
    snapshot = {"ansible_facts": {"nvidia": {"gpus": [{"pci_bus_id": bus, "persistence_mode": m}
                                                      for bus, m in zip("ab", snapshot_modes)]}}}
    assert wrong_gpus({"verify": verify_plan}, verify, snapshot, mode) == wrong
    report = persistenced_report({"verify": verify_plan}, {"snapshot": snapshot, "verify": verify},
                                 persistence_mode=mode)
    assert report["wrong_gpus"] == wrong

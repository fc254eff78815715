# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml's decisions: unknown variables, the input refusal, the -v summary line, the fleet table and the rollout
guard."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.site import FilterModule as SiteFilters, host_summary
from ansible_collections.gpuhost.provision.plugins.module_utils._site import (
    NOT_RUN,
    input_refusal,
    rollout_stop,
    site_table,
    summary_detail,
    unknown_variables,
)

SPECS = {"nvidia_driver": {"nvidia_driver_cuda_version": {}, "nvidia_driver_hold": {}},
         "mps": {"mps_gpus": {}}, "mps_extra": {}}


def test_registered_under_their_names():
    assert SiteFilters().filters()["unknown_variables"] is unknown_variables
    assert SiteFilters().filters()["input_refusal"] is input_refusal
    assert SiteFilters().filters()["site_table"] is site_table
    assert SiteFilters().filters()["rollout_stop"] is rollout_stop


# the hosts of the play so far: two done, one failed in provisioning, one held back by the input play (neither)
ROLLOUT = {"a": {"__site_said": {}}, "b": {"__site_said": {}},
           "c": {"__site_provision_failed": True, "__site_said": {}},
           "d": {"__site_held": "not changed: bad input on x"}}


@pytest.mark.parametrize("hosts,limit,stop", [
    (["a", "b", "c", "d"], 100, False),      # the default: never
    (["a", "b", "c", "d"], "100", False),   # as a survey answer or an extra variable gives it
    (["a", "b", "c", "d"], 34, False),      # 1 of 3 (33 %): within 34 %
    (["a", "b", "c", "d"], 33, True),       # more than 33 % failed
    (["a", "b", "c"], 0, True),             # 0: the first failed host stops it
    (["a", "b", "d"], 0, False),            # no failure: a held-back host does not count
    ([], 0, False),
    (["c"], "ten", True),                   # not a number reads as 0, as Jinja's int does
    (["c"], 99.0, True),
])
def test_the_rollout_guard(hosts, limit, stop):
    assert rollout_stop(hosts, ROLLOUT, limit) is stop


def test_unknown_variables():
    names = ["nvidia_driver_cuda_versoin", "nvidia_driver_hold", "mps_gpus", "mps_gpu", "gpuhost_serial",
             "gpuhost_seriall", "nvidia_driver_report", "mps_local_note", "mps_gpu"]
    assert unknown_variables(names, SPECS, known=["gpuhost_serial", "nvidia_driver_report"],
                             ignore=["mps_local_"]) == ["gpuhost_seriall", "mps_gpu", "nvidia_driver_cuda_versoin"]
    # an option of another role's spec is not known under this prefix
    assert unknown_variables(["mps_nvidia_driver_hold"], SPECS) == ["mps_nvidia_driver_hold"]
    # ignore patterns match from the start, as re.match
    assert unknown_variables(["mps_local_note"], SPECS, ignore=["local_"]) == ["mps_local_note"]


SPEC_ERROR = {"__site_role": "nvidia_driver", "argument_errors": [
    "value of nvidia_driver_reboot must be one of: auto, never, got: sometimes",
    "argument 'nvidia_driver_hold' is of type <class 'str'> and we were unable to convert to bool"]}


@pytest.mark.parametrize("results,mode,unknown,reason", [
    ([{"__site_role": "nvidia_driver"}, {"__site_role": "persistenced", "argument_errors": []}], "warn", [], ""),
    ([{"__site_role": "persistenced"}, SPEC_ERROR], "bogus", ["x_y"],
     "role nvidia_driver: value of nvidia_driver_reboot must be one of: auto, never, got: sometimes; argument "
     "'nvidia_driver_hold' is of type str and we were unable to convert to bool (see ansible-doc -t role "
     "gpuhost.provision.nvidia_driver)"),
    ([], "bogus", [], 'gpuhost_unknown_variables "bogus" is not one of warn, fail, ignore'),
    ([], True, [], "gpuhost_unknown_variables true is not one of warn, fail, ignore"),
    ([], "warn", ["mps_gpu"], ""),
    ([], "fail", [], ""),
    ([], "fail", ["mps_gpu", "nvidia_driver_x"],
     "unknown variable(s) mps_gpu, nvidia_driver_x: no role of gpuhost.provision knows them (a typo?); correct the "
     "name, list it in gpuhost_unknown_variables_ignore, or set gpuhost_unknown_variables: warn"),
])
def test_input_refusal(results, mode, unknown, reason):
    assert input_refusal(results, mode, unknown) == reason


DRIVER = {"summary": "driver 535.261.03 installed", "installed": ["nvidia-driver=535.261.03-1", "nvidia-smi=535.261.03-1"],
          "held": ["nvidia-driver", "nvidia-smi"]}
PERSISTENCED = {"summary": "unit written", "unit": "/etc/systemd/system/nvidia-persistenced.service",
                "unit_changed": True, "unmasked": ["/etc/systemd/system/nvidia-persistenced.service"],
                "user_change": "created system user nvpd"}
NVIDIA = {"gpu_count": 2, "pci_devices": [{}, {}],
          "gpus": [{"index": 0, "persistence_mode": True}, {"index": 1, "persistence_mode": False}]}


def test_the_detail_line():
    line = summary_detail(DRIVER, NVIDIA, PERSISTENCED, {"mps": "unit written", "container toolkit": "present"})
    assert line == (
        "driver 535.261.03 installed | GPUs 2 seen by NVML, 2 on PCI, persistence 0:on 1:off | persistenced unit written"
        " | mps: unit written | container toolkit: present | changed: installed nvidia-driver=535.261.03-1, "
        "nvidia-smi=535.261.03-1; held nvidia-driver, nvidia-smi; unmasked /etc/systemd/system/nvidia-persistenced."
        "service; /etc/systemd/system/nvidia-persistenced.service written; created system user nvpd")
    assert host_summary(DRIVER, nvidia=NVIDIA, persistenced=PERSISTENCED, detail=True) == summary_detail(
        DRIVER, NVIDIA, PERSISTENCED)


def test_the_detail_line_in_check_mode_under_tags_and_without_gpus():
    driver = {"summary": "driver none", "would_install": ["nvidia-driver=535.261.03-1"]}
    line = summary_detail(driver, {"gpu_count": 0, "pci_devices": [], "gpus": []}, {}, {}, True, ["nvidia_driver"])
    assert line == ("only --tags nvidia_driver | driver none | GPUs 0 seen by NVML, 0 on PCI, persistence n/a (no GPU)"
                    " | would change: install nvidia-driver=535.261.03-1")
    assert summary_detail({}, {"gpu_count": 0}, {}).endswith("| changed: nothing")


def test_the_fleet_table():
    # the rows come from the roles' reports and the GPU facts as the hosts' variables hold them after the
    # provisioning play, for the hosts that said what was done (__site_said)
    driver = {"check": {"installed_version": "535.261.03"}, "installed": ["p%d" % i for i in range(8)]}
    facts = {"nvidia": {"gpu_count": 1, "pci_devices": [{"pci_bus_id": "0000:01:00.0"}]}}
    done = {"__site_said": {"msg": "..."}, "ansible_facts": facts}
    hostvars = {"a": dict(done, nvidia_driver_report=driver, __site_inputs={"unknown": ["mps_gpu"]}),
                "b": dict(done, nvidia_driver_report=dict(driver, installed=[])),
                "c": dict(done, nvidia_driver_report=driver, __site_failure="Persistence daemon: failed"),
                "d": {"__site_held": "not changed: bad input on c"},
                "e": {"nvidia_driver_report": driver}}   # reports but no line: it did not get that far
    assert site_table(["a", "b", "c", "d", "e"], hostvars, check_mode=True) == [
        "host | result | driver | GPUs nvml/pci | reboot | changed / reason",
        "a | would change | 535.261.03 | 1/1 | no | install 8 packages; unknown variables: mps_gpu",
        "b | ok | 535.261.03 | 1/1 | no | nothing",
        "c | FAILED | - | - | - | Persistence daemon: failed",
        "d | FAILED | - | - | - | not changed: bad input on c",
        "e | FAILED | - | - | - | " + NOT_RUN,
        "5 host(s): 2 done, 3 failed or not run",
    ]
    assert site_table(["a"], hostvars)[1] == (
        "a | changed | 535.261.03 | 1/1 | no | installed 8 packages; unknown variables: mps_gpu")


def test_the_table_row_is_the_row_of_the_host_s_line():
    # site_table (the fleet table, controller) and site_host (the host's line, in its worker) build the same row
    from ansible_collections.gpuhost.provision.plugins.filter.site import site_host
    from ansible_collections.gpuhost.provision.plugins.module_utils._site import host_row
    driver = dict(DRIVER, check={"installed_version": "535.261.03", "reboot_required": True})
    hostvars = {"nvidia_driver_report": driver, "ansible_facts": {"nvidia": NVIDIA}, "persistenced_report": PERSISTENCED,
                "nvidia_driver_reboot_decision": {"action": "skipped-never"}}
    for check_mode in (False, True):
        assert host_row(hostvars, check_mode) == site_host(driver, nvidia=NVIDIA, persistenced=PERSISTENCED, decision={
            "action": "skipped-never"}, check_mode=check_mode)["row"]


def test_the_host_s_row_and_lines():
    from ansible_collections.gpuhost.provision.plugins.filter.site import site_host
    assert SiteFilters().filters()["site_host"] is site_host
    driver = dict(DRIVER, check={"installed_version": "535.261.03", "reboot_required": True})
    host = site_host(driver, nvidia=NVIDIA, persistenced=PERSISTENCED, decision={"action": "skipped-never"},
                     roles={"mps": {"summary": " unit written "}, "gpu_state": {}})
    assert host["row"] == {"changed": True, "driver": "535.261.03", "gpus": "2/2", "reboot": "skipped-never",
                           "changes": "installed 2 packages, held 2, unmasked nvidia-persistenced.service, unit "
                                      "written, user created"}
    assert "| mps: unit written |" in host["detail"] and "gpu_state" not in host["detail"]
    assert host["summary"] == host_summary(driver, nvidia=NVIDIA, persistenced=PERSISTENCED,
                                           decision={"action": "skipped-never"}, roles={"mps": "unit written"})


@pytest.mark.parametrize("driver,nvidia,decision,row", [
    ({}, {"gpu_count": 0, "pci_devices": []}, {},
     {"changed": False, "driver": "-", "gpus": "0/0", "reboot": "-", "changes": "nothing"}),
    ({"check": {"driver_version": "", "reboot_required": False}}, {"gpu_count": 1, "pci_devices": [{}],
                                                                   "driver_version": "580.159.04"}, {},
     {"changed": False, "driver": "580.159.04", "gpus": "1/1", "reboot": "no", "changes": "nothing"}),
    ({"check": {"reboot_required": True}}, {"gpu_count": 0, "pci_devices": [{}]}, {},
     {"changed": False, "driver": "none", "gpus": "0/1", "reboot": "not decided", "changes": "nothing"}),
])
def test_the_row_without_a_driver_or_a_decision(driver, nvidia, decision, row):
    from ansible_collections.gpuhost.provision.plugins.module_utils._site import site_row
    assert site_row(driver, nvidia, decision) == row

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml's first play (every input of every enabled role, every host, before any change), table-driven.

Each case runs the real playbook with ansible-playbook. The hosts are addresses from TEST-NET-1 (RFC 5737)
that nothing answers: the input play runs on the controller only, so a case in which every host is held back
never tries to connect, and a connection attempt would show up as an unreachable host and fail the case.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
GOOD = {"nvidia_driver_cuda_version": "12.2"}


def run_site(tmp_path: pathlib.Path, hosts: dict, extra: dict | None = None, tags: str | None = None,
             limit: str | None = None):
    inventory = {"gpu_nodes": {"hosts": {name: {"ansible_host": f"192.0.2.{i + 1}", **hv}
                                         for i, (name, hv) in enumerate(hosts.items())}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
           "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.tree", "ANSIBLE_CALLBACK_TREE_DIR": str(tmp_path / "tree"),
           "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_TIMEOUT": "2"}
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inv.yml"),
            str(ROOT / "playbooks" / "site.yml")]
    if extra:
        argv += ["-e", json.dumps(extra)]
    if tags:
        argv += ["--tags", tags]
    if limit:
        argv += ["--limit", limit]
    run = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    # last result per host: the reason each host failed with, and the fleet table (localhost)
    results = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "tree").iterdir()}
    return run, results


def table_row(results, host):
    return next(row for row in results["localhost"]["msg"] if row.startswith(host + " | "))


CASES = {
    "argument spec, one line for all errors": (
        {"n1": {**GOOD, "nvidia_driver_reboot": "sometimes", "nvidia_driver_hold": "maybe"}}, None,
        {"n1": "input: role nvidia_driver: argument 'nvidia_driver_hold' is of type str and we were unable to convert "
               "to bool"},
        {"n1": "value of nvidia_driver_reboot must be one of: auto, never, got: sometimes (see "
               "ansible-doc -t role gpuhost.provision.nvidia_driver)"}),
    "a role's own input check": (
        {"n1": {**GOOD, "persistenced_user": "root; touch pwned"}}, None,
        {"n1": 'input: persistenced_user "root; touch pwned" is not a valid user name'}, {}),
    "an optional role's input check, the others held back": (
        {"n1": GOOD, "n2": {**GOOD, "gpu_state_settings": [{"gpus": "all", "power_limit_w": -5}]}}, None,
        {"n1": "not changed: bad input on n2; fix it, or set gpuhost_stop_on_bad_input: false",
         "n2": "input: gpu_state_settings entry 1: power_limit_w must be a positive number of watts, got -5"}, {}),
    "two bad hosts, named in the inventory's order on the host held back": (
        {"n1": {"nvidia_driver_cuda_version": "13.5"}, "n2": {**GOOD, "nvidia_driver_hold": "maybe"}, "n3": GOOD},
        None, {"n3": "not changed: bad input on n1, n2; fix it"}, {}),
    "a typo refused with gpuhost_unknown_variables fail": (
        {"n1": {**GOOD, "nvidia_driver_cuda_verison": "12.4", "gpu_state_aply": True, "gpuhost_serail": 1}},
        {"gpuhost_unknown_variables": "fail"},
        {"n1": "input: unknown variable(s) gpu_state_aply, gpuhost_serail, nvidia_driver_cuda_verison: no role of "
               "gpuhost.provision knows them (a typo?)"}, {}),
    "a CUDA release the table does not know, the other host held back": (
        {"n1": GOOD, "n2": {"nvidia_driver_cuda_version": "13.5"}}, None,
        {"n1": "not changed: bad input on n2",
         "n2": "input: CUDA 13.5 is not a CUDA release in the table (read 2026-12; known 13.x releases: 13.0, 13.1, "
               "13.2, 13.3, 13.4)"}, {}),
    "a bad entry of the CUDA table extension": (
        {"n1": {"nvidia_driver_cuda_version": "13.6", "nvidia_driver_cuda_table": {"13.6": "63x"}}}, None,
        {"n1": "input: cuda_table entry '13.6': '63x' is not a driver version or branch"}, {}),
    "an unquoted CUDA version (YAML reads 12.10 as the number 12.1)": (
        {"n1": {"nvidia_driver_cuda_version": 12.10}}, None,
        {"n1": 'input: nvidia_driver_cuda_version must be a quoted string: YAML read it as the number 12.1 (an '
               'unquoted 12.10 becomes 12.1); write nvidia_driver_cuda_version: "12.1"'}, {}),
    "a value of the wrong type, in plain words (no Python class names)": (
        {"n1": {**GOOD, "gpu_state_settings": [{"gpus": "all", "power_limit_w": "lots"}]}}, None,
        {"n1": "input: role gpu_state: argument 'power_limit_w' is of type str found in 'gpu_state_settings'. and we "
               "were unable to convert to float: str cannot be converted to a float (see ansible-doc -t role "
               "gpuhost.provision.gpu_state)"}, {}),
    "a kernel module parameter that cannot be written into modprobe.d": (
        {"n1": {**GOOD, "nvidia_driver_module_params": {"NVreg_RegistryDwords": 'a"b'}}}, None,
        {"n1": "input: nvidia_driver_module_params: NVreg_RegistryDwords must be a number, a boolean or a non-empty "
               "string without double quotes or newlines"}, {}),
    "a site's own repository without its key": (
        {"n1": {**GOOD, "nvidia_driver_source": "mirror", "nvidia_driver_apt_repo": {"url": "http://192.0.2.9/debian"}}},
        None, {"n1": "input: nvidia_driver_source: mirror needs nvidia_driver_apt_repo with url and key_url"}, {}),
    "a package flavour the role does not know": (
        {"n1": {**GOOD, "nvidia_driver_package_flavour": "desktop"}}, None,
        {"n1": "input: role nvidia_driver: value of nvidia_driver_package_flavour must be one of: compute, full, got: "
               "desktop (see ansible-doc -t role gpuhost.provision.nvidia_driver)"}, {}),
    "half a Machine Owner Key": (
        {"n1": {**GOOD, "nvidia_driver_mok_key": "/root/mok.key"}}, None,
        {"n1": "input: Set both nvidia_driver_mok_key (the private key) and nvidia_driver_mok_cert"}, {}),
    "a bad value of gpuhost_unknown_variables": (
        {"n1": GOOD}, {"gpuhost_unknown_variables": "loud"},
        {"n1": 'input: gpuhost_unknown_variables "loud" is not one of warn, fail, ignore'}, {}),
    "a typo only warned (default), with the held-back host's row naming it": (
        {"n1": {**GOOD, "nvidia_driver_cuda_verison": "12.4", "mps_gpu": [0]},
         "n2": {**GOOD, "mps_gpus": "all", "mps_default_active_thread_percentage": 0}}, None,
        {"n1": "not changed: bad input on n2", "n2": "input: mps_default_active_thread_percentage 0 is outside 1-100"},
        {"n1": "unknown variables: mps_gpu, nvidia_driver_cuda_verison"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_inputs_are_refused_before_any_host_is_contacted(tmp_path, case):
    hosts, extra, reasons, in_row = CASES[case]
    run, results = run_site(tmp_path, hosts, extra)
    assert run.returncode == 2, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout and "Resolve the driver" not in run.stdout, run.stdout[-3000:]
    for host, reason in reasons.items():
        row = table_row(results, host)
        assert " | FAILED | " in row and " | - | " + reason in row, row
        assert "\n" not in row and "<class" not in row, row
        # the last play fails the host; a refused input's reason is not printed a third time there
        last = results[host]["msg"]
        assert last == "input: failed, see the fleet table above" if reason.startswith("input: ") \
            else last.startswith(reason), last
    for host, text in in_row.items():
        assert text in table_row(results, host)
    assert results["localhost"]["msg"][-1] == f"{len(hosts)} host(s): 0 done, {len(hosts)} failed or not run"
    # nothing changed anywhere, and the recap says so (the group that holds the refused hosts is bookkeeping)
    recap = [line for line in run.stdout.split("PLAY RECAP")[-1].splitlines() if " : ok=" in line]
    assert recap and all(" changed=0 " in line for line in recap), recap


def test_a_typo_is_warned_once_by_name(tmp_path):
    hosts, extra, _reasons, _in_row = CASES["a typo only warned (default), with the held-back host's row naming it"]
    run, _results = run_site(tmp_path, hosts, extra)
    said = (run.stdout + run.stderr).replace("\n", " ")
    warning = "n1: unknown variable(s) mps_gpu, nvidia_driver_cuda_verison: no role of gpuhost.provision knows them"
    assert said.count(warning) == 1, said[-3000:]


def test_known_names_and_role_outputs_are_not_taken_for_typos(tmp_path):
    # every option of every role's spec, site.yml's own variables and the roles' output facts
    names = {"gpuhost_serial": 1, "nvidia_driver_report": {}, "persistenced_report": {},
             "k8s_gpu_sharing_configs": [], "container_toolkit_version": "", "persistenced_user": "root; x"}
    run, results = run_site(tmp_path, {"n1": {**GOOD, **names}}, {"gpuhost_unknown_variables": "fail"})
    # refused for the bad user name (a role's own check), not for an unknown variable
    assert ' | input: persistenced_user "root; x" is not a valid user name' in table_row(results, "n1")


def test_inputs_are_checked_also_when_tags_select_one_section(tmp_path):
    # The roles skip their own checks (and argument specs) in site.yml because the input play ran them: that play,
    # the end of a refused host and the last play's failure must therefore run whatever --tags selects.
    run, results = run_site(tmp_path, {"n1": {**GOOD, "nvidia_driver_hold": "maybe"}}, tags="nvidia_driver_hold")
    assert run.returncode == 2, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    assert " | input: role nvidia_driver: argument 'nvidia_driver_hold' is of type str" in table_row(results, "n1")
    assert results["n1"]["msg"] == "input: failed, see the fleet table above", results["n1"]


# The rollout guard. Each host passes the input play and then fails in the provisioning play at its first module: a
# local connection whose Python is /bin/false cannot run a module, so the host is rescued with a reason and nothing
# runs anywhere. One host per batch: the guard decides after each one.
FAILING = {**GOOD, "ansible_connection": "local", "ansible_python_interpreter": "/bin/false"}
# what an AWX launch of the site template sends with every question left empty
SURVEY_EMPTY = {"gpuhost_launch_serial": "", "gpuhost_launch_max_fail_percentage": "",
                "gpuhost_launch_cuda_version": "", "gpuhost_launch_reboot": ""}
NOT_RUN = "not run: unreachable, or stopped by the rollout guard"


@pytest.mark.parametrize(("inventory", "launch", "attempted"), [
    ({}, "", 3),                                       # neither set: 100, never stops
    ({"gpuhost_max_fail_percentage": 0}, "", 1),       # an empty answer keeps the template's/inventory's 0
    ({"gpuhost_max_fail_percentage": 0}, "100", 3),    # an answer wins for this launch
    ({}, "0", 1),
], ids=["default-never", "empty-keeps-0", "answer-100-wins", "answer-0"])
def test_rollout_guard_keeps_the_inventory_value_for_an_empty_answer(tmp_path, inventory, launch, attempted):
    hosts = {f"n{i}": FAILING for i in (1, 2, 3)}
    extra = {**SURVEY_EMPTY, "gpuhost_serial": 1, **inventory, "gpuhost_launch_max_fail_percentage": launch}
    run, results = run_site(tmp_path, hosts, extra)
    assert run.returncode == 2, run.stdout[-3000:]
    rows = [table_row(results, h) for h in hosts]
    assert [NOT_RUN not in r for r in rows] == [True] * attempted + [False] * (3 - attempted), rows
    assert all(" | FAILED | " in r for r in rows), rows
    # a module that returned nothing reads as unreachable, not as a deserialization error
    assert "| Resolve the driver and check that the package sources can satisfy it: unreachable: no result came back " \
           "from the host during this task (rc 1, no output)" in rows[0], rows


def test_the_fleet_table_is_printed_under_limit(tmp_path):
    # localhost is outside --limit n1,n2: the table is printed from the limited hosts, for them only
    hosts = {"n1": {**GOOD, "nvidia_driver_hold": "maybe"}, "n2": GOOD, "n3": GOOD}
    run = run_site(tmp_path, hosts, limit="n1,n2")[0]
    assert run.returncode == 2, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    # the held-back hosts are not provisioned (that play matches no host), the table play runs on the limited hosts
    fleet = run.stdout.split("PLAY [Fleet table]")[1]
    assert "no hosts matched" not in fleet.split("PLAY [")[0], fleet
    table = json.loads(run.stdout.split("TASK [Show every targeted host with its result]")[1]
                       .split("=> ", 1)[1].split("\n\nPLAY ")[0])["msg"]
    assert table[0].startswith("host | result | driver | GPUs nvml/pci | "), table
    assert [row.split(" | ")[:2] for row in table[1:3]] == [["n1", "FAILED"], ["n2", "FAILED"]], table
    assert "input: role nvidia_driver: argument 'nvidia_driver_hold'" in table[1], table
    assert table[3:] == ["2 host(s): 0 done, 2 failed or not run"], table


def test_a_survey_answer_stands_in_for_the_inventory_value_on_every_host(tmp_path):
    # one task applies the launch's answers to every host (not only to the one it runs for): each host's own input
    # check then sees the answer, not its inventory value
    hosts = {f"n{i}": {**GOOD, "nvidia_driver_reboot": "never"} for i in (1, 2, 3)}
    run, results = run_site(tmp_path, hosts, {**SURVEY_EMPTY, "gpuhost_launch_reboot": "sometimes"})
    assert run.returncode == 2, run.stdout[-3000:]
    for host in hosts:
        row = table_row(results, host)
        assert " | FAILED | " in row and "nvidia_driver_reboot must be one of" in row and "got: sometimes" in row, row
    # an empty answer keeps the inventory's value: the same hosts pass their input checks (and fail at their first
    # module, which a local connection to /bin/false cannot run)
    (tmp_path / "empty").mkdir()
    hosts = {host: {**FAILING, **values} for host, values in hosts.items()}
    run, results = run_site(tmp_path / "empty", hosts, SURVEY_EMPTY)
    assert all("input:" not in table_row(results, host) for host in hosts), [table_row(results, h) for h in hosts]

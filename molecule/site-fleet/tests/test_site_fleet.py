# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml on three hosts: node3 failed its pre-flight, node1 and node2 were provisioned; the output says so."""
from __future__ import annotations

import os
import re

import pytest

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts


@pytest.fixture(scope="module")
def output():
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "site-fleet.out"), encoding="utf-8") as f:
        return f.read()


def node(host) -> str:
    return host.backend.name.rsplit("-", 1)[-1]


def test_provisioned_or_untouched(host):
    driver = host.run("dpkg-query -W -f='${db:Status-Abbrev}' nvidia-driver")
    unit = host.file("/etc/systemd/system/nvidia-persistenced.service")
    if node(host) == "node3":
        # failed in its pre-flight: nothing installed, no unit, no user
        assert driver.rc != 0 or not driver.stdout.startswith("ii"), driver.stdout
        assert not unit.exists
        assert not host.user("nvidia-persistenced").exists
    else:
        assert driver.stdout.strip() == "hi", driver.stdout  # installed and held
        assert unit.exists and "--user nvidia-persistenced" in unit.content_string
        assert host.run("systemctl is-enabled nvidia-persistenced.service").stdout.strip() == "enabled"
    # the bad input of the refused run never reached a shell
    assert not host.file("/pwned").exists


def test_fleet_table_lists_every_host_with_result_and_reason(host, output):
    rows = {m.group(1): m.group(0) for m in re.finditer(r'"(gpuhost-site-fleet-node\d) \| [^"]*"', output)}
    row = rows[host.backend.name]
    if node(host) == "node3":
        assert " | FAILED | " in row
        assert "CUDA 12.8 (toolkit compatibility) needs driver >= 570.26" in row
    else:
        assert " | changed | 535." in row
    # the typo in the group variables is named for every host
    assert "unknown variables: nvidia_driver_cuda_verison" in row
    assert '"3 host(s): 2 done, 1 failed or not run"' in output


def test_one_summary_line_per_provisioned_host_and_the_failure_once_as_one_line(host, output):
    name = host.backend.name
    summaries = re.findall(r'ok: \[%s\] => \{\n    "msg": "driver [^"\n]*"' % re.escape(name), output)
    # each failure's msg, whether the callback prints the result on one line or indented
    failures = re.findall(r'fatal: \[%s\]: FAILED! => \{[^{}]*?"msg": "((?:[^"\\\n]|\\.)*)"' % re.escape(name), output)
    if node(host) == "node3":
        assert not summaries
        # the pre-flight's own failure, then the last play's one-line reason naming the task
        assert failures[-1].startswith("Refuse a driver that the package sources cannot satisfy: "), failures
        # the refusal prints its reason, not the plan's whole result (candidates, packages, PCI devices)
        assert '"best_candidate"' not in output and '"pci_devices"' not in output
    else:
        assert len(summaries) == 1, summaries
        assert not failures


def test_bad_inputs_were_refused_for_their_reasons_before_any_change(host):
    # side_effect ran bad_input.yml for real; check_zero_change.yml proved with podman diff that no host changed
    # and kept the output: every host failed in the input play, for these reasons, and none was provisioned.
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "zero-change.out"), encoding="utf-8") as f:
        out = f.read()
    rows = {m.group(1): m.group(0) for m in re.finditer(r'"(gpuhost-site-fleet-node\d) \| [^\n]*', out)}
    row = rows[host.backend.name]
    assert " | FAILED | " in row, row
    expected = {
        "node1": 'input: persistenced_user \\"root; touch /pwned\\" is not a valid user name',
        "node2": "input: gpu_state_settings entry 1: power_limit_w must be a positive number of watts, got -5",
        "node3": "not changed: bad input on gpuhost-site-fleet-node1, gpuhost-site-fleet-node2",
    }[node(host)]
    assert expected in row, row
    # no host was even contacted: the driver's pre-flight is the first task that connects
    assert "PLAY [Provision NVIDIA GPU hosts]" in out and "Resolve the driver" not in out

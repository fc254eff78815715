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


@pytest.fixture(scope="module")
def tags_output():
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "site-fleet-tags.out"), encoding="utf-8") as f:
        return f.read()


def test_provisioned_or_untouched(host):
    driver = host.run("dpkg-query -W -f='${db:Status-Abbrev}' libcuda1")  # the compute set's (the default)
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
        # the pre-flight's own failure, then the last play's line naming the task and pointing at the fleet table
        assert failures[-1].startswith("Refuse a driver that the package sources cannot satisfy: "), failures
        # the refusal prints its reason, not the plan's whole result (candidates, packages, PCI devices)
        assert '"best_candidate"' not in output and '"pci_devices"' not in output
    else:
        assert len(summaries) == 1, summaries
        assert not failures


def test_node2_was_provisioned_over_ssh_as_an_operator_with_sudo(host):
    # converge reached node2 at 127.0.0.1:22022 (inventory/ssh.yml); its own logs say who came and what ran as root
    if node(host) != "node2":
        pytest.skip("only node2 is reached over SSH")
    sshd = host.run("journalctl --no-pager -o cat -u ssh.service")
    assert re.search(r"Accepted publickey for fleetops from \S+ port \d+ ssh", sshd.stdout), sshd.stdout[-2000:]
    sudo = host.run("journalctl --no-pager -o cat _COMM=sudo")
    # ansible's become: every privileged task went through sudo from the operator account
    become = re.findall(r"fleetops : .*USER=root ; COMMAND=/bin/sh -c '?echo BECOME-SUCCESS-", sudo.stdout)
    assert len(become) >= 5, sudo.stdout[-2000:]
    # its fleet row is checked with the other hosts' in test_fleet_table_lists_every_host_with_result_and_reason


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


def test_tags_run_the_sections_with_their_preflight_and_keep_the_fleet_output(host, output, tags_output):
    # the second run: site.yml --tags nvidia_driver_hold,persistenced_verify on the converged fleet
    rows = {m.group(1): m.group(0) for m in re.finditer(r'"(gpuhost-site-fleet-node\d) \| [^"]*"', tags_output)}
    row = rows[host.backend.name]
    summaries = re.findall(r'ok: \[%s\] => \{\n    "msg": "(only --tags [^"\n]*)"' % re.escape(host.backend.name),
                           tags_output)
    if node(host) == "node3":
        # refused again by its pre-flight (which the tags selected), and recorded although no rescue tag was named
        assert " | FAILED | " in row and "CUDA 12.8 (toolkit compatibility) needs driver >= 570.26" in row, row
        assert not summaries
    else:
        # nothing changed; the reboot column is "not decided" where the reboot section (not named) would decide
        assert re.search(r" \| ok \| 535\.[0-9.]+ \| 0/0 \| (no|not decided) \| nothing(;|\"$)", row), row
        assert len(summaries) == 1, summaries
        assert re.match(r"only --tags (nvidia_driver_hold,persistenced_verify|persistenced_verify,nvidia_driver_hold)"
                        r" \| driver 535\.", summaries[0]), summaries
        # the persistenced part comes from its verify section, which the tags named; a run that changed nothing says so
        assert " | persistenced waits for a GPU | nothing changed" in summaries[0], summaries
        assert len(summaries[0]) <= 200, summaries
    assert '"3 host(s): 2 done, 1 failed or not run"' in tags_output
    # the pre-flights ran, sections that were not named did not
    assert "TASK [gpuhost.provision.nvidia_driver : Resolve the driver" in tags_output
    assert "TASK [gpuhost.provision.persistenced : Read the program, unit, user" in tags_output
    # sections the tags did not name: their task banners are in the full run's output, not in this one
    for task in ("gpuhost.provision.nvidia_driver : Blacklist nouveau", "gpuhost.provision.persistenced : Daemon unit",
                 "gpuhost.provision.persistenced : Daemon user", "gpuhost.provision.nvidia_driver : Decide about the reboot"):
        assert f"TASK [{task}]" in output and f"TASK [{task}]" not in tags_output, task

# SPDX-License-Identifier: GPL-3.0-or-later
"""Pin, upgrade and roll back Debian 12's real driver packages on the host gpuhost-day2-debian12:
535.261.03 (bookworm non-free) -> 535.309.01 (bookworm-security) -> 535.261.03, with dpkg-query versions,
`apt-mark showhold` and the local fact checked after each step, check mode changing nothing and each step idempotent.
Converge pins 535.261.03 on the fresh host (its host_vars); the steps below run in this order."""
from __future__ import annotations

import json

import molecule_hosts
import playbook_run

testinfra_hosts = [h for h in molecule_hosts.testinfra_hosts if h.endswith("-day2-debian12")]
OLD, NEW = "535.261.03", "535.309.01"
LIMIT = {"gpuhost_targets": "gpuhost-day2-debian12"}


def _state(host):
    held = sorted(set(host.run("apt-mark showhold").stdout.split()))
    fact = json.loads(host.file("/etc/ansible/facts.d/gpuhost.fact").content_string)["driver"]
    names = sorted(set(held) | set(fact["packages"]))
    listed = host.run("dpkg-query -W -f='${Package}\\t${Version}\\t${db:Status-Abbrev}\\t${source:Package}\\n' "
                      + " ".join(names))
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    # the packages built from the driver's source package (nvidia-graphics-drivers); others such as
    # nvidia-persistenced or nvidia-modprobe have versions of their own
    versions = dict((f[0], f[1]) for f in rows if len(f) == 4 and f[2][1:2] == "i" and f[3] == "nvidia-graphics-drivers")
    return versions, set(held), fact


def _assert_at(host, version, previous):
    versions, held, fact = _state(host)
    # the driver's whole set at one version (apt never mixed them), all held, as the fact records
    assert versions and {v.split("-")[0] for v in versions.values()} == {version}, versions
    assert {"nvidia-driver", "nvidia-driver-libs", "nvidia-driver-bin", "nvidia-alternative"} <= held, held
    assert fact["version"] == version and fact["previous_version"] == previous, fact
    assert fact["packages"]["nvidia-driver"] == versions["nvidia-driver"], (fact, versions)
    line = "dpkg-query nvidia-driver %s | held %d: %s | fact %s"
    print(line % (versions["nvidia-driver"], len(held), " ".join(sorted(held)), json.dumps(fact)))


def _run(playbook, extra=None, check=False):
    run, changed = playbook_run.run_and_diff(playbook, dict(LIMIT, **(extra or {})), check=check)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    table = [line.strip() for line in run.stdout.splitlines() if "gpuhost-day2-debian12 |" in line]
    return run, changed, table


def test_1_pinned_on_a_fresh_host(host):
    _assert_at(host, OLD, None)


def test_2_check_mode_of_the_upgrade_changes_nothing_and_names_it(host):
    _run_out, changed, table = _run("playbooks/driver_change.yml", {"nvidia_driver_version": NEW}, check=True)
    assert changed == [], changed
    assert any("would change | %s -> %s" % (OLD, NEW) in row for row in table), table
    _assert_at(host, OLD, None)


def test_3_upgrade_then_idempotent(host):
    _run_out, _changed, table = _run("playbooks/driver_change.yml", {"nvidia_driver_version": NEW})
    assert any("| changed | %s -> %s |" % (OLD, NEW) in row for row in table), table
    _assert_at(host, NEW, OLD)
    _run_out, changed, table = _run("playbooks/driver_change.yml", {"nvidia_driver_version": NEW})
    assert changed == [] and any("| ok | %s |" % NEW in row for row in table), (changed, table)
    _assert_at(host, NEW, OLD)


def test_4_rollback_then_idempotent(host):
    _run_out, _changed, table = _run("playbooks/driver_rollback.yml")
    assert any("| changed | %s -> %s |" % (NEW, OLD) in row for row in table), table
    _assert_at(host, OLD, NEW)
    _run_out, changed, _table = _run("playbooks/driver_change.yml", {"nvidia_driver_version": OLD})
    assert changed == [], changed
    _assert_at(host, OLD, NEW)

# SPDX-License-Identifier: GPL-3.0-or-later
"""Driver changes on a real Slurm node: a running job holds the change, the node is resumed only after validation; a
job that outlasts the drain timeout leaves the node drained with its reason and the driver untouched."""
from __future__ import annotations

import datetime
import json
import re
import time

import molecule_hosts
import playbook_run

testinfra_hosts = [h for h in molecule_hosts.testinfra_hosts if h.endswith("-day2-slurm")]
NODE = "gpuhost-day2-slurm"
REASON = "gpuhost.provision driver change"


def _driver(host):
    return host.run("dpkg-query -W -f='${Version}' nvidia-driver").stdout.strip()


def _node(host):
    state, _sep, reason = host.run("sinfo -h -N -n %s -o '%%T|%%E'" % NODE).stdout.strip().partition("|")
    return state, reason


def _fact(host):
    return json.loads(host.file("/etc/ansible/facts.d/gpuhost.fact").content_string)


def _slurm_time(line):
    return datetime.datetime.strptime(re.match(r"\[([0-9T:.-]+)\]", line).group(1)[:19], "%Y-%m-%dT%H:%M:%S")


def test_the_driver_is_installed_held_and_recorded(host):
    version = _driver(host)
    assert version.startswith("535."), version
    held = host.run("apt-mark showhold").stdout.split()
    assert "nvidia-driver" in held, held
    driver = _fact(host)["driver"]
    assert driver["version"] == version.split("-")[0] and driver["previous_version"] is None
    assert driver["packages"]["nvidia-driver"] == version
    print("dpkg-query nvidia-driver:", version, "| held:", " ".join(sorted(held)), "| fact:", json.dumps(driver))


def test_the_job_held_the_change_and_the_node_was_resumed_after_it(host):
    log = host.file("/var/log/slurm/slurmctld.log").content_string.splitlines()
    drained = [line for line in log if re.search(r"update_node: node %s reason set to: %s" % (NODE, REASON), line)]
    done = [line for line in log if re.search(r"_job_complete: JobId=1 done", line)]
    resumed = [line for line in log if re.search(r"update_node: node %s state set to IDLE" % NODE, line)]
    assert drained and done and resumed, "\n".join(log[-40:])
    installed = [line for line in host.file("/var/log/dpkg.log").content_string.splitlines()
                 if re.search(r" install nvidia-driver:amd64 ", line)]
    assert installed
    install_time = datetime.datetime.strptime(installed[0][:19], "%Y-%m-%d %H:%M:%S")
    # drain -> the job ends -> the packages change -> resume
    assert _slurm_time(drained[0]) <= _slurm_time(done[0]) <= install_time <= _slurm_time(resumed[-1])
    print("drain:", drained[0], "| job done:", done[0], "| installed:", installed[0], "| resume:", resumed[-1])
    state, reason = _node(host)
    assert not state.startswith("drain") and reason in ("", "none"), (state, reason)


def test_a_job_outlasting_the_timeout_leaves_the_node_drained_and_the_driver_untouched(host):
    before, fact_before = _driver(host), host.file("/etc/ansible/facts.d/gpuhost.fact").content_string
    other = "535.261.03" if before.startswith("535.309.01") else "535.309.01"
    job = host.run("sbatch --parsable --job-name=day2-long --wrap 'sleep 600'")
    assert job.rc == 0, job.stderr
    try:
        deadline = time.monotonic() + 30
        while not host.run("squeue -h -j %s -t RUNNING -o %%i" % job.stdout.strip()).stdout.strip():
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(1)
        run, changed = playbook_run.run_and_diff("playbooks/driver_change.yml", {
            "nvidia_driver_version": other, "gpuhost_workload_drain_timeout": 12, "gpuhost_targets": NODE})
        assert run.rc != 0
        row = [line for line in run.stdout.splitlines() if NODE + " | FAILED |" in line]
        assert row and "slurm: left drained" in row[0], run.stdout[-3000:]
        assert re.search(r"still runs \d+ job\(s\) after 1[2-9] s: .*%s \(day2-long, root\)" % job.stdout.strip(), row[0])
        assert "the driver was not changed" in row[0] and "gpuhost_workload_drain_timeout" in row[0]
        state, reason = _node(host)
        assert state == "draining" and reason == REASON, (state, reason)
        assert _driver(host) == before
        assert host.file("/etc/ansible/facts.d/gpuhost.fact").content_string == fact_before
        # only Slurm's own state and logs moved (ignored by the scenario's zero-change list)
        assert [c for c in changed if "/etc/" in c or "/var/lib/dpkg" in c or "/usr/" in c] == [], changed
        print("fleet table:", row[0].strip(), "| sinfo:", state, reason)
    finally:
        host.run("scancel %s" % job.stdout.strip())
        host.run("scancel --name=day2-hold")
        host.run("scontrol update nodename=%s state=resume" % NODE)

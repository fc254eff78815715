# SPDX-License-Identifier: GPL-3.0-or-later
"""Driver changes on Debian 12's real packages and a real Slurm node, one host, in this order:
converge pinned 535.261.03 (bookworm non-free) on the fresh host while a job ran (drain, wait, change, validate,
resume); then the upgrade in check mode, the upgrade to 535.309.01 (bookworm-security), a second run, the rollback
with driver_rollback.yml, a second run; a job that outlasts the drain timeout; a change whose validation fails; an
upgrade whose controller is killed while apt runs, and the run after it.
After each step: dpkg-query versions of the driver's packages, `apt-mark showhold`, the local fact, the node's state.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import time

import molecule_hosts
import playbook_run

testinfra_hosts = molecule_hosts.testinfra_hosts
NODE = "gpuhost-day2-debian12"
OLD, NEW = "535.261.03", "535.309.01"
REASON = "gpuhost.provision driver change"
FACT = "/etc/ansible/facts.d/gpuhost.fact"
# the compute set's packages at the driver's version (the role's default nvidia_driver_package_flavour)
PRIMARY = "libcuda1"
DRIVER_SET = {"libcuda1", "nvidia-kernel-dkms", "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1", "nvidia-alternative"}


def _state(host):
    held = sorted(set(host.run("apt-mark showhold").stdout.split()))
    fact = json.loads(host.file(FACT).content_string)["driver"]
    names = sorted(set(held) | set(fact["packages"]))
    listed = host.run("dpkg-query -W -f='${Package}\\t${Version}\\t${db:Status-Abbrev}\\t${source:Package}\\n' "
                      + " ".join(names))
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    # the packages built from the driver's source package (nvidia-graphics-drivers); others such as
    # nvidia-persistenced or nvidia-modprobe have versions of their own
    versions = {f[0]: f[1] for f in rows if len(f) == 4 and f[2][1:2] == "i" and f[3] == "nvidia-graphics-drivers"}
    return versions, set(held), fact


def _assert_at(host, version, previous):
    versions, held, fact = _state(host)
    # the driver's whole set at one version (apt never mixed them), all held, as the fact records
    assert versions and {v.split("-")[0] for v in versions.values()} == {version}, versions
    assert DRIVER_SET <= held, held
    assert set(versions) <= held, (versions, held)
    assert fact["version"] == version and fact["previous_version"] == previous, fact
    assert fact["packages"][PRIMARY] == versions[PRIMARY], (fact, versions)
    assert "nvidia-driver" not in versions, versions  # the compute set: no X driver metapackage
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", fact["changed_at"]), fact
    print("dpkg-query %s %s (%d packages of nvidia-graphics-drivers) | held %d: %s | fact %s"
          % (PRIMARY, versions[PRIMARY], len(versions), len(held), " ".join(sorted(held)), json.dumps(fact)))
    return fact


def _node(host, settle=120):
    """The node's state and reason as sinfo shows them. A state ending in '*' (slurmctld has not heard from slurmd
    lately: on a loaded test machine, after a package install) is read again until slurmctld's next ping clears it
    (every SlurmdTimeout/3, 100 s by default), at most `settle` seconds; the state itself is what the test asserts."""
    deadline = time.monotonic() + settle
    while True:
        state, _sep, reason = host.run("sinfo -h -N -n %s -o '%%T|%%E'" % NODE).stdout.strip().partition("|")
        if not state.endswith("*") or time.monotonic() >= deadline:
            return state, reason
        time.sleep(2)


def _run(playbook, extra=None, check=False, rc=0):
    run, changed = playbook_run.run_and_diff(playbook, extra, check=check)
    assert run.returncode == rc, run.stdout[-4000:] + run.stderr[-2000:]
    rows = [line.strip() for line in run.stdout.splitlines() if NODE + " |" in line]
    assert rows, run.stdout[-3000:]
    mode = " --check" if check else ""
    print("%s %s%s: rc %d | %s | changed paths: %s"
          % (playbook, json.dumps(extra or {}), mode, run.returncode, rows[-1][:600], changed))
    return run, changed, rows[-1]


def _slurm_time(line):
    return datetime.datetime.strptime(re.match(r"\[([0-9T:.-]+)\]", line).group(1)[:19], "%Y-%m-%dT%H:%M:%S")


def _dpkg_log(host):
    return host.file("/var/log/dpkg.log").content_string.splitlines()


def test_1_pinned_on_a_fresh_host_after_the_running_job_ended(host):
    fact = _assert_at(host, OLD, None)
    log = host.file("/var/log/slurm/slurmctld.log").content_string.splitlines()
    started = [line for line in log if re.search(r"(Allocate|Started) JobId=1 ", line)]
    drained = [line for line in log if re.search(r"update_node: node %s reason set to: %s" % (NODE, REASON), line)]
    done = [line for line in log if re.search(r"_job_complete: JobId=1 done", line)]
    resumed = [line for line in log if re.search(r"update_node: node %s state set to IDLE" % NODE, line)]
    assert started and drained and done and resumed, "\n".join(log[-40:])
    installed = [line for line in _dpkg_log(host) if re.search(r" install %s:amd64 <none> %s" % (PRIMARY, OLD), line)]
    assert installed, "%s was not installed by converge" % PRIMARY
    install_time = datetime.datetime.strptime(installed[0][:19], "%Y-%m-%d %H:%M:%S")
    changed_at = datetime.datetime.strptime(fact["changed_at"], "%Y-%m-%dT%H:%M:%SZ")
    # the job runs -> drain -> the job ends (5 s after it saw the drain) -> the packages change -> resume
    assert _slurm_time(started[0]) <= _slurm_time(drained[0]) < _slurm_time(done[0]) <= install_time
    assert install_time <= _slurm_time(resumed[0]) and changed_at <= _slurm_time(resumed[0])
    print("job started:", started[0], "| drain:", drained[0], "| job done:", done[0], "| installed:", installed[0],
          "| resumed:", resumed[0])
    state, reason = _node(host)
    assert state == "idle" and reason in ("", "none"), (state, reason)


def test_2_check_mode_of_the_upgrade_changes_nothing_and_names_it(host):
    _run_out, changed, row = _run("playbooks/driver_change.yml", {"nvidia_driver_version": NEW}, check=True)
    assert changed == [], changed
    assert "| would change | %s -> %s |" % (OLD, NEW) in row, row
    assert "slurm: would drain, then resume" in row and "drained, then resumed" not in row, row
    _assert_at(host, OLD, None)
    assert _node(host)[0] == "idle"


def _change_then_again(host, playbook, extra, before, after):
    """A change from `before` to `after` (drained, then resumed), then driver_change.yml at `after`: nothing changes."""
    _run_out, _changed, row = _run(playbook, extra)
    assert "| changed | %s -> %s | slurm: drained, then resumed |" % (before, after) in row, row
    _assert_at(host, after, before)
    assert _node(host)[0] == "idle"
    _run_out, changed, row = _run("playbooks/driver_change.yml", {"nvidia_driver_version": after})
    assert changed == [] and "| ok | %s | - |" % after in row, (changed, row)
    _assert_at(host, after, before)


def test_3_upgrade_then_a_second_run_changes_nothing(host):
    _change_then_again(host, "playbooks/driver_change.yml", {"nvidia_driver_version": NEW}, OLD, NEW)


def test_4_rollback_then_a_second_run_changes_nothing(host):
    _change_then_again(host, "playbooks/driver_rollback.yml", None, NEW, OLD)


def _wait_for(host, command, want, seconds=60):
    deadline = time.monotonic() + seconds
    while (seen := host.run(command).stdout.strip()) != want:
        assert time.monotonic() < deadline, "%s: %r, not %r after %d s" % (command, seen, want, seconds)
        time.sleep(1)


def test_5_a_job_outlasting_the_timeout_leaves_the_node_drained_and_the_driver_untouched(host):
    fact_before = host.file(FACT).content_string
    # a job that runs until the test lets it end (a file), so that it ends as jobs do, not cancelled
    host.run("rm -f /tmp/day2-release")
    job = host.run("sbatch --parsable --job-name=day2-long --wrap "
                   "'for i in $(seq 300); do [ -e /tmp/day2-release ] && break; sleep 1; done'")
    assert job.rc == 0, job.stderr
    job_id = job.stdout.strip()
    try:
        _wait_for(host, "squeue -h -j %s -t RUNNING -o %%i" % job_id, job_id)
        _run_out, changed, row = _run("playbooks/driver_change.yml", {
            "nvidia_driver_version": NEW, "gpuhost_workload_drain_timeout": 6}, rc=2)
        assert "| FAILED | %s | slurm: left drained |" % OLD in row, row
        assert re.search(r"still runs 1 job\(s\) after [6-9] s: .*%s \(day2-long, root\)" % job_id, row), row
        assert "the driver was not changed" in row and "gpuhost_workload_drain_timeout" in row, row
        state, reason = _node(host)
        assert state == "draining" and reason == REASON, (state, reason)
        _assert_at(host, OLD, NEW)
        assert host.file(FACT).content_string == fact_before
        # only Slurm's own state and logs moved (the scenario's gpuhost_zero_change_ignore)
        assert changed == [], changed
        print("sinfo:", state, reason)
    finally:
        host.run("touch /tmp/day2-release")
        _wait_for(host, "squeue -h -o %i", "")
        host.run("scontrol update nodename=%s state=resume" % NODE)
        _wait_for(host, "sinfo -h -N -n %s -o %%T | grep -c ^drain" % NODE, "0")


def test_6_a_failed_validation_puts_the_previous_driver_back_and_the_node_stays_drained(host):
    # validate.yml's CUDA check fails on the new driver: CUDA 12.4 needs a 550 driver, 535.309.01 runs up to 12.2
    assert not _node(host)[0].startswith("drain")
    logged = len(_dpkg_log(host))
    _run_out, _changed, row = _run("playbooks/driver_change.yml", {
        "nvidia_driver_version": NEW, "validate_cuda_version": "12.4"}, rc=2)
    assert "| FAILED | %s | slurm: left drained |" % OLD in row, row
    assert "Fail the hosts that have problems" in row and "CUDA 12.4" in row, row
    assert row.endswith("; rolled back to %s" % OLD) or "; rolled back to %s" % OLD in row, row
    # the packages did change to the new driver, and then back
    changes = [line.split()[3:6] for line in _dpkg_log(host)[logged:] if " upgrade %s:amd64 " % PRIMARY in line]
    assert [c[2].split("-")[0] for c in changes] == [NEW, OLD], changes
    # the fact records the last change: back from the new driver
    _assert_at(host, OLD, NEW)
    state, reason = _node(host)
    assert state.startswith("drain") and reason == REASON, (state, reason)
    print("dpkg.log:", changes, "| sinfo:", state, reason)


def test_7_a_change_whose_controller_is_killed_is_held_and_the_next_run_finishes_it(host):
    # test_6 left the node drained at OLD. The upgrade starts; its controller is killed (SIGKILL, the whole process
    # group) once apt-get runs on the host. The install's job goes on there and holds what it installed; the local
    # fact and the node's resume were still to come.
    argv, env = playbook_run.playbook_command("playbooks/driver_change.yml", {"nvidia_driver_version": NEW})
    controller = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
    try:
        _wait_for(host, "pgrep -c -f '^apt-get install .*[D]Pkg::Lock::Timeout' || true", "1", seconds=300)
    finally:
        os.killpg(controller.pid, signal.SIGKILL)
        controller.wait()
    # the job's shell (apt-get, then apt-mark hold and ldconfig) ends by itself
    _wait_for(host, "pgrep -c -f '[D]Pkg::Lock::Timeout' || true", "0", seconds=300)
    versions, held, fact = _state(host)
    assert {v.split("-")[0] for v in versions.values()} == {NEW}, versions
    assert DRIVER_SET <= held and set(versions) <= held, (versions, held)
    assert fact["version"] == OLD, fact   # the run was killed before the fact
    state, reason = _node(host)
    assert state.startswith("drain") and reason == REASON, (state, reason)
    # the next run has nothing to install: it records the driver, validates the host and gives it back
    _run_out, changed, row = _run("playbooks/driver_change.yml", {"nvidia_driver_version": NEW})
    assert "| finished | %s | slurm: resumed | the local fact recorded %s; the node was left drained" \
        % (NEW, OLD) in row, row
    _assert_at(host, NEW, OLD)
    assert _node(host)[0] == "idle"
    _run_out, changed, row = _run("playbooks/driver_change.yml", {"nvidia_driver_version": NEW})
    assert changed == [] and "| ok | %s | - |" % NEW in row, (changed, row)

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""package_lock (the module, called directly) end to end through AnsibleModule: real fcntl locks held by another
process in a temporary directory, dpkg --audit faked."""
from __future__ import annotations

import subprocess
import sys

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _package_lock
from ansible_collections.gpuhost.provision.plugins.modules import package_lock

AUDIT = (" gpuhost-killed       dpkg is killed while it configures this package\n")
HOLD = ("import fcntl, sys, time\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n")


@pytest.fixture
def host(tmp_path, monkeypatch, commands):
    """Lock files and dpkg's journal directory in tmp_path; hold(name, seconds) holds one from another process."""
    updates = tmp_path / "updates"
    updates.mkdir()
    monkeypatch.setattr(_package_lock, "DPKG_UPDATES", str(updates))
    commands.bins["dpkg"] = "/usr/bin/dpkg"
    commands.on(lambda argv: argv[-1] == "--audit", out="")
    locks = {name: tmp_path / name for name in ("lock-frontend", "lock", "lists-lock")}
    for path in locks.values():
        path.write_text("")
    procs = []

    class Host(object):
        paths = [str(p) for p in locks.values()]
        journal = updates

        def hold(self, name, seconds=30.0):
            proc = subprocess.Popen([sys.executable, "-c", HOLD, str(locks[name]), str(seconds)],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout.readline().strip() == "held"
            procs.append(proc)
            return proc

    yield Host()
    for proc in procs:
        proc.kill()
        proc.wait()


def dpkg_calls(commands):
    return [argv for argv in commands.argvs() if argv[0].endswith("dpkg")]


def test_free(host, commands, run_module):
    failed, result = run_module(package_lock, {"locks": host.paths}, check=True)
    assert not failed and not result["changed"]
    assert result["state"] == "free" and result["holders"] == [] and result["pending"] == []
    assert dpkg_calls(commands) == [["/usr/bin/dpkg", "--audit"]]


def test_interrupted(host, commands, run_module):
    commands.on(lambda argv: argv[-1] == "--audit", rc=1, out=AUDIT)
    (host.journal / "0000").write_text("")
    failed, result = run_module(package_lock, {"locks": host.paths})
    assert not failed
    assert result["state"] == "interrupted" and result["pending"] == ["gpuhost-killed"]
    assert result["journal"] == ["0000"] and result["msg"] == "dpkg was interrupted: gpuhost-killed"


def test_running_is_not_audited(host, commands, run_module):
    commands.on(lambda argv: argv[-1] == "--audit", rc=1, out=AUDIT)
    proc = host.hold("lists-lock")
    failed, result = run_module(package_lock, {"locks": host.paths, "stage": True})
    assert not failed and result["state"] == "running"
    assert [(h["lock"].rsplit("/", 1)[-1], h["pid"]) for h in result["holders"]] == [("lists-lock", proc.pid)]
    assert result["msg"].startswith("python") and "(pid %d: " % proc.pid in result["msg"]
    assert dpkg_calls(commands) == []   # an install still running is not judged by its half-done journal
    assert set(result["stage"]) == {"name", "command"}


def test_waits_for_a_holder_that_ends(host, commands, run_module):
    proc = host.hold("lock", seconds=1.5)
    failed, result = run_module(package_lock, {"locks": host.paths, "timeout": 20, "poll": 1})
    assert not failed, result
    assert result["state"] == "free" and result["holders"] == []
    assert [h["pid"] for h in result["waited_for"]] == [proc.pid] and 1 <= result["waited"] < 10


def test_timeout_names_the_holder_and_the_setting(host, commands, run_module):
    proc = host.hold("lock-frontend")
    failed, result = run_module(package_lock, {"locks": host.paths, "timeout": 1, "poll": 1,
                                               "timeout_name": "nvidia_driver_lock_timeout"})
    assert failed
    assert result["msg"].startswith("the package manager is still busy after 1 s: python")
    assert "(pid %d: " % proc.pid in result["msg"] and result["msg"].endswith("raise nvidia_driver_lock_timeout")
    assert "\n" not in result["msg"]


def test_jid_needs_the_action_plugin(host, run_module):
    failed, result = run_module(package_lock, {"jid": "123.456"})
    assert failed and "action plugin" in result["msg"]


def test_a_followed_job_is_waited_for_on_the_host(host, commands, run_module, tmp_path):
    # the async wrapper's results file: "started" while the job runs, the task's own result once it ended
    job = tmp_path / "123.456"
    job.write_text('{"started": 1, "finished": 0, "ansible_job_id": "123.456"}')
    proc = host.hold("lock")
    failed, result = run_module(package_lock, {"locks": host.paths, "stage": True, "job_file": str(job),
                                               "job_wait": 1})
    assert not failed and result["job_state"] == "running" and set(result["stage"]) == {"name", "command"}
    proc.kill()
    proc.wait()
    job.write_text('{"rc": 0, "changed": true}')
    failed, result = run_module(package_lock, {"job_file": str(job), "job_wait": 600, "stage": True})
    assert not failed and result["job_state"] == "finished" and "stage" not in result
    failed, result = run_module(package_lock, {"job_file": str(tmp_path / "no-such-job"), "job_wait": 600})
    assert not failed and result["job_state"] == "missing"


def test_a_taken_job_comes_back_with_its_result_and_its_file_removed(host, commands, run_module, tmp_path):
    job = tmp_path / "123.456"
    job.write_text('{"started": 1, "finished": 0, "ansible_job_id": "123.456"}')
    failed, result = run_module(package_lock, {"locks": host.paths, "job_file": str(job), "job_wait": 1,
                                               "job_take": True})
    # still running: nothing taken, the file stays for the next look
    assert not failed and result["job_state"] == "running" and "job" not in result and job.exists()
    job.write_text('{"rc": 0, "stdout": "Setting up nvidia-smi", "changed": true}')
    failed, result = run_module(package_lock, {"job_file": str(job), "job_wait": 600, "job_take": True})
    assert not failed and result["job_state"] == "finished"
    assert result["job"] == {"rc": 0, "stdout": "Setting up nvidia-smi", "changed": True}
    assert not job.exists()
    # a failed job is left to async_status (Ansible shapes a module's failure)
    job.write_text('{"rc": 100, "failed": true, "stderr": "E: no space", "changed": true}')
    failed, result = run_module(package_lock, {"job_file": str(job), "job_wait": 600, "job_take": True})
    assert not failed and result["job_state"] == "finished" and "job" not in result and job.exists()
    # without job_take the file is left to async_status, as before
    job.write_text('{"rc": 0}')
    failed, result = run_module(package_lock, {"job_file": str(job), "job_wait": 600})
    assert not failed and "job" not in result and job.exists()


def test_dnf_free_is_not_audited_by_dpkg(host, commands, run_module, monkeypatch, tmp_path):
    # dnf's lock files as a finished dnf leaves them (removed) and rpm's lock file, nobody holding it
    rpm_lock = tmp_path / ".rpm.lock"
    rpm_lock.write_text("")
    monkeypatch.setitem(_package_lock.LOCKS, "dnf", (str(tmp_path / "rpmdb_lock.pid"), str(rpm_lock)))
    failed, result = run_module(package_lock, {"package_manager": "dnf", "stage": True}, check=True)
    assert not failed and result["state"] == "free" and result["holders"] == []
    assert result["stage"] == {"name": "resolving", "command": ""}
    assert dpkg_calls(commands) == []


def test_dnf_transaction_running(host, commands, run_module, monkeypatch, tmp_path):
    # a dnf transaction: its PID in dnf's rpmdb lock file, rpm's fcntl lock held (here by another process)
    pid_file = tmp_path / "rpmdb_lock.pid"
    proc = host.hold("lock")
    pid_file.write_text(str(proc.pid))
    monkeypatch.setitem(_package_lock.LOCKS, "dnf", (str(pid_file), host.paths[1]))
    failed, result = run_module(package_lock, {"package_manager": "dnf", "stage": True})
    assert not failed and result["state"] == "running"
    assert [(h["lock"], h["pid"]) for h in result["holders"]] == [(str(pid_file), proc.pid), (host.paths[1], proc.pid)]
    assert result["stage"]["name"] == "install/verify" and "python" in result["stage"]["command"]
    assert dpkg_calls(commands) == []
    # its process ends: dnf's file stays behind (killed), the lock is free
    proc.kill()
    proc.wait()
    failed, result = run_module(package_lock, {"package_manager": "dnf"})
    assert not failed and result["state"] == "free", result

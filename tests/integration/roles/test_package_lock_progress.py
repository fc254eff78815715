# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuhost.provision.package_lock's action under ansible-playbook with the default stdout callback, on the
controller itself (a local connection): the lines an operator reads while a task waits for another process's lock
and while an asynchronous job runs, counted in the real output, and a failed job's reason printed once with the
task layout the nvidia_driver role uses (block, always); and how often site.yml prints a host's failure reason."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]

PLAYBOOK = """
- name: package_lock on the controller
  hosts: ctl
  gather_facts: false
  tasks:
    - name: Hold the test lock for 8 s from another process, as apt does (fcntl)
      ansible.builtin.command:
        argv: ["{python}", "-c", "{hold}", "{lock}", "8"]
      async: 60
      poll: 0
      changed_when: false

    - name: Let the holder take the lock
      ansible.builtin.wait_for:
        timeout: 1

    - name: Wait for the test lock
      gpuhost.provision.package_lock:
        locks: ["{lock}"]
        audit: false
        timeout: 30
        poll: 1
        report_every: 2
      register: waited

    - name: Start a job of about 5 s
      ansible.builtin.command:
        argv: [sleep, "5"]
      async: 60
      poll: 0
      register: job
      changed_when: false

    - name: Follow the job of about 5 s
      gpuhost.provision.package_lock:
        jid: "{{{{ job.ansible_job_id }}}}"
        timeout: 60
        poll: 1
        report_every: 2
      register: followed

    - name: Look for the job's results file (taken and removed by the follow)
      ansible.builtin.stat:
        path: "{{{{ job.results_file }}}}"
      register: job_file

    - name: The results
      ansible.builtin.debug:
        msg: "RESULTS {{{{ {{'waited': waited.waited, 'waited_for': waited.waited_for | map(attribute='pid') | list,
                              'state': waited.state, 'job_failed': followed.failed | default(false),
                              'elapsed': followed.elapsed, 'job_file_left': job_file.stat.exists,
                              'job_rc': followed.rc}} | to_json }}}}"

    - name: An install that fails, as the role runs it
      block:
        - name: Start a job that fails as apt does on a full disk
          ansible.builtin.shell:
            cmd: >-
              for i in $(seq 200); do echo "W: You may want to run apt-get update to correct these problems"; done;
              echo "E: You do not have enough free space in /var/cache/apt/archives/." >&2; exit 100
          async: 60
          poll: 0
          register: bad_job
          changed_when: false

        - name: Install the test packages
          gpuhost.provision.package_lock:
            jid: "{{{{ bad_job.ansible_job_id }}}}"
            poll: 1
          register: bad
      always:
        - name: Hold again
          ansible.builtin.debug:
            msg: held again
          when: bad is not defined or bad is failed
"""

HOLD = "import fcntl, sys, time; f = open(sys.argv[1], 'r+'); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(float(sys.argv[2]))"


def test_progress_lines_and_one_failure_reason(tmp_path):
    lock = tmp_path / "lock"
    lock.write_text("")
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(lock=lock, python=sys.executable, hold=HOLD), encoding="utf-8")
    inventory = {"all": {"hosts": {"ctl": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_STDOUT_CALLBACK": "default"}
    started = time.monotonic()
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp_path / "inv.yml"), str(tmp_path / "play.yml")],
                         capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 2, out[-4000:]
    lines = out.splitlines()

    results = [line for line in lines if "RESULTS " in line]
    assert results, out
    holder = int(re.search(r'waited_for\\": \[(\d+)\]', results[0]).group(1))
    waited = int(re.search(r'"waited\\": (\d+)', results[0]).group(1))
    assert '\\"state\\": \\"free\\"' in results[0], results[0]

    # waiting: a line at once and one every 2 s of the wait (later on a loaded machine, never sooner), naming the
    # task, the process (python, its pid) and the lock (how long it waited depends on how soon the task started after
    # the holder)
    waiting = [line for line in lines if ": waiting for the package lock, " in line]
    assert 1 <= waited <= 8 and (2 if waited >= 4 else 1) <= len(waiting) <= 1 + waited // 2, out
    shown = [int(re.search(r"lock, (\d+) s of", line).group(1)) for line in waiting]
    assert shown == sorted(shown) and all(b - a >= 2 for a, b in zip(shown, shown[1:])), out
    assert all(re.match(r"^ctl: Wait for the test lock: waiting for the package lock, \d+ s of 30 s: \S*python\S* "
                        r"\(pid %d: .*\) holds %s$" % (holder, re.escape(str(lock))), line) for line in waiting), out

    # following the job: the task's own name, the stage, the seconds since it started, every 2 s; no ASYNC POLL
    progress = [line for line in lines if line.startswith("ctl: Follow the job of about 5 s: ")]
    assert 1 <= len(progress) <= 3, out
    assert all(re.match(r"^ctl: Follow the job of about 5 s: [a-zA-Z ]+, \d+ s$", line) for line in progress), out
    assert "ASYNC POLL" not in out
    # the job's result came back, and its results file is gone
    assert '\\"job_file_left\\": false' in results[0] and '\\"job_rc\\": 0' in results[0], results[0]

    assert time.monotonic() - started < 120

    # the failed job's reason: its E: line, once in the whole output; the 200 warnings are not printed
    assert out.count("E: You do not have enough free space in /var/cache/apt/archives/.") == 1, out
    assert "You may want to run apt-get update" not in out
    assert "held again" in out


def output_blocks(out):
    """The default callback's output cut at each banner (PLAY, TASK, RUNNING HANDLER, PLAY RECAP): one block per task."""
    return re.split(r"^(?=PLAY \[|TASK \[|RUNNING HANDLER \[|PLAY RECAP )", out, flags=re.M)


def test_site_prints_each_failure_reason_at_most_twice(tmp_path):
    # n1 passes the input play and fails at its first module (its Python does not exist); n2's input is refused
    # (gpuhost_stop_on_bad_input: false, so that n1 is provisioned all the same). Nothing is contacted: n1's
    # connection is local and no module runs on it.
    hosts = {"n1": {"nvidia_driver_cuda_version": "12.2", "ansible_connection": "local",
                    "ansible_python_interpreter": "/nonexistent/python3"},
             "n2": {"nvidia_driver_cuda_version": "12.2", "nvidia_driver_hold": "maybe"}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump({"gpu_nodes": {"hosts": hosts}}), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_STDOUT_CALLBACK": "default"}
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp_path / "inv.yml"), str(ROOT / "playbooks" / "site.yml"),
                          "-e", "gpuhost_stop_on_bad_input=false"],
                         capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 2, out[-4000:]
    assert re.search(r"^n1 +: ok=\d+ .* failed=1 ", out, re.M) and re.search(r"^n2 +: ok=\d+ .* failed=1 ", out, re.M), \
        out[-2000:]
    blocks = output_blocks(out)
    table = [block for block in blocks if block.startswith("TASK [Show every targeted host with its result]")]
    assert len(table) == 1, out
    reasons = {"n1": "The module interpreter '/nonexistent/python3' was not found.",
               "n2": "argument 'nvidia_driver_hold' is of type str and we were unable to convert to bool"}
    for host, reason in reasons.items():
        assert re.search(r'"%s \| FAILED \| .*%s' % (host, re.escape(reason)), table[0]), table[0]
        # A print is one task's output (ansible-core 2.19 shows a failed task's message twice in it: the error summary
        # and the result); the failed task and the fleet table print the reason, the last play points at the table.
        printed = [block.splitlines()[0] for block in blocks if reason in block]
        assert len(printed) <= 2, (host, printed)
    last = [block for block in blocks if block.startswith("TASK [Fail, pointing at the reason in the fleet table]")]
    assert len(last) == 1, out
    assert 'fatal: [n1]: FAILED! => {"changed": false, "msg": "Resolve the driver and check that the package sources ' \
           'can satisfy it: failed, see the fleet table above"}' in last[0], last[0]
    assert 'fatal: [n2]: FAILED! => {"changed": false, "msg": "input: failed, see the fleet table above"}' in last[0], \
        last[0]


MODULES_PLAYBOOK = """
- name: package_lock's follow, module by module
  hosts: ctl
  gather_facts: false
  tasks:
    - name: Start a job that ends well
      ansible.builtin.command:
        argv: [sleep, "1"]
      async: 60
      poll: 0
      register: good_job
      changed_when: false

    - name: Follow the job that ends well
      gpuhost.provision.package_lock:
        jid: "{{ good_job.ansible_job_id }}"
        poll: 1

    - name: Start a job that fails
      ansible.builtin.command:
        argv: [sh, -c, "echo 'E: broken' >&2; exit 100"]
      async: 60
      poll: 0
      register: bad_job
      changed_when: false

    - name: Follow the job that fails
      gpuhost.provision.package_lock:
        jid: "{{ bad_job.ansible_job_id }}"
        poll: 1
      ignore_errors: true
"""


def test_follow_takes_a_finished_job_without_async_status(tmp_path):
    # With -vvv Ansible names every module it executes ("AnsiballZ_<module>.py"): the follow of a job that ended well
    # gets its result from the wait on the host (package_lock, which removes the results file); only a failed job is
    # read through async_status (and cleaned up by it), so that Ansible prints its reason once.
    (tmp_path / "play.yml").write_text(MODULES_PLAYBOOK, encoding="utf-8")
    inventory = {"all": {"hosts": {"ctl": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_PIPELINING": "0",
           "ANSIBLE_KEEP_REMOTE_FILES": "0"}
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "-i",
                          str(tmp_path / "inv.yml"), str(tmp_path / "play.yml")],
                         capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 0 and re.search(r"^ctl +: ok=4 .* failed=0 .* ignored=1", out, re.M), out[-3000:]
    blocks = dict((block.splitlines()[0], block) for block in output_blocks(out) if block.startswith("TASK ["))
    good = [block for name, block in blocks.items() if name.startswith("TASK [Follow the job that ends well]")]
    bad = [block for name, block in blocks.items() if name.startswith("TASK [Follow the job that fails]")]
    assert len(good) == 1 and len(bad) == 1, list(blocks)
    modules = [re.findall(r"AnsiballZ_(\w+)\.py", block) for block in (good[0], bad[0])]
    assert modules[0] and set(modules[0]) == {"package_lock"}, modules[0]
    assert "async_status" in modules[1] and "package_lock" in modules[1], modules[1]
    assert "E: broken" in bad[0]

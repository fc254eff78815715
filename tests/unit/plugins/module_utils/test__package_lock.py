# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_package_lock: lock holders (a real fcntl lock held by another process, dnf's PID files), running vs interrupted,
the stage of an install from process tables (APT on Debian 12, DNF on EL 9), and the shapes of the lines and
messages."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _package_lock as pl

HOLD = ("import fcntl, sys, time\n"
        "f = open(sys.argv[1], 'r+')\n"
        "fcntl.{call}(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(30)\n")


@pytest.fixture
def held_lock(tmp_path):
    """A lock file and a process holding it the way apt and dpkg do (fcntl record lock: Python's lockf)."""
    path = tmp_path / "lock-frontend"
    path.write_text("")
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(call="lockf"), str(path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    yield str(path), proc
    proc.kill()
    proc.wait()


def test_lock_holder_names_the_process_that_holds_an_fcntl_lock(held_lock):
    path, proc = held_lock
    assert pl.lock_holder(path) == proc.pid
    held = pl.holders([path, path + ".missing"])
    assert held == [{"lock": path, "pid": proc.pid, "command": pl.command_text(pl.read_cmdline(proc.pid))}]
    assert "python" in held[0]["command"]


def test_lock_holder_after_the_holder_ended(held_lock):
    path, proc = held_lock
    proc.kill()
    proc.wait()
    assert pl.lock_holder(path) is None


def test_flock_is_not_the_lock_apt_takes(tmp_path):
    # flock(2) (the flock command) and fcntl(2) locks are independent on Linux: apt neither takes nor sees it
    path = tmp_path / "lock"
    path.write_text("")
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(call="flock"), str(path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert pl.lock_holder(str(path)) is None
    finally:
        proc.kill()
        proc.wait()


def test_a_missing_lock_file_is_free(tmp_path):
    assert pl.lock_holder(str(tmp_path / "nothing")) is None


# (what F_GETLK says per lock, /proc/PID/cmdline) -> holders, for the locks that Debian 12 apt takes during
# `apt-get update` (lists lock only) and `apt-get install` (frontend, dpkg, archives)
UPDATE = {"/var/lib/apt/lists/lock": 812}
INSTALL = {"/var/lib/dpkg/lock-frontend": 901, "/var/lib/dpkg/lock": 901, "/var/cache/apt/archives/lock": 901}
CMDLINES = {812: ["apt-get", "-q", "update"], 901: ["/usr/bin/apt-get", "-y", "-q", "install", "nvidia-driver"]}


def recorded(locks):
    return locks.get


def test_holders_from_recorded_locks():
    held = pl.holders(probe=recorded(UPDATE), cmdline=CMDLINES.get)
    assert held == [{"lock": "/var/lib/apt/lists/lock", "pid": 812, "command": "apt-get -q update"}]
    held = pl.holders(probe=recorded(INSTALL), cmdline=CMDLINES.get)
    assert [h["lock"] for h in held] == list(pl.APT_LOCKS[:3])
    assert pl.holder_text(held) == ("apt-get (pid 901: /usr/bin/apt-get -y -q install nvidia-driver) holds "
                                    "/var/lib/dpkg/lock-frontend, /var/lib/dpkg/lock, /var/cache/apt/archives/lock")


def test_holder_in_another_pid_namespace_or_gone():
    held = pl.holders(probe=recorded({"/var/lib/dpkg/lock": 0, "/var/lib/apt/lists/lock": 77}),
                      cmdline=lambda pid: None)
    assert held == [{"lock": "/var/lib/dpkg/lock", "pid": 0, "command": ""},
                    {"lock": "/var/lib/apt/lists/lock", "pid": 77, "command": ""}]
    assert pl.holder_text(held) == ("a process outside this host's view (another PID namespace) holds "
                                    "/var/lib/dpkg/lock; pid 77 holds /var/lib/apt/lists/lock")


def test_command_text_is_one_bounded_line():
    text = pl.command_text(["/bin/sh", "-c", "x\n" * 200])
    assert "\n" not in text and len(text) == pl.COMMAND_CHARS and text.endswith("...")


# dpkg --audit after a run killed in a postinst (Debian 12, as in molecule nvidia_driver-dpkg-interrupted)
AUDIT = """The following packages are only half configured, probably due to problems
configuring them the first time.  The configuration should be retried using
dpkg --configure <package> or the configure menu option in dselect:
 gpuhost-killed       dpkg is killed while it configures this package

"""


@pytest.mark.parametrize("held, journal, audit, expected", [
    ([], [], "", "free"),
    ([], ["0000"], "", "interrupted"),                       # journal not incorporated, nobody running
    ([], [], AUDIT, "interrupted"),                          # half-configured package, nobody running
    ([{"lock": "/var/lib/dpkg/lock", "pid": 901, "command": "dpkg"}], ["0000"], AUDIT, "running"),   # live install
    ([{"lock": "/var/lib/apt/lists/lock", "pid": 812, "command": "apt-get update"}], [], "", "running"),
])
def test_running_interrupted_or_free(held, journal, audit, expected):
    assert pl.state(held, journal, pl.audit_packages(audit)) == expected


def test_audit_packages_and_journal(tmp_path):
    assert pl.audit_packages(AUDIT) == ["gpuhost-killed"]
    assert pl.audit_packages("") == []
    (tmp_path / "tmp.i").write_text("")
    assert pl.journal_entries(str(tmp_path)) == []
    (tmp_path / "0001").write_text("")
    (tmp_path / "0000").write_text("")
    assert pl.journal_entries(str(tmp_path)) == ["0000", "0001"]
    assert pl.journal_entries(str(tmp_path / "missing")) == []


# Process tables during an apt install of the driver on Debian 12 ({pid: argv}), one per stage
BASE = {1: ["/lib/systemd/systemd"], 700: ["/usr/bin/python3", "/root/.ansible/tmp/AnsiballZ_apt.py"],
        710: ["/usr/bin/apt-get", "-y", "-o", "Dpkg::Options::=--force-confdef", "install", "nvidia-driver"]}
DOWNLOAD = {**BASE, 720: ["/usr/lib/apt/methods/http"], 721: ["/usr/lib/apt/methods/gpgv"]}
UNPACK = {**BASE, 730: ["/usr/bin/dpkg", "--status-fd", "36", "--no-triggers", "--unpack", "--auto-deconfigure",
                        "/var/cache/apt/archives/nvidia-kernel-dkms_535.247.01-1~deb12u1_amd64.deb"]}
CONFIGURE = {**BASE, 740: ["/usr/bin/dpkg", "--status-fd", "36", "--configure", "--pending"],
             741: ["/usr/bin/perl", "-w", "/usr/share/debconf/frontend", "/var/lib/dpkg/info/nvidia-kernel-dkms.postinst",
                   "configure"]}
DKMS = {**CONFIGURE, 750: ["/bin/bash", "/usr/sbin/dkms", "autoinstall", "-k", "6.1.0-28-amd64"],
        751: ["make", "-j16", "KERNELRELEASE=6.1.0-28-amd64", "modules"],
        752: ["/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "nvidia/nv.c"]}
INITRAMFS = {**CONFIGURE, 760: ["/bin/sh", "/usr/sbin/update-initramfs", "-u", "-k", "6.1.0-28-amd64"],
             761: ["/bin/sh", "/usr/sbin/mkinitramfs", "-o", "/boot/initrd.img-6.1.0-28-amd64.new"]}


@pytest.mark.parametrize("table, stage", [
    (BASE, "resolving"),
    (DOWNLOAD, "download"),
    (UNPACK, "unpack"),
    (CONFIGURE, "configure"),
    (DKMS, "DKMS build"),
    (INITRAMFS, "initramfs"),
])
def test_install_stage(table, stage):
    assert pl.install_stage(table)[0] == stage


def test_install_stage_names_the_command():
    assert pl.install_stage(DKMS) == ("DKMS build", "/bin/bash /usr/sbin/dkms autoinstall -k 6.1.0-28-amd64")
    # an option that only looks like a stage is not one: a dpkg query with --unpack in a file name
    assert pl.install_stage({5: ["dpkg-query", "--unpack"]})[0] == "resolving"


# DNF on EL 9, as the nvidia_driver role runs it (ansible.builtin.dnf, asynchronously): dnf works inside the module's
# own Python process (700), which writes its PID into dnf's lock files and takes rpm's lock for the transaction;
# rpm runs each scriptlet as /bin/sh /var/tmp/rpm-tmp.NNNN below it. Locks held per stage ({lock: pid}) and the
# process tables ({pid: argv}).
DNF = "/usr/bin/python3.9 /root/.ansible/tmp/ansible-tmp-1/AnsiballZ_dnf.py"
EL_BASE = {1: ["/usr/lib/systemd/systemd"], 700: DNF.split()}
EL_METADATA = {"/var/cache/dnf/metadata_lock.pid": 700}
EL_DOWNLOAD = {"/var/cache/dnf/download_lock.pid": 700}
EL_TRANSACTION = {"/var/lib/dnf/rpmdb_lock.pid": 700, "/var/lib/rpm/.rpm.lock": 700}
EL_SCRIPTLET = {**EL_BASE, 770: ["/bin/sh", "/var/tmp/rpm-tmp.0Xq1Zb", "1"]}
EL_DKMS = {**EL_SCRIPTLET, 771: ["/bin/bash", "/usr/sbin/dkms", "install", "-m", "nvidia", "-v", "550.163.01"],
           772: ["make", "-j8", "KERNELRELEASE=5.14.0-503.el9.x86_64", "modules"]}
EL_DRACUT = {**EL_SCRIPTLET, 780: ["/bin/bash", "/usr/bin/dracut", "-f", "--kver", "5.14.0-503.el9.x86_64"]}


def el_held(locks):
    return pl.holders(pl.DNF_LOCKS, probe=recorded(locks), cmdline=lambda pid: DNF.split() if pid == 700 else None)


@pytest.mark.parametrize("locks, table, stage, command", [
    ({}, EL_BASE, "resolving", ""),                                    # the module's Python, before dnf's locks
    (EL_METADATA, EL_BASE, "resolving", ""),                          # reading the repositories' metadata
    (EL_DOWNLOAD, EL_BASE, "download", DNF),
    (EL_TRANSACTION, EL_BASE, "install/verify", DNF),                 # transaction check, test, run, verify
    ({"/usr/lib/sysimage/rpm/.rpm.lock": 700}, EL_BASE, "install/verify", DNF),   # EL 10's rpm database
    (EL_TRANSACTION, EL_SCRIPTLET, "scriptlets", "/bin/sh /var/tmp/rpm-tmp.0Xq1Zb 1"),
    (EL_TRANSACTION, EL_DKMS, "DKMS build", "/bin/bash /usr/sbin/dkms install -m nvidia -v 550.163.01"),
    (EL_TRANSACTION, EL_DRACUT, "initramfs", "/bin/bash /usr/bin/dracut -f --kver 5.14.0-503.el9.x86_64"),
])
def test_dnf_install_stage(locks, table, stage, command):
    assert pl.install_stage(table, el_held(locks)) == (stage, command)


def test_dnf_holders_are_named_with_their_command():
    held = el_held(EL_TRANSACTION)
    assert [h["lock"] for h in held] == ["/var/lib/dnf/rpmdb_lock.pid", "/var/lib/rpm/.rpm.lock"]
    assert pl.holder_text(held) == ("python3.9 (pid 700: %s) holds /var/lib/dnf/rpmdb_lock.pid, "
                                    "/var/lib/rpm/.rpm.lock" % DNF)
    # the APT process patterns do not fire on EL, nor the DNF locks on Debian
    assert pl.install_stage(DKMS, el_held({}))[0] == "DKMS build"
    assert pl.install_stage(BASE, [{"lock": "/var/lib/dpkg/lock", "pid": 710, "command": "apt-get"}])[0] == "resolving"


def test_dnf_lock_files_name_a_live_process_only(tmp_path):
    # dnf writes its PID into the file while it holds the lock; a file left by a process that ended is free (dnf
    # itself takes it over), as are an empty file and a missing one
    proc = tmp_path / "proc"
    (proc / "700").mkdir(parents=True)
    (proc / "700" / "stat").write_text("700 (python3) S 1 ...")
    live, dead, empty = tmp_path / "rpmdb_lock.pid", tmp_path / "download_lock.pid", tmp_path / "metadata_lock.pid"
    live.write_text("700")
    dead.write_text("4242")
    empty.write_text("")
    assert pl.pid_file_holder(str(live), proc=str(proc)) == 700
    assert pl.pid_file_holder(str(dead), proc=str(proc)) is None
    assert pl.pid_file_holder(str(empty), proc=str(proc)) is None
    assert pl.pid_file_holder(str(tmp_path / "missing.pid"), proc=str(proc)) is None


def test_dnf_lock_file_of_this_process_and_rpm_lock_held_by_another(tmp_path, held_lock):
    # the real readers: a PID file naming this (live) test process, and an fcntl lock that another process holds
    pid_file = tmp_path / "rpmdb_lock.pid"
    pid_file.write_text(str(os.getpid()))
    path, proc = held_lock
    held = pl.holders([str(pid_file), path])
    assert [(h["lock"], h["pid"]) for h in held] == [(str(pid_file), os.getpid()), (path, proc.pid)]
    assert pl.lock_set("dnf") == list(pl.DNF_LOCKS) and pl.lock_set("apt") == list(pl.APT_LOCKS)
    assert pl.lock_set("dnf", [path]) == [path]


def test_processes_reads_this_namespace_with_parents():
    table = pl.processes()
    ppid, argv = table[os.getpid()]
    assert ppid == os.getppid() and "python" in argv[0]
    child = subprocess.Popen(["sleep", "30"])
    try:
        # on a loaded machine the child may not have exec'd yet (its command line empty or still python's)
        deadline = time.monotonic() + 10
        while pl.read_cmdline(str(child.pid)) != ["sleep", "30"] and time.monotonic() < deadline:
            time.sleep(0.05)
        below = pl.descendants(pl.processes(), [os.getpid()])
        assert below[child.pid] == ["sleep", "30"] and os.getppid() not in below
    finally:
        child.kill()
        child.wait()


def test_descendants_leave_out_other_processes():
    # a build elsewhere on the host (pid 900, under pid 1) is not the install's (apt-get 710 holds the lock)
    table = dict((pid, (1 if pid in (700, 900) else 700 if pid == 710 else 710, argv))
                 for pid, argv in {**DKMS, 900: ["make", "all"]}.items() if pid != 1)
    below = pl.descendants(table, [710])
    assert 900 not in below and 700 not in below and 752 in below
    assert pl.install_stage(pl.descendants(table, [999])) == ("resolving", "")


def test_line_shapes():
    held = [{"lock": "/var/lib/apt/lists/lock", "pid": 812, "command": "apt-get -q update"}]
    assert pl.waiting_line("gpu01", "Wait for other apt and dpkg runs", held, 15.4, 300) == (
        "gpu01: Wait for other apt and dpkg runs: waiting for the package lock, 15 s of 300 s: "
        "apt-get (pid 812: apt-get -q update) holds /var/lib/apt/lists/lock")
    assert pl.progress_line("gpu01", "Install the driver packages at the planned version", "DKMS build", 45.9) == (
        "gpu01: Install the driver packages at the planned version: DKMS build, 45 s")
    assert pl.timeout_message(held, 300, "nvidia_driver_lock_timeout") == (
        "the package manager is still busy after 300 s: apt-get (pid 812: apt-get -q update) holds "
        "/var/lib/apt/lists/lock; wait for it to finish (or end it), or raise nvidia_driver_lock_timeout")


FULL_DISK = "W: Some index files failed to download.\n" * 5000 + \
    "E: You don't have enough free space in /var/cache/apt/archives/.\n"


@pytest.mark.parametrize("result, expected", [
    ({"msg": "'/usr/bin/apt-get -y install nvidia-driver=1' failed: E: Version '1' for 'nvidia-driver' was not "
             "found\n", "stderr": "E: Version '1' for 'nvidia-driver' was not found\n"},
     "E: Version '1' for 'nvidia-driver' was not found"),
    ({"msg": "failed", "stderr": FULL_DISK, "stdout": FULL_DISK},
     "E: You don't have enough free space in /var/cache/apt/archives/."),
    ({"msg": "No package matching 'nvidia-x' is available"}, "No package matching 'nvidia-x' is available"),
    ({}, "failed (no message)"),
])
def test_job_failure(result, expected):
    assert pl.job_failure(result) == expected


def test_job_failure_is_bounded():
    many = {"stderr": "\n".join("E: error number %d of many" % i for i in range(100))}
    reason = pl.job_failure(many)
    assert len(reason) == 300 and reason.endswith("...") and reason.startswith("E: error number 0 of many; E:")


def test_wait_is_quick_for_a_lock_that_goes(held_lock):
    path, proc = held_lock
    started = time.monotonic()
    proc.kill()
    proc.wait()
    assert pl.holders([path]) == [] and time.monotonic() - started < 5


@pytest.mark.parametrize("content,expected", [
    ('{"started": 1, "finished": 0, "ansible_job_id": "1.2"}', "running"),
    ('{"started": 1, "fini', "running"),                       # caught in the middle of a write
    ('{"rc": 0, "changed": true, "stdout": ""}', "finished"),   # the task's own result
    ('{"failed": true, "msg": "boom"}', "finished"),
    ('{"started": 1, "finished": 1}', "finished"),
    (None, "missing"),
])
def test_job_state_reads_the_async_results_file(tmp_path, content, expected):
    path = tmp_path / "1.2"
    if content is not None:
        path.write_text(content)
    assert pl.job_state(str(path)) == expected


def test_wait_for_job_returns_when_the_job_ends_not_when_the_wait_does(tmp_path):
    path = tmp_path / "1.2"
    path.write_text('{"started": 1, "finished": 0}')
    clock = {"now": 0.0}
    looks = []

    def sleep(seconds):
        looks.append(clock["now"])
        clock["now"] += seconds
        if clock["now"] >= 3:   # the job ends after 3 s: the async wrapper replaces the file
            path.write_text('{"rc": 0}')

    assert pl.wait_for_job(str(path), 15, every=0.5, clock=lambda: clock["now"], sleep=sleep) == "finished"
    assert clock["now"] == 3.0 and len(looks) == 6   # a look every half second, no longer than the job

    path.write_text('{"started": 1, "finished": 0}')
    clock["now"], looks[:] = 0.0, []
    assert pl.wait_for_job(str(path), 2, every=0.5, clock=lambda: clock["now"], sleep=lambda s: clock.update(
        now=clock["now"] + s)) == "running"
    assert clock["now"] == 2.0


@pytest.mark.parametrize("content, expected, kept", [
    ('{"started": 1, "finished": 0}', None, True),        # running: left for the next look
    ('{"started": 1, "fini', None, True),                   # caught in the middle of a write
    ('{"rc": 0, "changed": true}', {"rc": 0, "changed": True}, False),
    ('{"started": 1, "finished": 1, "rc": 0}', {"started": 1, "finished": 1, "rc": 0}, False),
    ('{"rc": 100, "failed": true, "msg": "non-zero return code"}', None, True),   # left to async_status
])
def test_take_job_returns_an_ended_job_and_removes_its_file(tmp_path, content, expected, kept):
    path = tmp_path / "1.2"
    path.write_text(content)
    assert pl.take_job(str(path)) == expected
    assert path.exists() is kept
    assert pl.take_job(str(tmp_path / "missing")) is None

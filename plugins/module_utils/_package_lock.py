# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who holds the package manager's locks, whether dpkg was interrupted, and what an install is doing now.

Private module_utils: not an API. Used by the module and the action plugin ``package_lock``.

APT and dpkg lock with fcntl(2) record locks (apt-pkg's ``GetLock``, dpkg's ``file_lock``), not flock(2): a lock's
holder is found with ``F_GETLK``, which names the process (in this PID namespace) without taking the lock. The
locks, in the order apt takes them:

- ``/var/lib/dpkg/lock-frontend``: apt-get, apt, unattended-upgrades, python-apt's commit (dpkg's frontend lock);
- ``/var/lib/dpkg/lock``: dpkg itself, for as long as it runs;
- ``/var/cache/apt/archives/lock``: an apt download;
- ``/var/lib/apt/lists/lock``: ``apt-get update`` (the index), which holds no other lock.

DNF (4, EL 8-10) and rpm lock otherwise (dnf's ``dnf/lock.py``, rpm's ``lib/rpmlock.c``):

- dnf writes its PID into a lock file for as long as it holds the lock and removes the file at the end; a file
  whose process has ended is free (dnf's own rule): ``/var/cache/dnf/metadata_lock.pid`` (reading or refreshing the
  repositories' metadata), ``/var/cache/dnf/download_lock.pid`` (downloading packages),
  ``/var/lib/dnf/rpmdb_lock.pid`` (the transaction: check, test, run, verify);
- rpm takes an fcntl write lock on ``%{_dbpath}/.rpm.lock`` for a transaction (``/var/lib/rpm`` on EL 8 and 9,
  ``/usr/lib/sysimage/rpm`` on EL 10); a scriptlet runs as ``/bin/sh /var/tmp/rpm-tmp.NNNN`` below it.

An install still running (a live process holds a lock) is waited for; an interrupted one (dpkg's journal in
``/var/lib/dpkg/updates`` or a package that ``dpkg --audit`` lists, and no process holding any lock) is repaired
with ``dpkg --configure -a``. Everything here reads; nothing takes a lock or changes a file.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import time

APT_LOCKS = (
    "/var/lib/dpkg/lock-frontend",
    "/var/lib/dpkg/lock",
    "/var/cache/apt/archives/lock",
    "/var/lib/apt/lists/lock",
)
LISTS_LOCK = APT_LOCKS[3]
DNF_LOCKS = (
    "/var/cache/dnf/metadata_lock.pid",
    "/var/cache/dnf/download_lock.pid",
    "/var/lib/dnf/rpmdb_lock.pid",
    "/var/lib/rpm/.rpm.lock",
    "/usr/lib/sysimage/rpm/.rpm.lock",
)
LOCKS = {"apt": APT_LOCKS, "dnf": DNF_LOCKS}
DPKG_UPDATES = "/var/lib/dpkg/updates"
# The options of the module package_lock (its action plugin validates the same)
ARGUMENT_SPEC = dict(
    package_manager=dict(type="str", default="apt", choices=sorted(LOCKS)),
    locks=dict(type="list", elements="path"),
    audit=dict(type="bool", default=True),
    stage=dict(type="bool", default=False),
    timeout=dict(type="int", default=0),
    timeout_name=dict(type="str", default="timeout"),
    jid=dict(type="str"),
    poll=dict(type="int", default=2),
    report_every=dict(type="int", default=15),
    # set by the action plugin while it follows O(jid): the job's results file on the host, and how long to wait there
    job_file=dict(type="path"),
    job_wait=dict(type="int", default=0),
    job_take=dict(type="bool", default=False),
)
# how often the host looks at a followed job's results file (the controller hears of it when it ends)
JOB_LOOK_EVERY = 0.5
# struct flock on Linux (x86_64, aarch64, ppc64le, s390x): short l_type, short l_whence, off_t l_start,
# off_t l_len, pid_t l_pid, padding to 32 bytes
_FLOCK = "hhqqi4x"
COMMAND_CHARS = 120

# The stages of an install, as the processes that run show them; the first that matches wins (a DKMS build runs
# inside dpkg's configure step, which runs inside apt; on EL inside an rpm scriptlet, which runs inside dnf).
STAGES = (
    ("initramfs", re.compile(r"(^|/)(update-initramfs|mkinitramfs|dracut)$")),
    ("DKMS build", re.compile(r"(^|/)(dkms|cc1|make)$")),
    ("scriptlets", re.compile(r"(^|/)rpm-tmp\.\w+$")),
    ("unpack", re.compile(r"^--unpack$")),
    ("configure", re.compile(r"^--(configure|triggers-only)$")),
    ("download", re.compile(r"^/usr/lib/apt/methods/")),
)
# dnf downloads and runs rpm in its own process: there the stage is the lock it holds (after the processes above)
LOCK_STAGES = (
    ("install/verify", re.compile(r"(^|/)(rpmdb_lock\.pid|\.rpm\.lock)$")),
    ("download", re.compile(r"(^|/)download_lock\.pid$")),
)


def lock_holder(path):
    """The PID of the process holding an fcntl write lock on ``path`` (0: held from another PID namespace or by
    an open file description lock), or None when nobody holds it or the file does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return None
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
    finally:
        os.close(fd)
    kind, _whence, _start, _length, pid = struct.unpack(_FLOCK, answer)
    if kind == fcntl.F_UNLCK:
        return None
    return max(pid, 0)


def pid_file_holder(path, proc="/proc"):
    """The PID that dnf wrote into its lock file ``path`` while that process lives, else None (no file, or a
    process that has ended: dnf itself then takes the lock over)."""
    try:
        with open(path, "rb") as handle:
            text = handle.read(20).decode("ascii", "replace").strip()
    except OSError:
        return None
    if not text.isdigit():
        return None
    return int(text) if os.path.exists(os.path.join(proc, text, "stat")) else None


def holder(path):
    """Who holds the lock ``path``: dnf's PID files (``*.pid``) name their holder, the others are fcntl locks."""
    return pid_file_holder(path) if path.endswith(".pid") else lock_holder(path)


def lock_set(package_manager="apt", locks=None):
    """The lock files to look at: ``locks`` when given, else those of the package manager."""
    return list(locks) if locks else list(LOCKS[package_manager])


def read_cmdline(pid, proc="/proc"):
    """A process's argv (from /proc/PID/cmdline), or None when it has ended; a kernel thread has none: []."""
    try:
        with open(os.path.join(proc, str(pid), "cmdline"), "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def parent(pid, proc="/proc"):
    """A process's parent PID (the fourth field of /proc/PID/stat, after the command in parentheses), or None."""
    try:
        with open(os.path.join(proc, str(pid), "stat"), "rb") as handle:
            stat = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def processes(proc="/proc"):
    """{pid: (parent pid, argv)} of every process this PID namespace shows (kernel threads left out)."""
    table = {}
    for name in os.listdir(proc):
        if name.isdigit():
            argv = read_cmdline(name, proc)
            ppid = parent(name, proc) if argv else None
            if argv and ppid is not None:
                table[int(name)] = (ppid, argv)
    return table


def descendants(table, roots):
    """{pid: argv} of ``roots`` and every process below them in ``table`` ({pid: (parent pid, argv)})."""
    keep = set(pid for pid in roots if pid in table)
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _argv) in table.items():
            if pid not in keep and ppid in keep:
                keep.add(pid)
                grew = True
    return dict((pid, table[pid][1]) for pid in keep)


def command_text(argv):
    """A process's command line, one line, at most COMMAND_CHARS characters."""
    text = " ".join(" ".join(argv or []).split())
    return text if len(text) <= COMMAND_CHARS else text[:COMMAND_CHARS - 3] + "..."


def holders(locks=APT_LOCKS, probe=holder, cmdline=read_cmdline):
    """[{lock, pid, command}] of the locks held now, in the order of ``locks``. ``command`` is what the process
    runs (empty when the holder is in another PID namespace or ended a moment ago)."""
    held = []
    for path in locks:
        pid = probe(path)
        if pid is None:
            continue
        argv = cmdline(pid) if pid else None
        held.append({"lock": path, "pid": pid, "command": command_text(argv)})
    return held


def journal_entries(updates_dir=None):
    """The files of dpkg's journal (a run that has not incorporated them: interrupted, or still running).
    ``tmp.i`` is dpkg's scratch file, present after any run."""
    try:
        names = os.listdir(updates_dir or DPKG_UPDATES)
    except OSError:
        return []
    return sorted(name for name in names if name != "tmp.i")


def audit_packages(text):
    """The package names that ``dpkg --audit`` lists (each on a line of its own, indented by one space)."""
    names = []
    for line in (text or "").splitlines():
        match = re.match(r"^ (\S+)", line)
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return names


def state(held, journal, pending):
    """'running' while a process holds a lock (an install, an index refresh: wait for it), 'interrupted' when no
    process holds one and dpkg left work behind (its journal, or packages that --audit lists: repair with
    dpkg --configure -a), else 'free'."""
    if held:
        return "running"
    if journal or pending:
        return "interrupted"
    return "free"


def install_stage(table, held=()):
    """The stage an install is in, from its processes ({pid: argv}: the lock holders and their descendants), then
    from the locks held (``held``, as holders() gives them: dnf's download and transaction locks): (stage, the
    command that shows it), or ('resolving', '') while the package manager works on its own (reading the index or
    the metadata, computing the changes), before any of them."""
    for stage, pattern in STAGES:
        for pid in sorted(table):
            argv = table[pid]
            if stage in ("unpack", "configure"):   # dpkg's own options
                if not re.search(r"(^|/)dpkg$", argv[0]):
                    continue
                words = argv[1:]
            else:                                   # the program, or the script a shell runs (dkms, mkinitramfs)
                words = argv[:2]
            if any(pattern.search(word) for word in words):
                return stage, command_text(argv)
    for stage, pattern in LOCK_STAGES:
        for item in held:
            if pattern.search(item["lock"]):
                return stage, item["command"]
    return "resolving", ""


def holder_text(held):
    """'apt-get (pid 812: apt-get install -y hello) holds /var/lib/dpkg/lock-frontend, /var/lib/dpkg/lock', one
    clause per process."""
    by_pid = []
    for item in held:
        for entry in by_pid:
            if entry[0] == item["pid"]:
                entry[2].append(item["lock"])
                break
        else:
            by_pid.append((item["pid"], item["command"], [item["lock"]]))
    parts = []
    for pid, command, locks in by_pid:
        if pid:
            who = "%s (pid %d: %s)" % (os.path.basename(command.split(" ")[0]), pid, command) if command \
                else "pid %d" % pid
        else:
            who = "a process outside this host's view (another PID namespace)"
        parts.append("%s holds %s" % (who, ", ".join(locks)))
    return "; ".join(parts)


def waiting_line(host, name, held, elapsed, timeout):
    """The line printed while a task waits for another process's lock."""
    return "%s: %s: waiting for the package lock, %d s of %d s: %s" % (host, name, elapsed, timeout,
                                                                       holder_text(held))


def progress_line(host, name, stage, elapsed):
    """The line printed while an install runs: the task's own name, the stage, the time since it started."""
    return "%s: %s: %s, %d s" % (host, name, stage, elapsed)


def wait_free(locks, timeout, poll=1, look=None):
    """Wait until no process holds any of ``locks``, at most ``timeout`` seconds: (holders left, holders at the
    start, seconds waited). ``look`` (locks -> holders) replaces holders() in tests."""
    look = look or holders
    started = time.monotonic()
    first = held = look(locks)
    while held and time.monotonic() - started < timeout:
        time.sleep(max(poll, 1))
        held = look(locks)
    return held, first, time.monotonic() - started


def job_state(path):
    """'finished', 'running' or 'missing' for the results file of an asynchronous task. Ansible's async wrapper
    writes {"started": 1, "finished": 0, ...} when the job starts and replaces it (a rename) with the task's own
    result when it ends, as async_status reads it."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError):
        return "missing"
    except ValueError:
        return "running"   # caught in the middle of a write
    if not isinstance(data, dict) or "started" not in data or data.get("finished"):
        return "finished"
    return "running"


def take_job(path):
    """The result of a job that has ended well, read from its results file, which is then removed (what
    async_status and its cleanup do in two more module executions); None when the file cannot be read as a finished
    job, or the job failed: a failure is left to async_status, through which Ansible shapes a module's failure (one
    reason printed, as for any module)."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    if not isinstance(data, dict) or "started" in data and not data.get("finished") or data.get("failed"):
        return None
    try:
        os.unlink(path)
    except OSError:
        pass
    return data


def wait_for_job(path, wait, every=JOB_LOOK_EVERY, clock=time.monotonic, sleep=time.sleep):
    """The job's state once it has ended or is missing, or after ``wait`` seconds of running, looked at every
    ``every`` seconds."""
    deadline = clock() + wait
    while True:
        found = job_state(path)
        if found != "running" or clock() >= deadline:
            return found
        sleep(every)


def timeout_message(held, timeout, timeout_name):
    return ("the package manager is still busy after %d s: %s; wait for it to finish (or end it), or raise %s"
            % (timeout, holder_text(held), timeout_name))


def job_failure(result, limit=300):
    """A failed install's reason on one line: apt's error lines (``E: ...``, each once), else its message, at most
    ``limit`` characters (a full disk repeats one warning tens of thousands of times)."""
    text = "\n".join(str(result.get(key) or "") for key in ("msg", "stderr", "stdout"))
    errors = []
    for line in re.findall(r"^E: .*$|(?<=[\s'\"])E: [^\n]*", text, flags=re.M):
        line = " ".join(line.split())
        if line not in errors:
            errors.append(line)
    reason = "; ".join(errors) or " ".join(str(result.get("msg") or "failed (no message)").split())
    return reason if len(reason) <= limit else reason[:limit - 3] + "..."

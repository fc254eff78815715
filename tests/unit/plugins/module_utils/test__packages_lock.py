# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's APT index is read (without apt's lock) only once no index refresh holds its lock: a real fcntl lock
held by another process, for a while or for longer than lock_timeout. Where the pre-flight keeps its index for the
install, and what happens to one that a stopped run left behind."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _packages as pk

HOLD = ("import fcntl, sys, time\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n")


class Module(object):
    check_mode = False

    def __init__(self, tmpdir):
        self.tmpdir = str(tmpdir)
        self._remote_tmp = os.path.join(str(tmpdir), "remote")
        self.calls = []

    def get_bin_path(self, name):
        return None   # no apt-config: the source cache is not copied

    def run_command(self, argv, **kwargs):
        self.calls.append(argv)
        return 1, "", ""


@pytest.fixture
def lists_lock(tmp_path, monkeypatch):
    path = tmp_path / "lists-lock"
    path.write_text("")
    monkeypatch.setattr(pk, "LISTS_LOCK", str(path))
    procs = []

    def hold(seconds):
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "held"
        procs.append(proc)
        return proc

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait()


def test_reads_after_the_refresh_ends(lists_lock, tmp_path):
    lists_lock(1.5)
    started = time.monotonic()
    options = pk.AptPackages(Module(tmp_path), lock_timeout=20).host_cache_options()
    assert 1 <= time.monotonic() - started < 10
    assert options == ["-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="]


def test_fails_naming_the_holder_and_the_option_after_lock_timeout(lists_lock, tmp_path):
    proc = lists_lock(30)
    with pytest.raises(pk.PackageQueryError) as info:
        pk.AptPackages(Module(tmp_path), lock_timeout=1).host_cache_options()
    assert str(info.value).startswith("the package manager is still busy after 1 s: python")
    assert "(pid %d: " % proc.pid in str(info.value) and str(info.value).endswith("raise O(lock_timeout)")


def test_without_lock_timeout_reads_at_once(lists_lock, tmp_path):
    lists_lock(30)
    started = time.monotonic()
    pk.AptPackages(Module(tmp_path)).host_cache_options()
    assert time.monotonic() - started < 1


def test_the_kept_index_lives_in_ansibles_temporary_area_not_the_tasks(tmp_path):
    module = Module(tmp_path / "ansible-tmp-1-2-3")
    module._remote_tmp = str(tmp_path / "remote")
    assert pk.kept_index_dir(module) == str(tmp_path / "remote" / "gpuhost-apt-index")
    module._remote_tmp = None
    assert pk.kept_index_dir(module) == os.path.expanduser("~/.ansible/tmp/gpuhost-apt-index")


def kept_index(module, age):
    """A kept index as a pre-flight leaves it (lists and cache), made ``age`` seconds ago."""
    path = pk.kept_index_dir(module)
    os.makedirs(os.path.join(path, "lists", "partial"))
    with open(os.path.join(path, "lists", "deb.debian.org_debian_dists_bookworm_InRelease"), "w") as handle:
        handle.write("Origin: Debian\n")
    then = time.time() - age
    for where in (path, os.path.join(path, "lists")):
        os.utime(where, (then, then))
    return path


@pytest.mark.parametrize("age, check_mode, gone", [
    (pk.KEPT_INDEX_MAX_AGE + 60, False, True),    # an earlier run stopped before its install: removed
    (60, False, False),                           # a run beside this one may be about to install from it
    (pk.KEPT_INDEX_MAX_AGE + 60, True, False),    # check mode changes nothing
])
def test_an_index_left_by_a_stopped_run_goes_at_the_next_pre_flight(tmp_path, age, check_mode, gone):
    module = Module(tmp_path)
    module.check_mode = check_mode
    path = kept_index(module, age)
    packages = pk.AptPackages(module)   # what the pre-flight builds on an APT host, whether it keeps an index or not
    assert os.path.exists(path) is not gone
    assert packages.kept_lists() is None


def test_discard_stale_index(tmp_path):
    assert pk.discard_stale_index(str(tmp_path / "missing")) is False
    path = tmp_path / "index"
    path.mkdir()
    assert pk.discard_stale_index(str(path), max_age=10, now=path.stat().st_mtime + 5) is False and path.exists()
    assert pk.discard_stale_index(str(path), max_age=10, now=path.stat().st_mtime + 11) is True
    assert not path.exists()

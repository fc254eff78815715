# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import driver_local_fact as mod

DPKG = "/usr/bin/dpkg-query"
STATUS = ("nvidia-driver\t535.309.01-0+deb12u1\thi \n"
          "nvidia-driver-libs\t535.309.01-0+deb12u1\tii \n"
          "nvidia-smi\t\tun \n")


@pytest.fixture
def dpkg(commands, monkeypatch):
    commands.bins.update({"apt-cache": "/usr/bin/apt-cache", "dpkg-query": DPKG})
    commands.on(lambda argv: argv[0] == DPKG, rc=1, out=STATUS)
    monkeypatch.setattr(mod, "utc_now", lambda: "2026-12-06T23:00:00Z")
    return commands


def args(path, version="535.309.01"):
    return {"version": version, "packages": ["nvidia-driver", "nvidia-driver-libs", "nvidia-smi"], "path": str(path)}


def test_writes_the_fact_from_dpkg(run_module, dpkg, tmp_path):
    path = tmp_path / "facts.d" / "gpuhost.fact"
    path.parent.mkdir()
    path.write_text(json.dumps({"driver": {"version": "535.261.03"}}))
    failed, result = run_module(mod, args(path), diff=True)
    assert not failed and result["changed"]
    driver = json.loads(path.read_text())["driver"]
    assert driver == {"version": "535.309.01", "previous_version": "535.261.03", "changed_at": "2026-12-06T23:00:00Z",
                      "packages": {"nvidia-driver": "535.309.01-0+deb12u1",
                                   "nvidia-driver-libs": "535.309.01-0+deb12u1"}}   # nvidia-smi: not installed
    assert '"535.261.03"' in result["diff"]["before"] and result["diff"]["after"] == path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    # the second run writes nothing
    mtime = path.stat().st_mtime_ns
    failed, again = run_module(mod, args(path))
    assert not failed and not again["changed"] and path.stat().st_mtime_ns == mtime


def test_check_mode_writes_nothing(run_module, dpkg, tmp_path):
    path = tmp_path / "facts.d" / "gpuhost.fact"
    failed, result = run_module(mod, args(path), check=True)
    assert not failed and result["changed"] and result["fact"]["driver"]["version"] == "535.309.01"
    assert not path.parent.exists()


def test_creates_the_directory(run_module, dpkg, tmp_path):
    path = tmp_path / "etc" / "ansible" / "facts.d" / "gpuhost.fact"
    assert not run_module(mod, args(path))[0]
    assert json.loads(path.read_text())["driver"]["previous_version"] is None


def test_no_driver_writes_nothing_and_reads_no_packages(run_module, dpkg, tmp_path):
    path = tmp_path / "gpuhost.fact"
    failed, result = run_module(mod, args(path, version=None))
    assert not failed and not result["changed"] and result["fact"] == {}
    assert not path.exists() and dpkg.argvs() == []


def test_a_broken_file_is_refused_and_left_alone(run_module, dpkg, tmp_path):
    path = tmp_path / "gpuhost.fact"
    path.write_text("[1]")
    failed, result = run_module(mod, args(path))
    assert failed and "not an object" in result["msg"] and "\n" not in result["msg"]
    assert path.read_text() == "[1]"


def test_a_bad_package_name_is_refused(run_module, dpkg, tmp_path):
    path = tmp_path / "gpuhost.fact"
    failed, result = run_module(mod, {"version": "1.2", "packages": ["--force"], "path": str(path)})
    assert failed and "is not a package name" in result["msg"] and not path.exists()

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._slurm import SlurmError, parse_sinfo, parse_squeue
from ansible_collections.gpuhost.provision.plugins.modules import slurm_node as mod

REASON = "gpuhost.provision driver change"


class FakeSlurm(object):
    """A node as slurmctld keeps it: drain flag, reason, jobs; jobs end when the clock passes their end."""

    def __init__(self, jobs=(), drain=False, reason=""):
        self.jobs = list(jobs)      # [(id, end time)]
        self.drain = drain
        self.reason = reason
        self.now = 0.0
        self.calls = []

    def running(self):
        return [job for job in self.jobs if job[1] > self.now]

    def state(self):
        if self.drain:
            return "draining" if self.running() else "drained"
        return "allocated" if self.running() else "idle"

    def run(self, tool, args):
        self.calls.append([tool] + list(args))
        if tool == "sinfo":
            return "%s|%s\n" % (self.state(), self.reason or "none") if args[3] == "node1" else ""
        if tool == "squeue":
            return "".join("%s|root|RUNNING|wrap\n" % job[0] for job in self.running())
        if args[2] == "state=drain":
            self.drain, self.reason = True, args[3][len("reason="):]
        elif args[2] == "state=resume":
            self.drain, self.reason = False, ""
        return ""

    def updates(self):
        assert all(call[1:3] == ["update", "nodename=node1"] for call in self.calls if call[0] == "scontrol")
        return [call[3:] for call in self.calls if call[0] == "scontrol"]


@pytest.fixture
def slurm(monkeypatch):
    holder = {}

    def install(fake):
        holder["fake"] = fake
        monkeypatch.setattr(mod.Node, "run", lambda self, tool, args: fake.run(tool, args))
        monkeypatch.setattr(mod.time, "monotonic", lambda: fake.now)
        monkeypatch.setattr(mod.time, "sleep", lambda s: setattr(fake, "now", fake.now + s))
        return fake

    return install


def test_parse_sinfo_and_squeue():
    assert parse_sinfo("draining*|gpuhost.provision driver change\n", "n") == {
        "state": "draining", "flags": ["draining"], "responding": False, "reason": REASON}
    assert parse_sinfo("idle|none\n", "n")["reason"] == ""
    assert parse_squeue("12|root|RUNNING|wrap\n\n13|ann|RUNNING|train|x\n") == [
        {"id": "12", "user": "root", "state": "RUNNING", "name": "wrap"},
        {"id": "13", "user": "ann", "state": "RUNNING", "name": "train|x"}]
    with pytest.raises(SlurmError) as info:
        parse_sinfo("", "gpu7")
    assert "gpuhost_workload_node_name" in str(info.value)


def test_drain_waits_for_the_running_job(run_module, slurm):
    fake = slurm(FakeSlurm(jobs=[("12", 25.0)]))
    failed, result = run_module(mod, {"name": "node1", "state": "drained", "wait_timeout": 120, "poll_interval": 10})
    assert not failed and result["changed"]
    assert fake.updates() == [["state=drain", "reason=" + REASON]]
    assert result["states"] == ["allocated", "draining", "drained"] and result["waited"] == 30
    assert result["node"]["state"] == "drained" and result["jobs"] == []


def test_a_job_outlasting_the_wait_leaves_the_node_drained(run_module, slurm):
    fake = slurm(FakeSlurm(jobs=[("12", 1000.0)]))
    failed, result = run_module(mod, {"name": "node1", "state": "drained", "wait_timeout": 30, "poll_interval": 10,
                                      "timeout_option": "gpuhost_workload_drain_timeout"})
    assert failed and "\n" not in result["msg"]
    assert result["msg"].startswith("Slurm node node1 still runs 1 job(s) after 30 s: 12 (wrap, root); it stays "
                                    "drained (reason: %s) and the driver was not changed" % REASON)
    assert "gpuhost_workload_drain_timeout" in result["msg"]
    assert fake.drain and fake.reason == REASON and result["states"][-1] == "draining"


def test_drain_is_idempotent(run_module, slurm):
    fake = slurm(FakeSlurm(drain=True, reason=REASON))
    failed, result = run_module(mod, {"name": "node1", "state": "drained"})
    assert not failed and not result["changed"] and fake.updates() == []


def test_check_mode_neither_drains_nor_waits(run_module, slurm, monkeypatch):
    fake = slurm(FakeSlurm(jobs=[("12", 1000.0)]))
    monkeypatch.setattr(mod.time, "sleep", lambda s: pytest.fail("check mode must not wait"))
    failed, result = run_module(mod, {"name": "node1", "state": "drained"}, check=True, diff=True)
    assert not failed and result["changed"] and fake.updates() == [] and not fake.drain
    assert result["diff"]["before"] == {"state": "allocated", "reason": ""}


def test_resume_only_our_drain(run_module, slurm):
    fake = slurm(FakeSlurm(drain=True, reason=REASON))
    failed, result = run_module(mod, {"name": "node1", "state": "resumed"}, diff=True)
    assert not failed and result["changed"] and fake.updates() == [["state=resume"]]
    assert result["diff"]["after"] == {"state": "idle", "reason": ""}


def test_an_operators_drain_is_never_resumed(run_module, slurm):
    fake = slurm(FakeSlurm(drain=True, reason="bad DIMM, ticket 4411"))
    failed, result = run_module(mod, {"name": "node1", "state": "resumed"})
    assert not failed and not result["changed"] and fake.updates() == [] and fake.drain
    assert "drained by someone else (reason: bad DIMM, ticket 4411)" in result["warnings"][0]


def test_resume_of_a_node_in_service_changes_nothing(run_module, slurm):
    fake = slurm(FakeSlurm())
    failed, result = run_module(mod, {"name": "node1", "state": "resumed"})
    assert not failed and not result["changed"] and fake.updates() == []


@pytest.mark.parametrize("fake, ours", [
    (FakeSlurm(drain=True, reason=REASON), True),                       # a drain a stopped run left
    (FakeSlurm(jobs=[("12", 1000.0)], drain=True, reason=REASON), True),  # draining: a job still runs
    (FakeSlurm(drain=True, reason="bad DIMM, ticket 4411"), False),      # an operator's drain
    (FakeSlurm(reason=REASON), False),                                    # in service (a stale reason)
    (FakeSlurm(), False),
])
def test_query_says_whether_the_drain_is_ours_and_changes_nothing(run_module, slurm, fake, ours):
    slurm(fake)
    failed, result = run_module(mod, {"name": "node1"})
    assert not failed and not result["changed"] and fake.updates() == []
    assert result["ours"] is ours


def test_resume_reports_the_node_no_longer_ours(run_module, slurm):
    slurm(FakeSlurm(drain=True, reason=REASON))
    failed, result = run_module(mod, {"name": "node1", "state": "resumed"})
    assert not failed and result["changed"] and result["ours"] is False


def test_unknown_node_is_refused_untouched(run_module, slurm):
    fake = slurm(FakeSlurm())
    failed, result = run_module(mod, {"name": "gpu7", "state": "drained"})
    assert failed and "gpuhost_workload_node_name" in result["msg"] and fake.updates() == []


def test_a_failing_command_names_itself(run_module, commands):
    commands.bins.update({"sinfo": "/usr/bin/sinfo"})
    commands.on(lambda argv: argv[0] == "/usr/bin/sinfo", rc=1, err="slurm_load_partitions: Unable to contact slurm controller")
    failed, result = run_module(mod, {"name": "node1", "state": "drained"})
    assert failed and result["msg"].startswith("/usr/bin/sinfo -h -N -n node1 -o %T|%E failed (rc 1): slurm_load")

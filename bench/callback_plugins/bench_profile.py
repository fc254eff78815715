# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-task wall time for the benchmarks (dev only: ansible.posix.profile_tasks is not available offline).

Enable with ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins ANSIBLE_CALLBACKS_ENABLED=bench_profile and
BENCH_PROFILE_OUT=<file.json>. Writes, at the end of the run, one JSON object: every task in the order it
ran (name, action, seconds from its start to the last host's result, per-status host counts) and the
recap per host.
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: bench_profile
type: aggregate
short_description: per-task wall time as JSON (gpuhost.provision benchmarks)
description: [Writes the wall time of every task and the recap to the file in BENCH_PROFILE_OUT.]
requirements: [enable in callbacks_enabled]
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_profile"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.tasks = []
        self.current = None
        self.play = ""
        self.started = time.monotonic()

    def v2_playbook_on_play_start(self, play):
        self._close()
        self.play = play.get_name()

    def _close(self):
        if self.current is not None:
            self.current["seconds"] = round((self.current.pop("_last", None) or time.monotonic()) - self.current.pop("_t0"), 4)
            self.tasks.append(self.current)
            self.current = None

    def _start(self, task, kind):
        self._close()
        self.current = {"name": task.get_name(), "action": task.action, "kind": kind, "_t0": time.monotonic(),
                        "hosts": {}, "play": self.play}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task, "task")

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task, "handler")

    def _result(self, status, result):
        if self.current is not None:
            self.current["hosts"][status] = self.current["hosts"].get(status, 0) + 1
            self.current["_last"] = time.monotonic()

    def v2_runner_on_ok(self, result):
        self._result("changed" if result._result.get("changed") else "ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        self._close()
        out = os.environ.get("BENCH_PROFILE_OUT")
        if not out:
            return
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(out, "w") as handle:
            json.dump({"wall_s": round(time.monotonic() - self.started, 4), "tasks": self.tasks, "recap": recap},
                      handle, indent=1)

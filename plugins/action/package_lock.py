# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of gpuhost.provision.package_lock: the waiting loops, with a progress line every report_every
seconds printed through Display (so every stdout callback shows it, the default one included). The host side
(who holds which lock of APT/dpkg or DNF/rpm, dpkg's journal, the stage of an install) is the module of the same
name."""
from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.gpuhost.provision.plugins.module_utils._package_lock import (
    ARGUMENT_SPEC,
    job_failure,
    progress_line,
    timeout_message,
    waiting_line,
)

display = Display()

# what async_status adds to a job's result; left out of the result this action returns
_JOB_KEYS = ("ansible_job_id", "started", "finished", "results_file", "erased", "stdout_lines", "stderr_lines")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        self._vars = task_vars or {}
        self._args = args
        self._host = self._vars.get("inventory_hostname", "?")
        # the task's own name, without its role's (the line starts with the host already)
        self._label = " ".join((self._task.name or self._task.action).split())
        try:
            if args["jid"]:
                result.update(self._follow(args["jid"]))
            else:
                result.update(self._wait())
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _look(self, audit, stage=False):
        return self._execute_module(module_name="gpuhost.provision.package_lock", task_vars=self._vars,
                                    module_args=dict(package_manager=self._args["package_manager"],
                                                     locks=self._args["locks"], audit=audit, stage=stage))

    def _wait(self):
        """Until no process holds a lock (at most timeout s), a line every report_every s naming the holder."""
        args = self._args
        started = time.monotonic()
        first = answer = self._look(args["audit"])
        shown = None   # when the last line was printed: the first one at once, then every report_every s
        while not answer.get("failed") and answer.get("holders"):
            elapsed = time.monotonic() - started
            if elapsed >= args["timeout"]:
                answer = dict(answer, failed=True,
                              msg=timeout_message(answer["holders"], args["timeout"], args["timeout_name"]))
                break
            if shown is None or elapsed - shown >= args["report_every"]:
                display.display(waiting_line(self._host, self._label, answer["holders"], elapsed, args["timeout"]))
                shown = elapsed
            time.sleep(max(args["poll"], 1))
            answer = self._look(args["audit"])
        answer.update(waited=int(time.monotonic() - started), waited_for=first.get("holders", []))
        return answer

    def _async_dir(self):
        return self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async"))

    def _job_status(self, jid, mode="status"):
        return self._execute_module(module_name="ansible.legacy.async_status", task_vars=self._vars,
                                    module_args=dict(jid=jid, mode=mode, _async_dir=self._async_dir()))

    def _wait_on_host(self, job_file, wait):
        """One module execution that waits on the host until the job ends or ``wait`` seconds have passed."""
        args = self._args
        return self._execute_module(module_name="gpuhost.provision.package_lock", task_vars=self._vars,
                                    module_args=dict(package_manager=args["package_manager"], locks=args["locks"],
                                                     audit=False, stage=True, job_file=job_file, job_wait=wait,
                                                     job_take=True))

    def _follow(self, jid):
        """Until the job ends (at most timeout s, 0: no limit), a line every report_every s: stage and elapsed time.
        The host waits for the job (a look every half second) and answers when it ends, with the job's result (its
        results file removed), or every report_every s: the end is seen at once, and a long install costs one module
        execution per progress line and none after it."""
        args = self._args
        started = time.monotonic()
        job_file = "%s/%s" % (self._async_dir(), jid)
        while True:
            elapsed = time.monotonic() - started
            if args["timeout"] and elapsed >= args["timeout"]:
                return dict(failed=True, ansible_job_id=jid,
                            msg="%s did not finish in %d s (timeout); the job goes on on the host: follow it with "
                                "async_status jid=%s" % (self._label, args["timeout"], jid))
            wait = args["report_every"] if not args["timeout"] else min(args["report_every"], args["timeout"] - elapsed)
            answer = self._wait_on_host(job_file, max(int(wait), 1))
            if answer.get("failed"):
                return dict(failed=True, ansible_job_id=jid,
                            msg="%s: could not follow the job on the host: %s" % (self._label, answer.get("msg")))
            if answer.get("job_state") == "running":
                display.display(progress_line(self._host, self._label,
                                              (answer.get("stage") or {}).get("name", "running"),
                                              time.monotonic() - started))
                continue
            if isinstance(answer.get("job"), dict):
                status = answer["job"]   # read, and its file removed, by the same module execution
                break
            # no results file, or one that could not be read: async_status gives the result or says what is wrong
            status = self._job_status(jid)
            if status.get("finished") or status.get("failed") and not status.get("started"):
                self._job_status(jid, mode="cleanup")
                break
            time.sleep(1)   # the results file was being replaced: look again
        job = dict((key, value) for key, value in status.items() if key not in _JOB_KEYS)
        job["elapsed"] = int(time.monotonic() - started)
        if job.get("failed"):
            job["msg"] = job_failure(status)
            if self._display_verbosity() < 1:
                for key in ("stdout", "stderr", "cmd", "invocation"):
                    job.pop(key, None)
        return job

    @staticmethod
    def _display_verbosity():
        return display.verbosity

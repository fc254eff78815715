# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
type: stdout
short_description: screen output for many hosts, failures on one line
version_added: "0.2.0"
author:
  - gpuhost.provision developers (@gpuhost)
description:
  - >-
    The default output, except that a failed task prints one line, C(host: FAILED: reason), instead of the
    module's whole result, and that a C(debug) message is printed as its text instead of as JSON.
  - >-
    The reason is the result's C(msg), or its argument errors (argument specs), or the last line of its standard
    error. With C(-vv) or more the whole result is printed as the default output does.
  - >-
    In quiet mode only what an operator reads on a fleet run is printed: the messages of C(debug) tasks of the
    playbook itself (the summary line of each host, the fleet table; the messages of roles' own C(debug) tasks are
    not shown), failures that no C(rescue) handles, unreachable hosts, retries, the progress of long tasks (async
    polls), warnings, diffs, and the recap. A failure inside a C(block) with a C(rescue) is left to the playbook,
    which reports it (C(gpuhost.provision.site) puts it in the fleet table and fails the host at the end, naming
    the failed task).
  - >-
    A failure whose reason the output has already shown for that host (an earlier failure, or a row of a table that a
    C(debug) task printed, such as C(gpuhost.provision.site)'s fleet table) prints C((the reason is shown above))
    instead of the reason again. The progress of a long asynchronous step names the step and counts the seconds since
    it started on the host.
  - >-
    Select it with C(ANSIBLE_STDOUT_CALLBACK=gpuhost.provision.fleet) or C(stdout_callback) in C(ansible.cfg);
    under AWX (Settings, Jobs, Extra Environment Variables) or ansible-runner set the same environment variable:
    the runner's event callback keeps the output of the callback it names.
extends_documentation_fragment:
  - ansible.builtin.default_callback
  - ansible.builtin.result_format_callback
options:
  quiet:
    description:
      - Print only the summary lines, the fleet table, unhandled failures, progress and the recap.
      - C(-v) or more turns quiet mode off for that run.
    type: bool
    default: false
    env:
      - name: GPUHOST_FLEET_QUIET
    ini:
      - section: gpuhost_fleet
        key: quiet
requirements:
  - set as stdout callback in configuration
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# stdout_callback = gpuhost.provision.fleet
# [gpuhost_fleet]
# quiet = true

# or for one run:
# ANSIBLE_STDOUT_CALLBACK=gpuhost.provision.fleet GPUHOST_FLEET_QUIET=1 ansible-playbook -i inventory playbooks/site.yml
"""

import time

from ansible import constants as C
from ansible.playbook.block import Block
from ansible.plugins.callback.default import CallbackModule as DefaultCallback
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import failure_reason, one_line


DEBUG_ACTIONS = frozenset(("debug", "ansible.builtin.debug", "ansible.legacy.debug"))


def rescued(task):
    """Whether a block around the task has a rescue section (the playbook handles the failure)."""
    parent = getattr(task, "_parent", None)
    while parent is not None:
        if isinstance(parent, Block) and parent.rescue:
            return True
        parent = getattr(parent, "_parent", None)
    return False


def in_role(task):
    return getattr(task, "_role", None) is not None


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "gpuhost.provision.fleet"

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._polls = {}
        self._started = {}
        self._shown_reasons = {}   # host -> the failure reasons printed for it
        self._shown_tables = []    # the multi-line debug messages printed (tables)

    @property
    def _quiet(self):
        return bool(self.get_option("quiet")) and self._display.verbosity < 1

    def _full(self):
        return self._display.verbosity >= 2

    def _debug_message(self, result):
        """The text of a debug task's message (None when it has none: a var= debug, a dump)."""
        if result.task.action not in DEBUG_ACTIONS or "msg" not in result.result:
            return None
        msg = result.result["msg"]
        if isinstance(msg, (list, tuple)):
            return "\n".join(str(line) for line in msg)
        return str(msg)

    # -- banners: none in quiet mode ------------------------------------------------------------------------------
    def v2_playbook_on_play_start(self, play):
        if self._quiet:
            self._play = play
            return
        super(CallbackModule, self).v2_playbook_on_play_start(play)

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._quiet:
            return
        super(CallbackModule, self).v2_playbook_on_task_start(task, is_conditional)

    def v2_playbook_on_handler_task_start(self, task):
        if self._quiet:
            return
        super(CallbackModule, self).v2_playbook_on_handler_task_start(task)

    def v2_playbook_on_include(self, included_file):
        if self._quiet:
            return
        super(CallbackModule, self).v2_playbook_on_include(included_file)

    def v2_playbook_on_no_hosts_remaining(self):
        if self._quiet:
            return
        super(CallbackModule, self).v2_playbook_on_no_hosts_remaining()

    def v2_playbook_on_no_hosts_matched(self):
        # a play for no host (site.yml's provisioning play when every host was held back, its last play when none
        # failed): its banner is not printed in quiet mode either
        if self._quiet:
            return
        super(CallbackModule, self).v2_playbook_on_no_hosts_matched()

    # -- results ----------------------------------------------------------------------------------------------------
    def v2_runner_on_failed(self, result, ignore_errors=False):
        if self._full():
            return super(CallbackModule, self).v2_runner_on_failed(result, ignore_errors)
        if self._quiet and (ignore_errors or rescued(result.task)):
            return None
        if not self._quiet and self._last_task_banner != result.task._uuid:
            self._print_task_banner(result.task)
        # warnings only: the exception of a failed action repeats the reason with the task's source lines
        self._handle_warnings(result.result)
        host = self.host_label(result)
        reason = failure_reason(result.result)
        if reason.startswith(result.host.get_name() + ": "):
            reason = reason[len(result.host.get_name()) + 2:]
        # A reason this output has already shown for the host (a rescued failure, or the row of a table that a debug
        # task printed, such as site.yml's fleet table) is not printed again.
        shown = self._shown_reasons.get(result.host.get_name(), set())
        if len(reason) > 20 and (reason in shown or any(reason in text for text in self._shown_tables)):
            reason = "(the reason is shown above)"
        shown.add(reason)
        self._shown_reasons[result.host.get_name()] = shown
        line = "%s: %s" % (host, reason) if self._quiet else "%s: FAILED: %s" % (host, reason)
        self._display.display(line, color=C.COLOR_ERROR, stderr=self.get_option("display_failed_stderr"))
        if ignore_errors:
            self._display.display("...ignoring", color=C.COLOR_SKIP)
        return None

    def v2_runner_on_unreachable(self, result):
        if self._full():
            return super(CallbackModule, self).v2_runner_on_unreachable(result)
        if not self._quiet and self._last_task_banner != result.task._uuid:
            self._print_task_banner(result.task)
        self._display.display("%s: UNREACHABLE: %s" % (self.host_label(result), failure_reason(result.result)),
                              color=C.COLOR_UNREACHABLE, stderr=self.get_option("display_failed_stderr"))
        return None

    def v2_runner_on_ok(self, result):
        text = self._debug_message(result)
        if text is not None and not self._full():
            if self._quiet and in_role(result.task):
                return None
            if not self._quiet and self._last_task_banner != result.task._uuid:
                self._print_task_banner(result.task)
            self._handle_warnings_and_exception(result)
            if "\n" in text:
                self._shown_tables.append(text)
                self._display.display(text, color=C.COLOR_OK)
            else:
                self._display.display("%s: %s" % (self.host_label(result), text), color=C.COLOR_OK)
            return None
        if self._quiet:
            self._handle_warnings_and_exception(result)
            return None
        return super(CallbackModule, self).v2_runner_on_ok(result)

    def v2_runner_on_skipped(self, result):
        if self._quiet:
            return
        super(CallbackModule, self).v2_runner_on_skipped(result)

    def v2_runner_item_on_ok(self, result):
        if self._quiet:
            self._handle_warnings_and_exception(result)
            return
        super(CallbackModule, self).v2_runner_item_on_ok(result)

    def v2_runner_item_on_skipped(self, result):
        if self._quiet:
            return
        super(CallbackModule, self).v2_runner_item_on_skipped(result)

    def v2_runner_item_on_failed(self, result):
        if self._full():
            return super(CallbackModule, self).v2_runner_item_on_failed(result)
        if self._quiet:
            # the task's own failure (v2_runner_on_failed) names the failed item
            return None
        if self._last_task_banner != result.task._uuid:
            self._print_task_banner(result.task)
        line = "%s: FAILED: %s (item %s)" % (self.host_label(result), failure_reason(result.result),
                                             one_line(self._get_item_label(result.result)))
        self._display.display(line, color=C.COLOR_ERROR, stderr=self.get_option("display_failed_stderr"))
        return None

    def v2_runner_on_start(self, host, task):
        # The async poll's result belongs to an internal async_status task started after the first poll interval:
        # the step's own name and start time are taken here, when the worker starts the task on the host.
        self._started[host.get_name()] = (one_line(task.get_name()), time.monotonic())
        super(CallbackModule, self).v2_runner_on_start(host, task)

    def v2_runner_on_async_poll(self, result):
        host = result.host.get_name()
        name, started = self._started.get(host, (one_line(result.task.get_name()), None))
        if started is None:
            started = self._polls.setdefault((host, result.result.get("ansible_job_id")), time.monotonic())
        self._display.display("%s: still running: %s (%d s)" % (host, name, time.monotonic() - started),
                              color=C.COLOR_DEBUG)

    def v2_runner_on_async_ok(self, result):
        if self._quiet:
            return
        super(CallbackModule, self).v2_runner_on_async_ok(result)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages for people: Python's class names (ansible-core's tagged values included) become plain type names."""
from __future__ import annotations

import json
import re

# <class 'int'>, <class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'>, <type 'str'>
_CLASS = re.compile(r"<(?:class|type) '(?:[\w.]*\.)?(?:_AnsibleTagged|_Ansible|Ansible)?(\w+)'>")
_NAMES = {"nonetype": "null", "unicode": "str", "bytes": "str", "ndarray": "list"}


def plain_types(text) -> str:
    """``<class '..._AnsibleTaggedStr'> cannot be converted to a float`` -> ``str cannot be converted to a float``."""
    def name(match):
        found = match.group(1).lower()
        return _NAMES.get(found, found)
    return _CLASS.sub(name, str(text))


def _lost(result) -> bool:
    """A module that returned nothing at all: the host (or the connection to it) went away during the task."""
    return (str(result.get("msg", "")).startswith("Module result deserialization failed")
            and not str(result.get("module_stdout") or "").strip())


def one_line(text):
    """Whitespace runs (newlines included) become one space."""
    return re.sub(r"\s+", " ", str(text)).strip()


def json_text(value, sort_keys=True):
    """A value as JSON text, for messages that quote what was given (str() of what JSON cannot hold)."""
    try:
        return json.dumps(value, sort_keys=sort_keys)
    except (TypeError, ValueError):
        return json.dumps(str(value))


def failure_reason(result):
    """The one-line reason of a failed result: msg, argument errors, a failed loop item, stderr or the exception."""
    return plain_types(_failure_reason(result))


def _failure_reason(result):
    if _lost(result):
        return ("unreachable: no result came back from the host during this task (rc %s, no output): the host went "
                "away, or its Python could not run" % result.get("rc", "?"))
    errors = result.get("argument_errors")
    if errors:
        return one_line("; ".join(str(e) for e in errors))
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            label = item.get("_ansible_item_label", item.get("item"))
            reason = _failure_reason(item)
            return "%s (item %s)" % (reason, one_line(label)) if label is not None else reason
    msg = result.get("msg")
    if msg and one_line(msg) not in ("", "non-zero return code", "MODULE FAILURE", "All items completed",
                                     "One or more items failed"):
        return one_line(msg)
    for key in ("stderr", "module_stderr", "stdout", "module_stdout", "exception"):
        lines = [line for line in str(result.get(key) or "").splitlines() if line.strip()]
        if lines:
            prefix = "%s (rc %s): " % (one_line(msg), result["rc"]) if msg and "rc" in result else ""
            return prefix + one_line(lines[-1])
    return one_line(msg) if msg else "failed (no message; run with -vv for the whole result)"

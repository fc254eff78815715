# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel module parameters of the nvidia module: the modprobe.d line from a dict, and the comparison with what the
loaded module reports under /sys/module/nvidia/parameters (private, not an API).

modprobe.d(5): ``options <module> <parameter>=<value> ...``; a value with blanks or a ';' is written in double
quotes (the kernel's parameter parser takes a quoted value whole). The loaded module shows each parameter it exports
as a file of that name; integers in decimal, strings as given (an unset string as ``(null)``).
"""
from __future__ import annotations

import os
import re

SYS_PARAMETERS = "/sys/module/nvidia/parameters"
# The driver's own listing of the same parameters, without the NVreg_ prefix ("EnableMSI: 1", strings in double
# quotes); readable where a container hides /sys/module/nvidia/parameters but mounts /proc/driver/nvidia.
PROC_PARAMETERS = "/proc/driver/nvidia/params"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BARE_RE = re.compile(r"^[A-Za-z0-9_.,:+/=-]*$")


class ModuleParamsError(Exception):
    """A parameter that cannot be written into modprobe.d."""


def _text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def normalise(params, option="nvidia_driver_module_params"):
    """{name: value} -> {name: text}, checked; raises ModuleParamsError naming the first bad entry."""
    if not isinstance(params, dict):
        raise ModuleParamsError("%s must be a mapping of parameter names to values, e.g. "
                                "{NVreg_PreserveVideoMemoryAllocations: 1}" % option)
    out = {}
    for name in sorted(params):
        value = _text(params[name])
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ModuleParamsError("%s: %r is not a module parameter name (letters, digits and _), e.g. "
                                    "NVreg_EnableGpuFirmware" % (option, name))
        if value is None or '"' in value or "\n" in value or value == "":
            raise ModuleParamsError("%s: %s must be a number, a boolean or a non-empty string without double quotes or "
                                    "newlines, got %r" % (option, name, params[name]))
        out[name] = value
    return out


def options_line(params, module="nvidia"):
    """normalise()'s answer -> 'options nvidia A=1 B="x;y"', or '' for no parameters."""
    if not params:
        return ""
    words = ["%s=%s" % (name, value if _BARE_RE.match(value) else '"%s"' % value)
             for name, value in sorted(params.items())]
    return "options %s %s" % (module, " ".join(words))


def read_live(directory=SYS_PARAMETERS):
    """{name: text} of the loaded module's parameters, or None when the module is not loaded."""
    if not os.path.isdir(directory):
        return None
    live = {}
    for name in sorted(os.listdir(directory)):
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
                live[name] = handle.read().strip()
        except OSError:
            live[name] = None          # some parameters are write-only or root-only
    return live


def read_proc(path=PROC_PARAMETERS):
    """{NVreg_<name>: text} from the driver's /proc listing, or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    live = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and _NAME_RE.match(name.strip()):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            live["NVreg_" + name.strip()] = value
    return live


def _same(wanted, live):
    if live is None:
        return False
    if wanted == live:
        return True
    try:
        return int(wanted, 0) == int(live, 0)
    except ValueError:
        return {"y": "1", "n": "0"}.get(live.lower()) == wanted


def compare(wanted, live):
    """[{name, wanted, live}] for every wanted parameter the loaded module does not have at that value.

    live is read_live()'s answer; with the module not loaded there is nothing to compare (it takes the
    parameters when it loads)."""
    if live is None:
        return []
    return [{"name": name, "wanted": value, "live": live.get(name)}
            for name, value in sorted(wanted.items()) if not _same(value, live.get(name))]

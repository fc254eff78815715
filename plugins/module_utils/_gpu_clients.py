# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What holds the GPU around a driver change (private, not an API): the services that keep an NVIDIA device open,
in the order they are stopped, and the one-line messages about compute processes.

Stop order: clients before what they need. The MPS control daemon and DCGM's host engine are clients of the
driver; Fabric Manager must run while CUDA runs on NVSwitch boards; nvidia-persistenced keeps the GPUs initialised
for all of them. They start again in the reverse order.
"""
from __future__ import annotations

HOLDER_SERVICES = (
    "nvidia-cuda-mps-control.service",   # the mps role's unit
    "nvidia-dcgm.service",               # nv-hostengine, NVIDIA's DCGM packages
    "dcgm.service",                      # nv-hostengine, older DCGM packages
    "nvidia-fabricmanager.service",
    "nvidia-persistenced.service",
)


def parse_systemctl_show(text: str, units: list) -> dict:
    """``systemctl show --property=Id,LoadState,ActiveState,UnitFileState <units>`` -> {unit: {present, active,
    enabled}}. systemctl prints one block per unit, in order, separated by a blank line; a block is matched by its
    Id= where it has one, else by its position."""
    state = dict((unit, {"present": False, "active": False, "enabled": False}) for unit in units)
    blocks = [block for block in text.strip().split("\n\n") if block.strip()]
    for position, block in enumerate(blocks):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit = props.get("Id") or (units[position] if position < len(units) else None)
        if unit not in state:
            continue
        state[unit] = {"present": props.get("LoadState") not in (None, "", "not-found"),
                       "active": props.get("ActiveState") in ("active", "reloading"),   # not a unit in a restart loop
                       "enabled": props.get("UnitFileState") in ("enabled", "static", "enabled-runtime")}
    return state


def stop_order(units) -> list:
    """The units in HOLDER_SERVICES order; unknown names keep their given order, before the known ones."""
    known = [unit for unit in HOLDER_SERVICES if unit in units]
    return [unit for unit in units if unit not in HOLDER_SERVICES] + known


def start_order(units) -> list:
    return list(reversed(stop_order(units)))


def to_stop(state: dict) -> list:
    """The active units, in stop order."""
    return stop_order([unit for unit, info in state.items() if info["active"]])


def to_start(stopped, state: dict) -> list:
    """Of the units stopped before the change, those not active now, in start order."""
    return [unit for unit in start_order(stopped) if not state.get(unit, {}).get("active")]


def describe_processes(processes, limit=10) -> str:
    """[{'pid', 'name'}] -> 'python3 (4242), trainer (4300) and 3 more'."""
    shown = ", ".join("%s (%s)" % (p.get("name") or "?", p["pid"]) for p in processes[:limit])
    return shown + (" and %d more" % (len(processes) - limit) if len(processes) > limit else "")


def busy_message(processes, waited, option) -> str:
    """The one-line refusal when compute processes outlast the wait."""
    return ("%d GPU compute process(es) still running%s: %s; the driver was not changed: stop them, drain the node, "
            "or raise %s" % (len(processes), " after waiting %d s" % waited if waited else "",
                             describe_processes(processes), option))

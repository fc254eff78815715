# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Locked clock ranges: checking a range against a GPU's supported clocks, and the record of what was locked.

NVML can lock the graphics and memory clocks to a range (nvmlDeviceSetGpuLockedClocks,
nvmlDeviceSetMemoryLockedClocks) but offers no call that reads the locked range back, and neither does
nvidia-smi. So that a second run changes nothing, what nvidia_gpu_settings locked is kept in a small JSON record
on the host, valid for one boot and one loaded driver: a record written under another boot id or driver version
is ignored (the driver forgets locked clocks when it is unloaded or the host reboots). Private, not an API.
"""
from __future__ import annotations

import json
import os

# The record's default place: /run is emptied at boot, like the locked clocks.
DEFAULT_RECORD = "/run/gpuhost-provision/locked-clocks.json"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
UNLOCKED = "unlocked"


def clock_range(value):
    """{'min_mhz', 'max_mhz'} or {'reset': True} -> {'min_mhz': int, 'max_mhz': int} or 'unlocked'."""
    if value.get("reset"):
        return UNLOCKED
    return {"min_mhz": int(value["min_mhz"]), "max_mhz": int(value["max_mhz"])}


def supported_bounds(domain, table):
    """The lowest and highest clock of a domain in a supported-clocks table {mem_mhz: [graphics_mhz]}, or None."""
    if not table:
        return None
    if domain == "memory":
        clocks = list(table)
    else:
        clocks = [graphics for values in table.values() for graphics in values]
    return (min(clocks), max(clocks)) if clocks else None


def range_problem(option, wanted, table):
    """Why a wanted range cannot be locked on a GPU with this supported-clocks table; None when it can.

    option is 'locked_graphics_clocks' or 'locked_memory_clocks'; wanted is clock_range()'s answer."""
    if wanted == UNLOCKED:
        return None
    low, high = wanted["min_mhz"], wanted["max_mhz"]
    if low <= 0 or high <= 0:
        return "%s min_mhz and max_mhz must be positive MHz, got %d-%d" % (option, low, high)
    if low > high:
        return "%s min_mhz %d is above max_mhz %d: give the lower clock as min_mhz" % (option, low, high)
    bounds = supported_bounds(option.split("_")[1], table)
    if bounds is None:
        return None
    if low < bounds[0] or high > bounds[1]:
        return ("%s %d-%d MHz is outside the GPU's supported %s clocks %d-%d MHz (nvidia-smi -q -d SUPPORTED_CLOCKS)"
                % (option, low, high, option.split("_")[1], bounds[0], bounds[1]))
    return None


def read_boot_id(path=BOOT_ID):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


class LockedClockRecord:
    """What was locked per GPU UUID and domain, for this boot and driver: {uuid: {domain: range or 'unlocked'}}."""

    def __init__(self, path, boot_id, driver_version):
        self.path = path
        self.stamp = {"boot_id": boot_id, "driver_version": driver_version}
        self.gpus = {}
        self.changed = False

    def load(self):
        """Read the record; one from another boot or driver, or unreadable, counts as empty."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return self
        if isinstance(data, dict) and all(data.get(k) == v for k, v in self.stamp.items()) \
                and isinstance(data.get("gpus"), dict):
            self.gpus = data["gpus"]
        return self

    def get(self, uuid, domain):
        """The recorded range or 'unlocked'; None when this run cannot know (nothing recorded)."""
        return self.gpus.get(uuid or "", {}).get(domain)

    def put(self, uuid, domain, value):
        if self.get(uuid, domain) != value:
            self.gpus.setdefault(uuid or "", {})[domain] = value
            self.changed = True

    def save(self):
        if not self.changed:
            return
        directory = os.path.dirname(self.path)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        data = dict(self.stamp, gpus=self.gpus)
        temp = self.path + ".tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
        os.replace(temp, self.path)
        self.changed = False

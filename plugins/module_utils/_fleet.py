# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The table of hosts that site.yml and validate.yml print (filters ``fleet_table``, ``validate_table``,
``site_table``): the shared columns first, then the playbook's own.

Private module_utils: not an API.
"""
from __future__ import annotations


SHARED = ("host", "result", "driver", "GPUs nvml/pci")


def _cell(value):
    text = " ".join(str(value).split()) if value is not None else ""
    return text or "-"


def fleet_table(rows, columns=None, ok=None):
    columns = list(columns or [])
    ok = set(ok or ("ok", "changed", "would change", "OK"))
    lines = [" | ".join(SHARED + tuple(columns))]
    done = 0
    for row in rows:
        more = list(row.get("more") or [])
        more += [None] * (len(columns) - len(more))
        cells = [row.get("host"), row.get("result"), row.get("driver"), row.get("gpus")] + more[:len(columns)]
        lines.append(" | ".join(_cell(v) for v in cells))
        done += str(row.get("result")) in ok
    lines.append("%d host(s): %d done, %d failed or not run" % (len(rows), done, len(rows) - done))
    return lines

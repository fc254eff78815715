# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DCGM's answers, read: ``dcgmi health --check --json`` and ``dcgmi diag -r 1 --json`` (private, not an API).

The health check's JSON is dcgmi's generic output tree (dcgmi/DcgmiOutput.cpp in NVIDIA/DCGM): ``header`` (a list
of lines) and ``body``, where every node may hold ``value`` (a string), ``overflow`` (more lines) and
``children``. ``body`` holds ``Overall Health`` and one section per entity group (``GPU``, ``Switch``, ...) whose
children are entity ids; each entity has its health as value and ``Errors`` -> one child per health system
(``PCIe system``, ``Memory system``, ...) with the system's health as value and its messages as overflow.
Health is one of ``Healthy``, ``Warning``, ``Failure`` (dcgmi/Health.cpp).

The diagnostic's JSON (DCGM 4, testing/python3/dcgm_diag_schema.json in NVIDIA/DCGM): ``DCGM Diagnostic`` ->
``test_categories`` -> ``tests`` -> ``results`` with ``entity_group``, ``entity_id``, ``status`` (``Pass``,
``Fail``, ``Warn``, ``Skip``, ``Not Run``) and ``warnings`` (``warning`` text), or ``runtime_error``.
"""
from __future__ import annotations

import json

HEALTH_ORDER = ("Healthy", "Warning", "Failure")
# dcgmi's messages when nv-hostengine is not reachable (dcgmi/Command.cpp) and when no watch is set (Health.cpp).
NO_HOSTENGINE = ("unable to establish a connection", "Unable to connect to host engine")
NO_WATCHES = "Health watches not enabled"


class DcgmOutputError(Exception):
    """dcgmi answered something this module cannot read."""


def _load(text, what):
    if not text.strip():
        raise DcgmOutputError("%s printed nothing" % what)
    try:
        data = json.loads(text)
    except ValueError:
        raise DcgmOutputError("%s did not print JSON: %s" % (what, " ".join(text.split())[:200]))
    if not isinstance(data, dict):
        raise DcgmOutputError("%s printed JSON that is not an object" % what)
    return data


def _lines(node):
    """A node's value and overflow lines joined into one message, dcgmi's wrapping undone."""
    return " ".join(str(line).strip() for line in node.get("overflow", []) if str(line).strip())


def parse_health(text):
    """dcgmi health -c -j -> {'overall': 'Healthy', 'entities': [{group, id, health, incidents: [{system, health,
    message}]}]}; an entity without incidents does not appear (dcgmi lists only entities with incidents)."""
    data = _load(text, "dcgmi health --check --json")
    body = data.get("body")
    if not isinstance(body, dict) or "Overall Health" not in body:
        raise DcgmOutputError("dcgmi health --check --json printed no 'Overall Health'")
    overall = body["Overall Health"].get("value", "")
    entities = []
    for group, section in body.items():
        if group == "Overall Health" or not isinstance(section, dict):
            continue
        for entity_id, entity in sorted(section.get("children", {}).items(), key=lambda kv: _as_int(kv[0])):
            errors = entity.get("children", {}).get("Errors", {}).get("children", {})
            incidents = [{"system": system, "health": node.get("value", ""), "message": _lines(node)}
                         for system, node in errors.items()]
            entities.append({"group": group, "id": _as_int(entity_id), "health": entity.get("value", ""),
                             "incidents": incidents})
    return {"overall": overall, "entities": entities}


def parse_diag(text):
    """dcgmi diag -r 1 -j -> {'error': str or None, 'entities': {(group, id): {'status', 'failed', 'warnings'}}}.

    An entity's status is the worst of its results (Fail > Warn > Pass; Skip and Not Run do not count)."""
    data = _load(text, "dcgmi diag --json")
    diag = data.get("DCGM Diagnostic")
    if not isinstance(diag, dict):
        raise DcgmOutputError("dcgmi diag --json printed no 'DCGM Diagnostic'")
    entities = {}
    for category in diag.get("test_categories", []):
        for test in category.get("tests", []):
            for result in test.get("results", []):
                key = (result.get("entity_group", "GPU"), _as_int(result.get("entity_id")))
                entry = entities.setdefault(key, {"status": "Pass", "failed": [], "warnings": []})
                status = result.get("status", "")
                if status in ("Fail", "Warn"):
                    entry["failed" if status == "Fail" else "warnings"].append(
                        "%s: %s" % (test.get("name", "?"), "; ".join(
                            w.get("warning", "") for w in result.get("warnings", [])) or status))
                if status == "Fail" or (status == "Warn" and entry["status"] == "Pass"):
                    entry["status"] = status
    return {"error": diag.get("runtime_error") or None, "entities": entities}


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def unreachable(out, err):
    """True when dcgmi could not reach nv-hostengine."""
    text = out + err
    return any(needle in text for needle in NO_HOSTENGINE)


def report(health, diag, gpu_ids):
    """Per GPU: health, incidents, diagnostic status; and the problems and notes for validate.yml.

    health is parse_health()'s answer, diag parse_diag()'s or None (not run); gpu_ids the GPUs DCGM knows
    (from NVML's count: DCGM numbers GPUs as NVML does). Failure and a failed diagnostic are problems; a
    warning is a note."""
    gpus = dict((gpu_id, {"id": gpu_id, "health": "Healthy", "incidents": [], "diag": None}) for gpu_id in gpu_ids)
    problems, notes = [], []
    for entity in health["entities"]:
        if entity["group"] == "GPU":
            gpu = gpus.setdefault(entity["id"], {"id": entity["id"], "health": "Healthy", "incidents": [],
                                                 "diag": None})
            gpu.update(health=entity["health"], incidents=entity["incidents"])
        for incident in entity["incidents"]:
            line = "DCGM health %s %s %s: %s (%s)" % (
                entity["group"], entity["id"], incident["system"], incident["health"], incident["message"])
            (problems if incident["health"] == "Failure" else notes).append(line)
    if diag is not None:
        if diag["error"]:
            problems.append("DCGM diagnostic did not run: " + diag["error"])
        for (group, entity_id), result in sorted(diag["entities"].items(), key=lambda kv: str(kv[0])):
            if group == "GPU" and entity_id in gpus:
                gpus[entity_id]["diag"] = result["status"]
            for failed in result["failed"]:
                problems.append("DCGM diagnostic failed on %s %s: %s" % (group, entity_id, failed))
            for warning in result["warnings"]:
                notes.append("DCGM diagnostic warning on %s %s: %s" % (group, entity_id, warning))
    return [gpus[key] for key in sorted(gpus, key=str)], problems, notes


def summary(gpus, overall, diag_ran):
    """One line per host: 'Healthy (GPU 0 Healthy, GPU 1 Warning); diag -r 1: GPU 0 Pass, GPU 1 Pass'."""
    parts = ", ".join("GPU %s %s" % (g["id"], g["health"]) for g in gpus)
    line = "%s (%s)" % (overall, parts) if parts else overall
    if diag_ran:
        line += "; diag -r 1: " + (", ".join("GPU %s %s" % (g["id"], g["diag"] or "not run") for g in gpus) or "-")
    return line

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""P1, P2 (and opt-in P5) on this machine; called by bench/run.sh, which sets the environment.

P1  no-op playbooks/site.yml and playbooks/validate.yml on one converged Debian 12 container vs the engine
    floor (bench/floor.yml: fact gathering + one ping), same host, same connection; each round runs floor, site
    and validate, in a rotating order.
P2  1, 4, 8, 16 converged containers, forks = host count, no-op site.yml (and with BENCH_P2_BOOKS the floor
    and validate.yml), pipelining off and on; every round runs each (host count, pipelining, playbook) once,
    so the ratios to one host are side by side.
P5  `scripts/test.sh` (what `make test` runs) cold and warm in a fresh clone of HEAD (opt-in).

Wall time: time.perf_counter around the ansible-playbook process. Controller CPU: the growth of
resource.getrusage(RUSAGE_CHILDREN) over the run (user + system of ansible-playbook, its workers and the
podman processes they start and wait for). Results: bench/results/bench-<time>.json and .md.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "results")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
P2_RUNS = int(os.environ.get("BENCH_P2_RUNS", str(RUNS)))
HOSTS = [int(h) for h in os.environ.get("BENCH_HOSTS", "1 4 8 16").split()]
PIPELINING = os.environ.get("BENCH_PIPELINING", "off on").split()
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "900"))  # one ansible-playbook run
EXTRA_VARS = os.environ.get("BENCH_EXTRA_VARS", "").split()  # each passed as -e
# "on": the test hosts' connection (molecule/_shared/connection_plugins/podman.py), upstream's with pipelining
CONNECTION = {"off": "containers.podman.podman", "on": "podman"}
# P2 playbooks: site (always) and, with BENCH_P2_FLOOR=1, the engine floor at the same host counts in the same
# rounds: how any play scales on this machine, next to site.yml.
P2_BOOKS = os.environ.get("BENCH_P2_BOOKS", "site" + (" floor" if os.environ.get("BENCH_P2_FLOOR", "0") == "1" else "")).split()
BOOKS = {"site": os.path.join(ROOT, "playbooks", "site.yml"), "floor": os.path.join(BENCH, "floor.yml"),
         "validate": os.path.join(ROOT, "playbooks", "validate.yml")}
# validate.yml on the bench's containers (no GPU): the GPU checks would fail every host; the cost is the same
BOOK_VARS = {"validate": ["validate_expect_gpu=false"]}


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


def inventory(n):
    path = os.path.join(RESULTS, "inventory-%d.yml" % n)
    subprocess.run(["bash", "-c", '. "%s/lib.sh"; write_inventory "%s" %d' % (BENCH, path, n)], check=True)
    return path


def play(playbook, n, pipelining, tag, book_vars=()):
    """One ansible-playbook run; returns wall, cpu, recap and the task profile."""
    profile = os.path.join(RESULTS, "profile-%s.json" % tag)
    env = dict(os.environ, ANSIBLE_PIPELINING="1" if pipelining == "on" else "0",
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(BENCH, "callback_plugins"),
               ANSIBLE_CONNECTION_PLUGINS=os.path.join(ROOT, "molecule", "_shared", "connection_plugins"),
               # `podman exec` per command, as the recorded figures were measured (nsenter: GPUHOST_CONTAINER_EXEC=nsenter)
               GPUHOST_CONTAINER_EXEC=os.environ.get("GPUHOST_CONTAINER_EXEC", "podman"),
               ANSIBLE_CALLBACKS_ENABLED="bench_profile", BENCH_PROFILE_OUT=profile)
    argv = ["ansible-playbook", "-i", inventory(n), "--forks", str(n), "-e", "ansible_connection=" + CONNECTION[pipelining]]
    for extra in EXTRA_VARS + list(book_vars):
        argv += ["-e", extra]
    argv.append(playbook)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(os.path.join(RESULTS, "run-%s.log" % tag), "w") as log:
        try:
            rc = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=TIMEOUT, check=False).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with open(profile) as handle:
            prof = json.load(handle)
    except (OSError, ValueError):
        prof = {"tasks": [], "recap": {}}
    recap = prof["recap"]
    total = dict((k, sum(r.get(k, 0) for r in recap.values())) for k in ("ok", "changed", "failures", "unreachable", "skipped"))
    return {"rc": rc, "wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "tasks": len(prof["tasks"]), "recap": total, "profile": prof["tasks"]}


def med(values):
    return statistics.median(values) if values else float("nan")


def summary(runs):
    return {"wall_s": med([r["wall_s"] for r in runs]), "wall_min_s": min(r["wall_s"] for r in runs),
            "wall_max_s": max(r["wall_s"] for r in runs), "cpu_s": med([r["cpu_s"] for r in runs]),
            "tasks": runs[-1]["tasks"], "recap": runs[-1]["recap"], "rcs": sorted(set(r["rc"] for r in runs)),
            "n": len(runs)}


def by_seconds(row):
    return -row["median_s"]


def by_total(row):
    return -row[2]


def task_profile(runs, top=12):
    """Median seconds per task over runs (tasks matched by position and name)."""
    rows = {}
    for run in runs:
        for i, task in enumerate(run["profile"]):
            rows.setdefault((i, task["name"], task["action"]), []).append(task["seconds"])
    table = [{"task": name, "action": action, "median_s": med(times), "n": len(times)}
             for (_i, name, action), times in rows.items()]
    total = sum(r["median_s"] for r in table)
    by_action = {}
    for row in table:
        by_action.setdefault(row["action"], [0, 0.0])
        by_action[row["action"]][0] += 1
        by_action[row["action"]][1] += row["median_s"]
    plays = {}
    for run in runs:
        for task in run["profile"]:
            plays.setdefault(task.get("play", "?"), {}).setdefault(id(run), 0.0)
            plays[task.get("play", "?")][id(run)] += task["seconds"]
    by_play = [[name, med(list(per_run.values()))] for name, per_run in plays.items()]
    return {"top": sorted(table, key=by_seconds)[:top], "sum_s": total, "by_play": by_play,
            "by_action": sorted(([a, c, s] for a, (c, s) in by_action.items()), key=by_total)}


def p1(out):
    names = ["floor", "site", "validate"]
    res = {"load_before": load(), "floor": [], "site": [], "validate": []}
    play(BOOKS["floor"], 1, "off", "p1-warmup")
    for i in range(RUNS):
        order = names[i % 3:] + names[:i % 3]
        for name in order:
            res[name].append(play(BOOKS[name], 1, "off", "p1-%s-%d" % (name, i), BOOK_VARS.get(name, ())))
            last = res[name][-1]
            print("  P1 run %d %-8s %.2fs cpu %.2fs (load %s)" % (i + 1, name, last["wall_s"], last["cpu_s"], load()),
                  file=sys.stderr)
    res["load_after"] = load()
    res["ratios"] = [s["wall_s"] / f["wall_s"] for s, f in zip(res["site"], res["floor"])]
    res["validate_ratios"] = [s["wall_s"] / f["wall_s"] for s, f in zip(res["validate"], res["floor"])]
    res["cpu_ratios"] = [s["cpu_s"] / f["cpu_s"] for s, f in zip(res["site"], res["floor"])]
    res["validate_cpu_ratios"] = [s["cpu_s"] / f["cpu_s"] for s, f in zip(res["validate"], res["floor"])]
    res["profile"] = task_profile(res["site"])
    res["validate_profile"] = task_profile(res["validate"])
    res["floor_summary"], res["site_summary"] = summary(res["floor"]), summary(res["site"])
    res["validate_summary"] = summary(res["validate"])
    for key in names:
        for run in res[key]:
            run.pop("profile")
    out["P1"] = res


def p2(out):
    books = BOOKS
    res = {"load_before": load(), "runs": {}}
    for r in range(P2_RUNS):
        for n in HOSTS:
            for pip in PIPELINING:
                for book in P2_BOOKS:
                    key = "%d/%s/%s" % (n, pip, book)
                    run = play(books[book], n, pip, "p2-%s-%d-%s-%d" % (book, n, pip, r), BOOK_VARS.get(book, ()))
                    run.pop("profile")
                    run["load"] = load()
                    res["runs"].setdefault(key, []).append(run)
                    print("  P2 round %d hosts %2d pipelining %-3s %-5s %.2fs cpu %.2fs (load %s)"
                          % (r + 1, n, pip, book, run["wall_s"], run["cpu_s"], run["load"]), file=sys.stderr)
    res["load_after"] = load()
    res["summary"] = {}
    for book in P2_BOOKS:
        for pip in PIPELINING:
            base = res["runs"].get("%d/%s/%s" % (HOSTS[0], pip, book))
            for n in HOSTS:
                runs = res["runs"]["%d/%s/%s" % (n, pip, book)]
                s = summary(runs)
                # ratio per round (side by side), then the median of those ratios
                s["ratio_to_first"] = med([a["wall_s"] / b["wall_s"] for a, b in zip(runs, base)])
                s["cpu_per_host_s"] = s["cpu_s"] / n
                res["summary"]["%d/%s/%s" % (n, pip, book)] = s
    out["P2"] = res


def p5(out):
    """scripts/test.sh cold then warm in a fresh clone of HEAD (its own venvs and caches)."""
    res = {"load_before": load()}
    with tempfile.TemporaryDirectory(prefix="gpuhost-p5-") as tmp:
        clone = os.path.join(tmp, "provision")
        subprocess.run(["git", "clone", "-q", ROOT, clone], check=True)
        env = dict(os.environ)
        env.pop("ANSIBLE_COLLECTIONS_PATH", None)
        for name in ("cold", "warm"):
            start = time.perf_counter()
            with open(os.path.join(RESULTS, "p5-%s.log" % name), "w") as log:
                rc = subprocess.run(["bash", "scripts/test.sh"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    check=False).returncode
            res[name] = {"wall_s": time.perf_counter() - start, "rc": rc, "load": load()}
            print("  P5 %s %.0fs rc %d" % (name, res[name]["wall_s"], rc), file=sys.stderr)
    out["P5"] = res


def markdown(out):
    lines = ["machine: %d CPUs; %s; git %s; extra vars: %s" % (os.cpu_count(), out["date"], out["git"],
                                                               " ".join(out["extra_vars"]) or "none"), ""]
    if "P1" in out:
        r = out["P1"]
        f, s = r["floor_summary"], r["site_summary"]
        lines += ["## P1 no-op site.yml vs engine floor (1 host, pipelining off, median of %d, load %s -> %s)" % (
            f["n"], r["load_before"], r["load_after"]), "",
            "| playbook | tasks run | ok/changed/skipped/failed | wall median s | min | max | controller CPU s |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, x in (("floor (facts + ping)", f), ("site.yml", s), ("validate.yml", r["validate_summary"])):
            rc = x["recap"]
            lines.append("| %s | %d | %d/%d/%d/%d | %.2f | %.2f | %.2f | %.2f |" % (
                name, x["tasks"], rc["ok"], rc["changed"], rc["skipped"], rc["failures"], x["wall_s"],
                x["wall_min_s"], x["wall_max_s"], x["cpu_s"]))
        lines += ["", "site/floor ratio (median of per-pair ratios): **%.2fx** (target <= 2x; pairs: %s)" % (
            med(r["ratios"]), ", ".join("%.2f" % x for x in r["ratios"])), "",
            "validate/floor ratio: **%.2fx** (pairs: %s)" % (
            med(r["validate_ratios"]), ", ".join("%.2f" % x for x in r["validate_ratios"])), "",
            "controller CPU ratios: site/floor %.2fx, validate/floor %.2fx" % (
            med(r["cpu_ratios"]), med(r["validate_cpu_ratios"])), "",
            "Slowest tasks of site.yml (median s over the runs; sum of all tasks %.2f s):" % r["profile"]["sum_s"], "",
            "| s | action | task |", "| --- | --- | --- |"]
        lines += ["| %.2f | %s | %s |" % (t["median_s"], t["action"], t["task"]) for t in r["profile"]["top"]]
        lines += ["", "By action: " + "; ".join("%s x%d %.1fs" % (a, c, t) for a, c, t in r["profile"]["by_action"][:10]), ""]
        lines += ["By play (median s of the tasks' wall time): " + "; ".join("%s %.2fs" % (p, t) for p, t in r["profile"]["by_play"]), ""]
        lines += ["validate.yml by action: " + "; ".join("%s x%d %.1fs" % (a, c, t) for a, c, t in r["validate_profile"]["by_action"][:10]), ""]
    if "P2" in out:
        r = out["P2"]
        lines += ["## P2 no-op site.yml, forks = hosts (median of %d rounds, load %s -> %s)" % (
            P2_RUNS, r["load_before"], r["load_after"]), "",
            "| playbook | hosts | pipelining | wall median s | min | max | x 1 host | controller CPU s | CPU s per host | recap ok/changed/failed |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for key, s in r["summary"].items():
            n, pip, book = key.split("/")
            rc = s["recap"]
            lines.append("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d/%d/%d |" % (
                book, n, pip, s["wall_s"], s["wall_min_s"], s["wall_max_s"], s["ratio_to_first"], s["cpu_s"],
                s["cpu_per_host_s"], rc["ok"], rc["changed"], rc["failures"]))
        lines.append("")
    if "P5" in out:
        r = out["P5"]
        lines += ["## P5 scripts/test.sh in a fresh clone", "",
                  "| run | wall s | rc | load after |", "| --- | --- | --- | --- |"]
        lines += ["| %s | %.0f | %d | %s |" % (k, r[k]["wall_s"], r[k]["rc"], r[k]["load"]) for k in ("cold", "warm")]
    return "\n".join(lines)


def main():
    parts = sys.argv[1:] or ["p1", "p2"]
    head = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True, check=False)
    out = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "runs": RUNS, "extra_vars": EXTRA_VARS, "p2_runs": P2_RUNS, "hosts": HOSTS,
           "git": head.stdout.strip()}
    for part in parts:
        globals()[part](out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(RESULTS, "bench-%s.json" % stamp), "w") as handle:
        json.dump(out, handle, indent=1)
    text = markdown(out)
    with open(os.path.join(RESULTS, "bench-%s.md" % stamp), "w") as handle:
        handle.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""P7: controller cost of site.yml's input play at many hosts, without any host.

The hosts are TEST-NET-1 addresses (RFC 5737) that nothing answers. One host has a bad input, so the input play
holds every host back and site.yml never connects (tests/integration/playbooks relies on the same). What is measured is
the controller CPU (getrusage of the children) of the whole run, for N hosts, next to a baseline play in the same
round: one set_fact per host on the same inventory (what any play costs per host on this controller).
Optionally the same for another revision of site.yml (BENCH_INPUTS_BEFORE=<git rev>), run from a copy in playbooks/.

    python3 bench/inputs.py                         # N = 1 16 64 128, 2 rounds
    BENCH_INPUTS_HOSTS="1 64" BENCH_INPUTS_BEFORE=2e7b3fa python3 bench/inputs.py
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
HOSTS = [int(h) for h in os.environ.get("BENCH_INPUTS_HOSTS", "1 16 64 128").split()]
ROUNDS = int(os.environ.get("BENCH_INPUTS_ROUNDS", "2"))
FORKS = os.environ.get("BENCH_INPUTS_FORKS", "16")
BEFORE = os.environ.get("BENCH_INPUTS_BEFORE", "")
BASELINE = """
- name: Baseline, one controller-side task per host
  hosts: gpu_nodes
  gather_facts: false
  tasks:
    - name: Set a fact
      ansible.builtin.set_fact:
        x: 1
"""


def inventory(path, n):
    hosts = {"n%d" % i: {"ansible_host": "192.0.2.%d" % (i % 250 + 1), "nvidia_driver_cuda_version": "12.2"}
             for i in range(n)}
    hosts["n0"]["nvidia_driver_reboot"] = "sometimes"  # the bad input that holds every host back
    with open(path, "w") as handle:
        json.dump({"gpu_nodes": {"hosts": hosts}}, handle)


def run(playbook, inv):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_TIMEOUT="2")
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inv, "--forks", FORKS, playbook]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if "UNREACHABLE" in done.stdout:
        raise SystemExit("a host was contacted: the input play did not hold every host back")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    books = {"site": os.path.join(ROOT, "playbooks", "site.yml")}
    tmp = tempfile.mkdtemp(prefix="gpuhost-inputs-")
    base = os.path.join(tmp, "baseline.yml")
    with open(base, "w") as handle:
        handle.write(BASELINE)
    books["baseline"] = base
    copy = None
    if BEFORE:
        copy = os.path.join(ROOT, "playbooks", ".bench-site-%s.yml" % BEFORE)
        with open(copy, "w") as handle:
            handle.write(subprocess.run(["git", "show", "%s:playbooks/site.yml" % BEFORE], cwd=ROOT, check=True,
                                        capture_output=True, text=True).stdout)
        books["site@" + BEFORE] = copy
    res = {}
    try:
        for r in range(ROUNDS):
            for n in HOSTS:
                inv = os.path.join(tmp, "inv-%d.json" % n)
                inventory(inv, n)
                for name, book in books.items():
                    wall, cpu = run(book, inv)
                    res.setdefault((name, n), []).append((wall, cpu))
                    print("  round %d %-16s %4d hosts wall %6.2fs cpu %6.2fs (load %.2f)"
                          % (r + 1, name, n, wall, cpu, os.getloadavg()[0]), file=sys.stderr)
    finally:
        if copy:
            os.unlink(copy)
    print("| playbook | hosts | wall s | controller CPU s | CPU s per host | CPU x baseline |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (name, n), runs in res.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        ratio = statistics.median(run[1] / base[1] for run, base in zip(runs, res[("baseline", n)]))
        print("| %s | %d | %.2f | %.2f | %.3f | %.2f |" % (name, n, wall, cpu, cpu / n, ratio))


if __name__ == "__main__":
    main()

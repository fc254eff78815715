# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A first install: playbooks/site.yml on a fresh Debian 12 container vs the package-manager floor, side by side.

The floor is what the package manager itself needs for the same result, on a fresh container of the same image:
apt-get update, apt-get install --no-install-recommends of the packages site.yml asked apt for (read from the first
site.yml host's /var/log/apt/history.log: the driver's packages, nvidia-persistenced and python3-pynvml, which the
NVML modules use), apt-mark hold of the driver packages site.yml holds, systemctl enable nvidia-persistenced,
ldconfig. The Ansible floor is the same five steps as five Ansible tasks (bench/first_install_floor.yml) over
site.yml's inventory and transport: what Ansible alone adds to them (its start and a module execution per step). Each
round starts a fresh container for each of the three and runs them in alternating order (site.yml first in even
rounds, last in odd ones). The inventory is bench/lib.sh's (CUDA 12.2, no DKMS build in a container, no reboot).

Where the rest goes: every task's wall time (bench_profile callback), grouped into index refreshes, the install
(the asynchronous apt run and its polling), the driver's pre-flight, the rest of the driver role, the other roles
and the playbook's own tasks; the install's excess over the floor's apt-get install is the poll latency.

The transport (BENCH_TRANSPORT): "podman" (default) runs every task through `podman exec` (with pipelining), which
costs a `podman mount` and a `podman exec` per task; "ssh" installs openssh-server in each fresh container before the
clock starts (its package index removed again, so the host is as fresh as before) and runs site.yml over SSH with
pipelining and Ansible's default persistent control connection (ControlMaster, ControlPersist), as a fleet is
reached. The floor is one
command either way.

Run it with: bash bench/first_install.sh (it starts test containers; run nothing else that does beside it)
Prints markdown tables; the raw numbers go to bench/results/first-install-<time>.json (git-ignored), which
`python3 bench/first_install.py FILE` prints again.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "results")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
IMAGE = os.environ.get("BENCH_IMAGE", "localhost/gpuhost-test-debian12")
PROXY = os.environ.get("GPUHOST_APT_PROXY", "")
HOST = "gpuhost-bench-1"
TRANSPORT = os.environ.get("BENCH_TRANSPORT", "podman")
SSH_KEY = os.path.join(RESULTS, "first-install-ssh-key")
FLOOR_STEPS = ("update", "install", "hold", "enable", "ldconfig")


def sh(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


def fresh():
    """A fresh, booted container of IMAGE named HOST, pointed at the machine's package cache when there is one."""
    sh(["podman", "rm", "-f", "-t", "0", HOST])
    started = sh(["podman", "run", "-d", "--name", HOST, "--hostname", HOST, "--systemd=always", IMAGE])
    if started.returncode:
        sys.exit("bench: podman run failed: %s" % started.stderr.strip())
    sh(["bash", "-c", '. "%s/lib.sh"; wait_booted %s' % (BENCH, HOST)])
    if PROXY:
        sh(["podman", "exec", HOST, "sh", "-c",
            "echo 'Acquire::http::Proxy \"%s\";' > /etc/apt/apt.conf.d/00gpuhost-test-proxy" % PROXY])
    if TRANSPORT == "ssh":
        with open(SSH_KEY + ".pub") as handle:
            key = handle.read()
        ready = sh(["podman", "exec", "-i", HOST, "sh", "-c", "; ".join([
            "set -e", "export DEBIAN_FRONTEND=noninteractive", "apt-get -q update > /dev/null",
            "apt-get -q -y install --no-install-recommends openssh-server > /dev/null",
            # as fresh as before for site.yml and the floor: no package index, no downloaded package
            "rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin", "apt-get clean",
            "mkdir -p -m 0700 /root/.ssh", "cat > /root/.ssh/authorized_keys", "systemctl restart ssh"])],
            input=key)
        if ready.returncode:
            sys.exit("bench: openssh-server in %s failed: %s" % (HOST, ready.stderr.strip()[-500:]))


def address():
    """The container's address on podman's network."""
    return sh(["podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", HOST]).stdout.strip()


def playbook(tag, book, extra=()):
    """ansible-playbook BOOK on the fresh container, over the transport: wall time, rc, per-task profile."""
    inventory = os.path.join(RESULTS, "first-install-inventory.yml")
    sh(["bash", "-c", '. "%s/lib.sh"; write_inventory "%s" 1' % (BENCH, inventory)])
    profile = os.path.join(RESULTS, "first-install-profile-%s.json" % tag)
    env = dict(os.environ, ANSIBLE_PIPELINING="1", ANSIBLE_CALLBACK_PLUGINS=os.path.join(BENCH, "callback_plugins"),
               ANSIBLE_CONNECTION_PLUGINS=os.path.join(BENCH, "connection_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="bench_profile", BENCH_PROFILE_OUT=profile)
    if TRANSPORT == "ssh":
        transport = ["-e", json.dumps({
            "ansible_connection": "ssh", "ansible_host": address(), "ansible_user": "root",
            "ansible_ssh_private_key_file": SSH_KEY,
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"})]
    else:
        transport = ["-e", "ansible_connection=podman_pipelining"]
    argv = ["ansible-playbook", "-i", inventory] + transport + list(extra) + [book]
    start = time.perf_counter()
    with open(os.path.join(RESULTS, "first-install-%s.log" % tag), "w") as log:
        rc = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    wall = time.perf_counter() - start
    with open(profile) as handle:
        tasks = json.load(handle)["tasks"]
    return {"wall_s": wall, "rc": rc, "tasks": tasks}


def site(tag):
    """site.yml on the fresh container, and the packages it asked apt for and holds afterwards."""
    run = playbook(tag, os.path.join(ROOT, "playbooks", "site.yml"))
    run["held"] = sh(["podman", "exec", HOST, "apt-mark", "showhold"]).stdout.split()
    run["asked"] = asked(sh(["podman", "exec", HOST, "cat", "/var/log/apt/history.log"]).stdout)
    return run


def ansible_floor(tag, packages, held):
    """The floor's steps as Ansible tasks (bench/first_install_floor.yml), each task's time from the profile."""
    run = playbook(tag, os.path.join(BENCH, "first_install_floor.yml"),
                   ["-e", json.dumps({"floor_packages": packages, "floor_held": held})])
    run["steps"] = dict(zip(FLOOR_STEPS, [task["seconds"] for task in run["tasks"]]))
    return run


def asked(history):
    """The package names of the last `apt-get install` in apt's history.log (its Commandline, versions dropped)."""
    lines = [line for line in history.splitlines() if line.startswith("Commandline:") and " install " in line]
    if not lines:
        return []
    names, skip = [], True   # skip the program and the words up to "install"
    words = lines[-1].split()[1:]
    for i, word in enumerate(words):
        if skip:
            skip = word != "install"
        elif not word.startswith("-") and words[i - 1] != "-o":
            names.append(word.split("=", 1)[0])
    return names


def floor(packages, held):
    """The package manager alone, each step timed on the host."""
    script = "; ".join([
        "set -e", "export DEBIAN_FRONTEND=noninteractive", "t() { date +%s.%N; }",
        "a=$(t); apt-get -q update > /dev/null",
        "b=$(t); apt-get -q -y install --no-install-recommends %s > /dev/null" % " ".join(packages),
        "c=$(t); apt-mark hold %s > /dev/null" % " ".join(held),
        "d=$(t); systemctl enable nvidia-persistenced > /dev/null 2>&1",
        "e=$(t); ldconfig", "f=$(t)", "echo $a $b $c $d $e $f"])
    start = time.perf_counter()
    done = sh(["podman", "exec", HOST, "bash", "-c", script])
    wall = time.perf_counter() - start
    stamps = [float(x) for x in done.stdout.split()] if done.returncode == 0 else []
    steps = dict(zip(FLOOR_STEPS, [b - a for a, b in zip(stamps, stamps[1:])]))
    return {"wall_s": wall, "rc": done.returncode, "steps": steps, "stderr": done.stderr[-2000:]}


def group(task):
    """Which part of the first install a task belongs to."""
    name = task["name"]
    role, _sep, own = name.partition(" : ") if " : " in name else ("", "", name)
    role = role.rsplit(".", 1)[-1]   # gpuhost.provision.nvidia_driver -> nvidia_driver
    lowered = own.lower()
    if "package index" in lowered or "update_cache" in lowered:
        return "index refresh"
    if role == "nvidia_driver" and ("install" in lowered and "driver packages" in lowered):
        return "install (apt run + polling)"
    if role == "nvidia_driver" and task["action"].endswith(("nvidia_driver_plan", "package_lock")) \
            or lowered.startswith(("pre-flight", "ask dpkg")):
        return "driver pre-flight and lock check"
    if role == "nvidia_driver":
        return "rest of nvidia_driver"
    if role:
        return "other roles"
    return "playbook (facts, inputs, summary)"


def med(values):
    return statistics.median(values) if values else float("nan")


def main():
    os.makedirs(RESULTS, exist_ok=True)
    if TRANSPORT == "ssh" and not os.path.exists(SSH_KEY):
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", SSH_KEY])
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    tree = sh(["git", "-C", ROOT, "describe", "--always", "--dirty"]).stdout.strip()
    runs = {"site": [], "floor": [], "ansible_floor": []}
    packages, held = [], []
    for i in range(ROUNDS):
        order = ("site", "floor", "ansible_floor")
        order = order if i % 2 == 0 or not packages else order[::-1]
        for kind in order:
            fresh()
            if kind == "site":
                run = site("%s-%d" % (stamp, i))
                packages = packages or run["asked"]
                held = held or run["held"]
            elif kind == "floor":
                run = floor(packages, held)
            else:
                run = ansible_floor("%s-%d-floor" % (stamp, i), packages, held)
            run["load"] = "%.2f %.2f %.2f" % os.getloadavg()
            runs[kind].append(run)
            print("bench: round %d %s %.1f s (rc %s, load %s)" % (i + 1, kind, run["wall_s"], run["rc"], run["load"]),
                  file=sys.stderr)
    sh(["podman", "rm", "-f", "-t", "0", HOST])
    record = {"time": stamp, "tree": tree, "rounds": ROUNDS, "transport": TRANSPORT, "packages": packages, "held": held,
              "runs": runs}
    with open(os.path.join(RESULTS, "first-install-%s.json" % stamp), "w") as handle:
        json.dump(record, handle, indent=1)
    return report(record)


def report(record):
    """The tables of one record (bench/results/first-install-<time>.json): python3 bench/first_install.py FILE"""
    stamp, tree, runs, packages = record["time"], record["tree"], record["runs"], record["packages"]
    site_s, floor_s = med([r["wall_s"] for r in runs["site"]]), med([r["wall_s"] for r in runs["floor"]])
    parts = {}
    for run in runs["site"]:
        seen = {}
        for task in run["tasks"]:
            seen[group(task)] = seen.get(group(task), 0.0) + task["seconds"]
        for key, seconds in seen.items():
            parts.setdefault(key, []).append(seconds)
    steps = dict((step, med([r["steps"].get(step, float("nan")) for r in runs["floor"]])) for step in FLOOR_STEPS)
    site_parts = {k: med(v) for k, v in parts.items()}
    print("first install, %s, tree %s, %d round(s), transport %s, packages: %s"
          % (stamp, tree, len(runs["site"]), record.get("transport", "podman"), " ".join(packages)))
    print("")
    print("| | median s | runs s |")
    print("|---|---|---|")
    print("| site.yml | %.1f | %s |" % (site_s, ", ".join("%.1f" % r["wall_s"] for r in runs["site"])))
    print("| floor | %.1f | %s |" % (floor_s, ", ".join("%.1f" % r["wall_s"] for r in runs["floor"])))
    pairs = [s["wall_s"] / f["wall_s"] for s, f in zip(runs["site"], runs["floor"])]
    print("| ratio | **%.2f×** | per round: %s |" % (site_s / floor_s, ", ".join("%.2f" % p for p in pairs)))
    # the Ansible floor (records from 2026-12-08 on): the floor's steps as Ansible tasks, what Ansible alone adds
    ansible = runs.get("ansible_floor", [])
    if ansible:
        ansible_s = med([r["wall_s"] for r in ansible])
        print("| Ansible floor (the floor's steps as tasks) | %.1f (%.2f× the floor) | %s |"
              % (ansible_s, ansible_s / floor_s, ", ".join("%.1f" % r["wall_s"] for r in ansible)))
        print("| site.yml / Ansible floor | **%.2f×** | |" % (site_s / ansible_s))
    print("| load (1 min) | | %s |" % ", ".join(r["load"].split()[0] for r in runs["site"] + runs["floor"] + ansible))
    print("")
    print("| where site.yml's time goes | median s |")
    print("|---|---|")
    for key, seconds in sorted(site_parts.items(), key=lambda kv: -kv[1]):
        print("| %s | %.1f |" % (key, seconds))
    print("| floor: %s | %s |" % (", ".join(FLOOR_STEPS), ", ".join("%.1f" % steps[s] for s in FLOOR_STEPS)))
    if ansible:
        tasks = dict((step, med([r["steps"].get(step, float("nan")) for r in ansible])) for step in FLOOR_STEPS)
        print("| Ansible floor, task by task: %s | %s |"
              % (", ".join(FLOOR_STEPS), ", ".join("%.1f" % tasks[s] for s in FLOOR_STEPS)))
    # the fixed part, task by task: every task of 0.1 s or more besides the install and the plan is a module run on
    # the host (or a few, for a template); controller-only and skipped tasks take a few hundredths
    fixed = [[t["seconds"] for t in run["tasks"] if t["seconds"] >= 0.1 and group(t) not in (
        "install (apt run + polling)", "index refresh") and not t["action"].endswith("nvidia_driver_plan")]
        for run in runs["site"]]
    print("| other tasks of 0.1 s or more (host round trips) | %s tasks, %.1f s, %.2f s each (medians) |"
          % (med([len(f) for f in fixed]), med([sum(f) for f in fixed]), med([x for f in fixed for x in f])))
    slow = sorted(((t["seconds"], t["name"]) for t in runs["site"][-1]["tasks"]), reverse=True)[:8]
    print("")
    print("slowest tasks of the last site.yml run: " + "; ".join("%s %.1f s" % (n, s) for s, n in slow))
    return 0 if all(r["rc"] == 0 for kind in runs.values() for r in kind) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as handle:
            sys.exit(report(json.load(handle)))
    sys.exit(main())

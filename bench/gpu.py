# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""P3/P4 on a machine with a real NVIDIA GPU: the modules' own work next to nvidia-smi. STRICTLY READ-ONLY.

    python3 bench/gpu.py [N] [--json FILE]

Three ways of timing each module, median of N runs after one warm-up:

* in-process  - the module's ``main()`` called in this interpreter, imports already done: the module's
                own work (argument parsing, NVML init + queries + shutdown or nvidia-smi, sysfs, JSON out).
                This is what the target "facts <= 1.0x nvidia-smi -q" compares.
* process     - ``python3 -m ansible_collections...<module> args.json``: a fresh interpreter, the
                imports and the work, i.e. what the target host pays per task once Ansible has copied
                the module over (Ansible's own controller-side cost is not in it).
* ansible     - ``ansible localhost -m <module>`` end to end (ansible's start-up included), for context.

Next to them: ``nvidia-smi -q``, ``nvidia-smi --query-gpu=<18 fields>``, ``nvidia-smi -L`` and plain
``nvidia-smi`` (P4: latency with persistence on; the script only reads the persistence mode, it never
sets it).

Nothing here changes the GPU: nvidia_persistence runs in check mode with state=enabled, and the NVML
setters are replaced by functions that raise before any module is called.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 7
QUERY = ("index,uuid,pci.bus_id,name,persistence_mode,compute_mode,mig.mode.current,mig.mode.pending,ecc.mode.current,"
         "ecc.mode.pending,power.limit,power.min_limit,power.max_limit,power.default_limit,memory.total,compute_cap,"
         "vbios_version,driver_version")
MODULES = [
    # (label, module, args)
    ("nvidia_gpu_facts (auto = NVML)", "nvidia_gpu_facts", {}),
    ("nvidia_gpu_facts backend=nvidia_smi", "nvidia_gpu_facts", {"backend": "nvidia_smi"}),
    ("driver_version_check cuda_version=13.0", "driver_version_check", {"cuda_version": "13.0"}),
    ("nvidia_persistence state=enabled (check)", "nvidia_persistence", {"state": "enabled", "_ansible_check_mode": True}),
]


def tree():
    """A directory with ansible_collections/gpuhost/provision -> the repository."""
    base = os.path.join(tempfile.gettempdir(), "gpuhost-bench-tree")
    link = os.path.join(base, "ansible_collections", "gpuhost", "provision")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    return base


def stats(times):
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "max_s": round(max(times), 4), "n": len(times)}


def time_argv(argv, n, env=None):
    try:
        subprocess.run(argv, capture_output=True, env=env, timeout=300, check=False)  # warm-up
    except OSError as exc:
        return dict(stats([float("nan")]), rc=str(exc))
    times, rc = [], None
    for _run in range(n):
        start = time.perf_counter()
        rc = subprocess.run(argv, capture_output=True, env=env, timeout=300, check=False).returncode
        times.append(time.perf_counter() - start)
    return dict(stats(times), rc=rc)


def block_setters():
    """Make every NVML setter and reset raise: a guard on top of check mode."""
    try:
        import pynvml
    except ImportError:
        return []
    blocked = []
    verbs = re.compile(r"^nvml[A-Za-z]*?(Set|Reset|Clear|Create|Destroy|Modify|Remove|Discover)[A-Z]")
    for name in dir(pynvml):
        if verbs.match(name):
            def refuse(*_a, _name=name, **_k):
                raise RuntimeError("bench/gpu.py is read-only: %s refused" % _name)
            setattr(pynvml, name, refuse)
            blocked.append(name)
    return blocked


def run_main(main, args):
    """Call a module's main() once with args; return its JSON result."""
    from ansible.module_utils import basic
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit:
            pass
    text = out.getvalue()
    return json.loads(text[text.index("{"):]) if "{" in text else {}


def time_in_process(module, args, n):
    import importlib
    mod = importlib.import_module("ansible_collections.gpuhost.provision.plugins.modules." + module)
    first = run_main(mod.main, args)  # warm-up (and the result we show)
    times = []
    for _run in range(n):
        start = time.perf_counter()
        run_main(mod.main, args)
        times.append(time.perf_counter() - start)
    return dict(stats(times), result=first)


def nvml_phases(n):
    """nvmlInit, the per-GPU reads and nvmlShutdown, timed apart (in-process)."""
    try:
        import pynvml
    except ImportError:
        return None
    init, shutdown = [], []
    for _run in range(n):
        t0 = time.perf_counter()
        pynvml.nvmlInit()
        t1 = time.perf_counter()
        pynvml.nvmlShutdown()
        init.append(t1 - t0)
        shutdown.append(time.perf_counter() - t1)
    return {"nvmlInit": stats(init), "nvmlShutdown": stats(shutdown)}


def sh(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "error: %s" % exc


def main():
    argv = sys.argv[1:]
    n = int(argv[0]) if argv and argv[0].isdigit() else N
    json_out = argv[argv.index("--json") + 1] if "--json" in argv else None
    base = tree()
    sys.path.insert(0, base)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([base] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
               ANSIBLE_COLLECTIONS_PATH=base, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", LANG="C.UTF-8")
    blocked = block_setters()

    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(), "loadavg_before": os.getloadavg(),
                 "gpu": sh(["nvidia-smi", "--query-gpu=index,name,uuid,pci.bus_id,driver_version,persistence_mode",
                            "--format=csv,noheader"]),
                 "persistenced_running": bool(sh(["pgrep", "-x", "nvidia-persistenced"])),
                 "nvml_setters_blocked": len(blocked)},
        "n": n, "nvidia_smi": {}, "in_process": {}, "process": {}, "ansible": {}, "python": {},
    }
    smi = [("nvidia-smi -q", ["nvidia-smi", "-q"]),
           ("nvidia-smi --query-gpu=<18 fields>", ["nvidia-smi", "--query-gpu=" + QUERY, "--format=csv,noheader,nounits"]),
           ("nvidia-smi -L", ["nvidia-smi", "-L"]),
           ("nvidia-smi", ["nvidia-smi"])]
    for label, cmd in smi:
        report["nvidia_smi"][label] = time_argv(cmd, n)

    # the fixed cost of a module as a process on the target: interpreter, ansible's module_utils, pynvml
    report["python"]["python3 -c pass"] = time_argv([sys.executable, "-c", "pass"], n, env)
    report["python"]["import AnsibleModule"] = time_argv(
        [sys.executable, "-c", "import ansible.module_utils.basic"], n, env)
    report["python"]["import AnsibleModule + pynvml"] = time_argv(
        [sys.executable, "-c", "import ansible.module_utils.basic, pynvml"], n, env)
    try:
        report["nvml_phases"] = nvml_phases(n)
    except Exception as exc:  # pylint: disable=broad-except
        report["nvml_phases"] = None
        report["host"]["nvml_error"] = str(exc)

    with tempfile.TemporaryDirectory() as tmp:
        for label, module, args in MODULES:
            report["in_process"][label] = time_in_process(module, args, n)
            path = os.path.join(tmp, module + "-%d.json" % len(report["process"]))
            with open(path, "w") as handle:
                json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
            report["process"][label] = time_argv(
                [sys.executable, "-m", "ansible_collections.gpuhost.provision.plugins.modules." + module, path], n, env)

    ansible = shutil.which("ansible")
    if ansible:
        adhoc = [ansible, "localhost", "-c", "local", "-i", "localhost,", "-e", "ansible_python_interpreter=" + sys.executable]
        report["ansible"]["ansible localhost -m ping"] = time_argv(adhoc + ["-m", "ansible.builtin.ping"], n, env)
        report["ansible"]["ansible localhost -m nvidia_gpu_facts"] = time_argv(
            adhoc + ["-m", "gpuhost.provision.nvidia_gpu_facts"], n, env)
    report["host"]["loadavg_after"] = os.getloadavg()
    report["host"]["persistence_after"] = sh(["nvidia-smi", "--query-gpu=persistence_mode", "--format=csv,noheader"])

    text = json.dumps(report, indent=2, default=str)
    if json_out:
        with open(json_out, "w") as handle:
            handle.write(text)
    print_table(report)


def print_table(r):
    q = r["nvidia_smi"]["nvidia-smi -q"]["median_s"]
    print("GPU: %s | persistenced running: %s | NVML setters blocked: %s | n=%d | load %s -> %s"
          % (r["host"]["gpu"], r["host"]["persistenced_running"], r["host"]["nvml_setters_blocked"], r["n"],
             r["host"]["loadavg_before"], r["host"]["loadavg_after"]))
    print("| what | how | median s | min s | max s | x nvidia-smi -q |")
    print("| --- | --- | --- | --- | --- | --- |")
    for section in ("nvidia_smi", "in_process", "process", "python", "ansible"):
        for label, s in r[section].items():
            ratio = s["median_s"] / q if q else float("nan")
            print("| %s | %s | %.4f | %.4f | %.4f | %.2f |" % (label, section, s["median_s"], s["min_s"], s["max_s"], ratio))
    if r.get("nvml_phases"):
        for label, s in r["nvml_phases"].items():
            ratio = s["median_s"] / q if q else float("nan")
            print("| %s | in_process | %.4f | %.4f | %.4f | %.2f |" % (label, s["median_s"], s["min_s"], s["max_s"], ratio))
    facts = r["in_process"]["nvidia_gpu_facts (auto = NVML)"]["result"].get("ansible_facts", {}).get("nvidia", {})
    print("facts: available=%s backend=%s gpus=%s error=%s"
          % (facts.get("available"), facts.get("backend"), facts.get("gpu_count"), facts.get("error")))
    print("persistence after: %s" % r["host"]["persistence_after"])


if __name__ == "__main__":
    main()

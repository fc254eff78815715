# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wall time of each module through ansible next to nvidia-smi (median of N runs). Read-only.

Usage: python tests/hardware/timings.py [N] > timings.json
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ansible import ansible_argv, ansible_env  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5
QUERY = ("index,uuid,pci.bus_id,name,persistence_mode,compute_mode,mig.mode.current,mig.mode.pending,ecc.mode.current,"
         "ecc.mode.pending,power.limit,power.min_limit,power.max_limit,power.default_limit,memory.total,compute_cap,"
         "vbios_version,driver_version")


def adhoc(module, args="", check=False):
    argv = ansible_argv() + ["localhost", "-c", "local", "-i", "localhost,", "-m", module,
                             "-e", "ansible_python_interpreter=%s" % sys.executable]
    return argv + (["-a", args] if args else []) + (["--check"] if check else [])


CASES = [
    ("ansible.builtin.ping (ansible overhead)", adhoc("ansible.builtin.ping")),
    ("nvidia_gpu_facts backend=auto (NVML)", adhoc("gpuhost.provision.nvidia_gpu_facts")),
    ("nvidia_gpu_facts backend=nvidia_smi", adhoc("gpuhost.provision.nvidia_gpu_facts", "backend=nvidia_smi")),
    ("driver_version_check cuda_version=13.0", adhoc("gpuhost.provision.driver_version_check", "cuda_version=13.0")),
    ("nvidia_persistence state=enabled --check", adhoc("gpuhost.provision.nvidia_persistence", "state=enabled", True)),
    ("nvidia-smi -q", ["nvidia-smi", "-q"]),
    ("nvidia-smi --query-gpu=<18 fields> --format=csv", ["nvidia-smi", "--query-gpu=" + QUERY, "--format=csv,noheader,nounits"]),
    ("nvidia-smi -L", ["nvidia-smi", "-L"]),
]


def main():
    env = ansible_env()
    results = []
    for name, argv in CASES:
        times, rc = [], None
        for _run in range(N):
            start = time.monotonic()
            try:
                rc = subprocess.run(argv, capture_output=True, env=env, timeout=300, check=False).returncode
            except OSError as exc:
                rc = str(exc)
            times.append(time.monotonic() - start)
        results.append({"case": name, "rc": rc, "median_s": round(statistics.median(times), 3),
                        "min_s": round(min(times), 3), "max_s": round(max(times), 3), "n": N})
    json.dump(results, sys.stdout, indent=2)


if __name__ == "__main__":
    main()

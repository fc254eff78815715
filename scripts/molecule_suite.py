# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the molecule scenarios, several at a time, and describe them.

    molecule_suite.py plan                  each scenario: its containers, published ports, expected seconds
    molecule_suite.py count                 each scenario: platforms, testinfra tests molecule verify would run
    molecule_suite.py run --jobs N --logs DIR --results FILE [--extra NAME=COMMAND ...]
                          [--more-jobs M --more-jobs-when FILE] [SCENARIO ...]

`run` starts `molecule test -s <scenario>` for up to N scenarios at once (default: all scenarios under molecule/
that have a molecule.yml, names starting with `_` excluded). Each scenario's output goes to DIR/molecule-<name>.log
and nowhere else; one line is printed when a scenario starts and one when it ends (PASS/FAIL, seconds), and a
failing scenario's last lines are printed under its name. Two scenarios never run together when they would use
the same container name or publish the same host port (read from the scenario's platforms merged over
molecule/base.yml, as molecule merges them). The longest scenarios start first: the expected time of each is
the last time recorded for a passing run of it in bench/results/test-*.tsv (scripts/test.sh writes them), else
its time in molecule/seconds.tsv (kept in the repository, for a clean clone), else 120 s.
FILE gets one line per scenario: `molecule-<name><TAB>rc<TAB>seconds`. `--extra NAME=COMMAND` runs one more
job in the same pool (another test that starts containers of its own, such as tests/runner), logged to
DIR/NAME.log and recorded as `NAME<TAB>rc<TAB>seconds`; it holds no container of a scenario. Each log line starts with the seconds
since the scenario started, and the end line gives the seconds of each molecule action (create, converge, ...).
`--more-jobs M --more-jobs-when FILE`: once FILE exists, up to M at a time (scripts/test.sh makes FILE when the
steps it runs beside the pool have ended, so that their share of the cores goes to the scenarios).
"""
from __future__ import annotations

import argparse
import glob
import os
import pathlib
import re
import shlex
import subprocess
import sys
import threading
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
MOLECULE = ROOT / "molecule"
DEFAULT_SECONDS = 120
SECONDS_FILE = MOLECULE / "seconds.tsv"


def scenarios() -> list[str]:
    return sorted(p.parent.name for p in MOLECULE.glob("*/molecule.yml") if not p.parent.name.startswith("_"))


def platforms(name: str) -> list[dict]:
    """The scenario's platforms as molecule sees them: its own list, or the base's (lists are replaced)."""
    own = yaml.safe_load((MOLECULE / name / "molecule.yml").read_text(encoding="utf-8")) or {}
    base = yaml.safe_load((MOLECULE / "base.yml").read_text(encoding="utf-8")) or {}
    found = own.get("platforms") or base.get("platforms") or []
    return [{**p, "name": str(p["name"]).replace("${MOLECULE_SCENARIO_NAME}", name)} for p in found]


def host_ports(platform: dict) -> set[str]:
    """Host sides of published ports: `[ip:]hostport:containerport[/proto]`; `containerport` alone takes a
    random host port, which cannot collide."""
    ports = set()
    for spec in platform.get("published_ports") or []:
        parts = str(spec).split("/", maxsplit=1)[0].rsplit(":", 2)
        if len(parts) >= 2 and parts[-2]:
            ports.add(parts[-2])
    return ports


def resources(name: str) -> set[str]:
    """What two scenarios must not hold at the same time."""
    held = set()
    for platform in platforms(name):
        held.add("container:" + platform["name"])
        held.update("port:" + port for port in host_ports(platform))
    return held


def kept_seconds() -> dict[str, int]:
    """molecule/seconds.tsv: `scenario<TAB>seconds` lines, `#` comments."""
    kept: dict[str, int] = {}
    if SECONDS_FILE.is_file():
        for line in SECONDS_FILE.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if not line.startswith("#") and len(fields) == 2 and fields[1].isdigit():
                kept[fields[0]] = int(fields[1])
    return kept


def expected_seconds() -> dict[str, int]:
    """The kept times, then the last recorded time of each scenario that passed, oldest to newest results file."""
    seen: dict[str, int] = kept_seconds()
    for path in sorted(glob.glob(str(ROOT / "bench" / "results" / "test-*.tsv")), key=os.path.getmtime):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                fields = line.rstrip("\n").split("\t")
                # passed runs only: a scenario that failed early says nothing about its length
                if len(fields) >= 3 and fields[1] == "0" and fields[2].isdigit():
                    seen[fields[0].removeprefix("molecule-")] = int(fields[2])
    return seen


def plan(names: list[str], extras: dict[str, str] | None = None) -> list[dict]:
    seconds = expected_seconds()
    rows = [{"name": n, "resources": resources(n), "seconds": seconds.get(n, DEFAULT_SECONDS), "command": None}
            for n in names]
    rows += [{"name": n, "resources": {"job:" + n}, "seconds": seconds.get(n, DEFAULT_SECONDS),
              "command": shlex.split(command)} for n, command in (extras or {}).items()]
    return sorted(rows, key=lambda r: (-r["seconds"], r["name"]))


def jobs_now(args) -> int:
    """How many jobs may run now: --more-jobs once the file --more-jobs-when exists (the steps beside the pool have
    ended, their share of the cores is free), else --jobs."""
    if args.more_jobs and args.more_jobs_when and os.path.exists(args.more_jobs_when):
        return args.more_jobs
    return args.jobs


def startable(pending: list[dict], running: list[set[str]], jobs: int) -> list[dict]:
    """The rows of `pending` (in their order) to start now beside the scenarios holding `running`: up to
    `jobs` in all, none sharing a container name or host port with a running one or with another of these."""
    held = set().union(*running) if running else set()
    chosen = []
    for row in pending:
        if len(running) + len(chosen) >= jobs:
            break
        if row["resources"] & held:
            continue  # it would collide with a running scenario: later
        chosen.append(row)
        held |= row["resources"]
    return chosen


def cmd_plan(_args) -> int:
    for row in plan(scenarios()):
        print(f"{row['name']}\t{row['seconds']}\t{' '.join(sorted(row['resources']))}")
    return 0


def playbook_checks(directory: pathlib.Path) -> tuple[int, int]:
    """Assert tasks and refusal cases (each sets `refusal_role`) in a scenario's playbooks, with
    each play's hosts counted once: an indication for before/after comparisons, not an exact count of checks."""
    asserts = refusals = 0
    for path in directory.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        asserts += len(re.findall(r"^\s*(?:- )?ansible\.builtin\.assert:", text, re.M))
        refusals += len(re.findall(r"^\s*refusal_role:", text, re.M))
    return asserts, refusals


def cmd_count(_args) -> int:
    """Testinfra tests per scenario, collected (not run) against the scenario's platform names."""
    total = total_asserts = total_refusals = 0
    for name in scenarios():
        hosts = [p["name"] for p in platforms(name)]
        tests = MOLECULE / name / "tests"
        count = 0
        if tests.is_dir() and any(tests.glob("test_*.py")):
            inventory = ROOT / ".cache" / f"count-{name}-inventory.yml"
            inventory.parent.mkdir(parents=True, exist_ok=True)
            inventory.write_text(yaml.safe_dump({"all": {"hosts": {h: {} for h in hosts}}}), encoding="utf-8")
            env = {**os.environ, "MOLECULE_INVENTORY_FILE": str(inventory),
                   "PYTHONPATH": str(MOLECULE / "_shared") + os.pathsep + os.environ.get("PYTHONPATH", "")}
            out = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
                                  str(tests)], capture_output=True, text=True, env=env, check=False).stdout
            match = re.search(r"(\d+) tests? collected", out)
            count = int(match.group(1)) if match else 0
            inventory.unlink()
        asserts, refusals = playbook_checks(MOLECULE / name)
        total += count
        total_asserts += asserts
        total_refusals += refusals
        print(f"{name}\t{len(hosts)} host(s)\t{count} testinfra test(s)\t{asserts} assert task(s)\t"
              f"{refusals} refusal case(s)")
    print(f"total\t\t{total} testinfra test(s)\t{total_asserts} assert task(s)\t{total_refusals} refusal case(s)")
    return 0


ACTION = re.compile(r"\[[^\]>]+ > (?P<action>[a-z_]+)\] Executing")


def copy_timed(stream, log, start: float, actions: dict[str, float]) -> None:
    """Copy a scenario's output into its log, each line behind the seconds since it started; add up the seconds
    of each molecule action (`[scenario > action] Executing` starts one; destroy runs twice) into `actions`."""
    current, since = None, 0.0
    now = 0.0
    for line in stream:
        now = time.monotonic() - start
        match = ACTION.search(line)
        if match:
            if current:
                actions[current] = actions.get(current, 0.0) + now - since
            current, since = match["action"], now
        log.write(f"[{now:6.1f}s] {line}")
        log.flush()
    if current:
        actions[current] = actions.get(current, 0.0) + now - since


def action_line(actions: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.0f}" for name, seconds in actions.items())


def cmd_run(args) -> int:
    names = args.scenarios or scenarios()
    unknown = sorted(set(names) - set(scenarios()))
    if unknown:
        print(f"molecule: no such scenario: {', '.join(unknown)}", file=sys.stderr)
        return 2
    extras = dict(item.split("=", 1) for item in args.extra)
    pending = plan(names, extras)
    logs = pathlib.Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    running: dict[str, tuple[subprocess.Popen, float, set[str], object, threading.Thread, dict]] = {}
    failed = []
    base = ["molecule", "--base-config", str(MOLECULE / "base.yml"), "test", "-s"]
    with open(args.results, "a", encoding="utf-8") as results:
        while pending or running:
            for row in startable(pending, [r[2] for r in running.values()], jobs_now(args)):
                label = row["name"] if row["command"] else f"molecule-{row['name']}"
                log = open(logs / f"{label}.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with
                argv = row["command"] or base + [row["name"]]
                proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                        stdin=subprocess.DEVNULL, cwd=ROOT, text=True, errors="replace")
                actions: dict[str, float] = {}
                copier = threading.Thread(target=copy_timed, args=(proc.stdout, log, time.monotonic(), actions),
                                          daemon=True)
                copier.start()
                running[label] = (proc, time.monotonic(), row["resources"], log, copier, actions)
                pending.remove(row)
                print(f"== {label} started ({len(running)} running, {len(pending)} waiting)", flush=True)
            time.sleep(1)
            for name, (proc, start, _res, log, copier, actions) in list(running.items()):
                rc = proc.poll()
                if rc is None:
                    continue
                copier.join()
                log.close()
                seconds = int(time.monotonic() - start)
                del running[name]
                results.write(f"{name}\t{rc}\t{seconds}\n")
                results.flush()
                if rc == 0:
                    print(f"== PASS {name} ({seconds}s{': ' if actions else ''}{action_line(actions)})", flush=True)
                else:
                    failed.append(name)
                    path = logs / f"{name}.log"
                    tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
                    print("\n".join(f"   {name}| {line}" for line in tail))
                    print(f"== FAIL {name} ({seconds}s{': ' if actions else ''}{action_line(actions)}): see {path}",
                          flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("plan").set_defaults(func=cmd_plan)
    sub.add_parser("count").set_defaults(func=cmd_count)
    run = sub.add_parser("run")
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--logs", required=True)
    run.add_argument("--results", required=True)
    run.add_argument("--extra", action="append", default=[], metavar="NAME=COMMAND")
    run.add_argument("--more-jobs", type=int, default=0, metavar="M",
                     help="up to M at a time once the file --more-jobs-when exists")
    run.add_argument("--more-jobs-when", default="", metavar="FILE")
    run.add_argument("scenarios", nargs="*")
    run.set_defaults(func=cmd_run)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

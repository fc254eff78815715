# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/molecule_suite.py: which scenarios may run side by side, in which order, and the scenarios' own
conventions that keep them able to (molecule/README.md, "Scenarios run side by side")."""
from __future__ import annotations

import importlib.util
import io
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("molecule_suite", ROOT / "scripts" / "molecule_suite.py")
suite = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(suite)


@pytest.mark.parametrize("spec,ports", [
    ("127.0.0.1:22022:22", {"22022"}), ("8080:80", {"8080"}), ("8080:80/udp", {"8080"}),
    ("80", set()),                      # container port only: podman picks a free host port
    ("127.0.0.1::80", set()),           # no host port given: a free one
])
def test_host_ports(spec, ports):
    assert suite.host_ports({"published_ports": [spec]}) == ports


def test_every_scenario_is_found_with_its_containers():
    names = suite.scenarios()
    assert "smoke" in names and not any(n.startswith("_") for n in names)
    assert suite.resources("smoke") == {"container:gpuhost-smoke-debian12", "container:gpuhost-smoke-debian13"}
    assert "port:22022" in suite.resources("site-fleet")


def test_a_scenario_without_platforms_gets_the_base_host_named_after_it():
    assert suite.platforms("mps-debian12")[0]["name"] == "gpuhost-mps-debian12-debian12"


def row(name, *held):
    return {"name": name, "resources": set(held), "seconds": 1}


def test_startable_fills_the_free_slots_in_order():
    pending = [row("a", "container:a"), row("b", "container:b"), row("c", "container:c")]
    assert [r["name"] for r in suite.startable(pending, [], 2)] == ["a", "b"]
    assert [r["name"] for r in suite.startable(pending, [{"container:x"}], 2)] == ["a"]
    assert not suite.startable(pending, [{"container:x"}, {"container:y"}], 2)


def test_startable_never_pairs_scenarios_that_share_a_port_or_a_container():
    pending = [row("fleet", "port:22022"), row("other-fleet", "port:22022"), row("c", "container:c")]
    # the second one publishing 22022 is passed over, not waited for
    assert [r["name"] for r in suite.startable(pending, [], 2)] == ["fleet", "c"]
    assert [r["name"] for r in suite.startable(pending[1:], [{"port:22022"}], 2)] == ["c"]
    assert not suite.startable([row("same", "container:a")], [{"container:a"}], 3)


def test_the_longest_recorded_scenarios_start_first(monkeypatch):
    monkeypatch.setattr(suite, "expected_seconds", lambda: {"smoke": 30, "nvidia_driver-dkms": 360})
    order = [r["name"] for r in suite.plan(["smoke", "refusals", "nvidia_driver-dkms"])]
    assert order == ["nvidia_driver-dkms", "refusals", "smoke"]  # refusals: unknown, 120 s


def test_no_two_scenarios_share_a_container_name_or_a_host_port():
    """Scenarios that share one would never run side by side: rename the container or pick another port."""
    owners: dict[str, str] = {}
    for name in suite.scenarios():
        for held in suite.resources(name):
            assert held not in owners, f"{held} is used by both {owners[held]} and {name}"
            owners[held] = name


def test_every_scenario_has_a_kept_time_for_a_clean_clone():
    kept = suite.kept_seconds()
    # every scenario, and the runner test that scripts/test.sh runs in the same pool
    assert sorted(kept) == sorted(suite.scenarios() + ["runner"])
    assert max(kept, key=kept.get) == "nvidia_driver-dkms"


def test_copy_timed_prefixes_lines_and_adds_up_each_action(monkeypatch):
    clock = iter([10.0, 12.0, 15.0, 40.0, 50.0])
    monkeypatch.setattr(suite.time, "monotonic", lambda: next(clock))
    lines = ["INFO     [s > destroy] Executing\n", "PLAY [Destroy]\n", "INFO     [s > converge] Executing\n",
             "INFO     [s > destroy] Executing\n", "done\n"]
    log, actions = io.StringIO(), {}
    suite.copy_timed(iter(lines), log, 5.0, actions)
    assert log.getvalue().splitlines()[0] == "[   5.0s] INFO     [s > destroy] Executing"
    assert log.getvalue().splitlines()[3].startswith("[  35.0s] ")
    # destroy 5->10 and 35->45 s, converge 10->35 s
    assert actions == {"destroy": 15.0, "converge": 25.0}
    assert suite.action_line(actions) == "destroy 15, converge 25"


def test_an_extra_job_joins_the_pool_with_its_own_command_and_no_scenario_container():
    rows = {r["name"]: r for r in suite.plan(["smoke"], {"runner": "python -m pytest -q tests/runner"})}
    assert rows["runner"]["command"] == ["python", "-m", "pytest", "-q", "tests/runner"]
    assert rows["runner"]["resources"] == {"job:runner"} and rows["smoke"]["command"] is None
    # it can run beside any scenario
    assert suite.startable([rows["runner"]], [rows["smoke"]["resources"]], 2) == [rows["runner"]]


def test_one_more_job_once_the_steps_beside_the_pool_have_ended(tmp_path):
    done = tmp_path / ".foreground-done"
    args = type("Args", (), {"jobs": 2, "more_jobs": 3, "more_jobs_when": str(done)})()
    assert suite.jobs_now(args) == 2
    done.touch()
    assert suite.jobs_now(args) == 3
    args.more_jobs = 0          # not asked for: the file changes nothing
    assert suite.jobs_now(args) == 2

# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml and validate.yml through ansible-runner, the engine AWX and Automation Controller use.

Against a real Debian 12 systemd test container (podman), with the extra vars an AWX survey launch
would send (the survey defaults, empty answers left out as AWX does). Checks the runner's own
artifacts: status, rc, per-host statistics and the events of the failing task.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import time

import ansible_runner
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE = "localhost/gpuhost-test-debian12"
NODE = "gpuhost-runner-debian12"

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")


def _podman(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def node():
    _podman("rm", "-f", NODE)
    started = _podman("run", "-d", "--name", NODE, "--hostname", NODE, "--systemd=always", IMAGE)
    assert started.returncode == 0, started.stderr
    for _attempt in range(60):
        if _podman("exec", NODE, "systemctl", "is-system-running").stdout.strip() in ("running", "degraded"):
            break
        time.sleep(1)
    yield NODE
    _podman("rm", "-f", NODE)


# What an operator types into the survey; every other question keeps its default.
ANSWERS = {"gpuhost-site": {"nvidia_driver_cuda_version": "12.2"}, "gpuhost-validate": {"validate_cuda_version": "12.2"}}


def _survey_extravars(template: str) -> dict:
    spec = json.loads((ROOT / "awx" / "surveys" / f"{template}.json").read_text(encoding="utf-8"))
    extravars = {q["variable"]: q["default"] for q in spec["spec"] if q["default"] not in ("", None)}
    unknown = set(ANSWERS[template]) - {q["variable"] for q in spec["spec"]}
    assert not unknown, f"answers for questions the {template} survey does not ask: {unknown}"
    extravars.update(ANSWERS[template])
    return extravars


def _run(tmp_path: pathlib.Path, playbook: str, template: str, name: str):
    # Host variables as an AWX inventory would hold them; a container has no kernel of its own to build for.
    inventory = {"gpu_nodes": {"hosts": {NODE: {"ansible_connection": "containers.podman.podman",
                                                "ansible_python_interpreter": "/usr/bin/python3",
                                                "nvidia_driver_build_module": False,
                                                # no GPU in a test container: validate.yml must not call that a fault
                                                "validate_expect_gpu": False,
                                                # an optional role of site.yml, switched on by its variable
                                                "gpu_state_settings": [{"gpus": "all",
                                                                        "compute_mode": "exclusive_process"}]}}}}
    (tmp_path / name).mkdir()
    env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_PIPELINING": "True",
           "ANSIBLE_FORCE_COLOR": "False", "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", "")}
    return ansible_runner.run(private_data_dir=str(tmp_path / name), project_dir=str(ROOT), playbook=playbook,
                              inventory=inventory, extravars=_survey_extravars(template), envvars=env,
                              quiet=True)


def _failed_messages(result) -> list[str]:
    return [str(e["event_data"]["res"].get("msg", "")) for e in result.events
            if e.get("event") == "runner_on_failed"]


def test_site_then_validate_through_runner(node, tmp_path):
    site = _run(tmp_path, "playbooks/site.yml", "gpuhost-site", "site")
    assert (site.status, site.rc) == ("successful", 0), _failed_messages(site)
    assert node in site.stats["ok"] and not site.stats["failures"] and not site.stats["dark"]
    assert site.stats["changed"].get(node, 0) > 0  # a fresh host was changed
    assert (tmp_path / "site" / "artifacts").is_dir()
    # site.yml ran the optional gpu_state role: its boot unit exists and the summary says why nothing was applied
    assert _podman("exec", node, "systemctl", "is-enabled", "gpuhost-gpu-state.service").stdout.strip() == "enabled"
    summary = site.stdout.read()
    line = " ".join(ln for ln in summary.splitlines() if "gpu_state: " in ln)
    assert "(1 entry, 1 nvidia-smi call(s) at boot) written and enabled" in line, summary[-3000:]
    assert "not applied now (no NVIDIA GPU can be read" in line, summary[-3000:]

    again = _run(tmp_path, "playbooks/site.yml", "gpuhost-site", "site-again")
    assert (again.status, again.rc) == ("successful", 0), _failed_messages(again)
    assert again.stats["changed"].get(node, 0) == 0  # idempotent through the runner too

    validate = _run(tmp_path, "playbooks/validate.yml", "gpuhost-validate", "validate")
    assert (validate.status, validate.rc) == ("successful", 0), _failed_messages(validate)
    assert node in validate.stats["ok"] and validate.stats["changed"].get(node, 0) == 0


def test_validate_names_a_unit_masked_afterwards(node, tmp_path):
    # Seed 002's host: the unit file in /etc/systemd/system had become a link to /dev/null. (`systemctl mask`
    # refuses while the real unit is in /etc, and a mask in /run does not hide a unit in /etc.)
    unit = "/etc/systemd/system/nvidia-persistenced.service"
    masked = _podman("exec", node, "sh", "-c",
                     f"cp {unit} /root/unit.saved && ln -sf /dev/null {unit} && systemctl daemon-reload")
    assert masked.returncode == 0, masked.stderr
    try:
        validate = _run(tmp_path, "playbooks/validate.yml", "gpuhost-validate", "validate-masked")
        assert (validate.status, validate.rc) == ("failed", 2)
        assert validate.stats["failures"].get(node) == 1
        messages = _failed_messages(validate)
        assert any("nvidia-persistenced.service is masked" in m for m in messages), messages
    finally:
        _podman("exec", node, "sh", "-c", f"rm -f {unit} && cp /root/unit.saved {unit} && systemctl daemon-reload")

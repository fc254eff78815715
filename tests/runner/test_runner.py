# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml and validate.yml through ansible-runner, the engine AWX and Automation Controller use.

Against a real Debian 12 systemd test container (podman), with the extra vars an AWX survey launch
sends: every question, the ones left empty as "". Checks that the inventory's values stay in force where
the survey was left empty and that answers win where given, and the runner's own artifacts: status, rc,
per-host statistics and the events of the failing task.
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
    # labelled with the checkout (scripts/checkout-id.sh) for `make clean`, when scripts/test.sh says which
    label = [f"--label=gpuhost.checkout={os.environ['GPUHOST_CHECKOUT_ID']}"] if os.environ.get("GPUHOST_CHECKOUT_ID") else []
    started = _podman("run", "-d", "--name", NODE, "--hostname", NODE, "--systemd=always", *label, IMAGE)
    assert started.returncode == 0, started.stderr
    for _attempt in range(60):
        if _podman("exec", NODE, "systemctl", "is-system-running").stdout.strip() in ("running", "degraded"):
            break
        time.sleep(1)
    if os.environ.get("GPUHOST_APT_PROXY"):  # the machine's package cache (scripts/apt-cache.sh), as in molecule
        setting = f'Acquire::http::Proxy "{os.environ["GPUHOST_APT_PROXY"]}";\n'
        written = _podman("exec", NODE, "sh", "-c", f"printf '%s' '{setting}' > /etc/apt/apt.conf.d/00gpuhost-test-proxy")
        assert written.returncode == 0, written.stderr
    yield NODE
    _podman("rm", "-f", NODE)


def _awx_extravars(template: str, answers: dict) -> dict:
    """The extra variables AWX hands the job for a survey launch with these answers.

    AWX (awx/main/models/mixins.py, `_update_unified_job_kwargs`) adds every survey default that is not None, then
    the launch's own values; the launch form sends a question the operator left empty as "". So every question
    arrives: answered ones with the answer, the others as "" (or their default, which our surveys do not have).
    """
    spec = json.loads((ROOT / "awx" / "surveys" / f"{template}.json").read_text(encoding="utf-8"))["spec"]
    unknown = set(answers) - {q["variable"] for q in spec}
    assert not unknown, f"answers for questions the {template} survey does not ask: {unknown}"
    extravars = {q["variable"]: q["default"] for q in spec if q.get("default") is not None}
    extravars.update({q["variable"]: answers.get(q["variable"], "") for q in spec})
    return extravars


# The inventory's values, which a survey left empty must not replace (the role's default reboot policy is auto).
INVENTORY_VARS = {"nvidia_driver_cuda_version": "12.2", "nvidia_driver_reboot": "never"}


def _run(tmp_path: pathlib.Path, playbook: str, template: str, name: str, answers: dict | None = None,
         verbosity: int = 0):
    # Host variables as an AWX inventory would hold them; a container has no kernel of its own to build for.
    # "podman": the test hosts' pipelined podman connection (molecule/_shared/connection_plugins/podman.py)
    inventory = {"gpu_nodes": {"hosts": {NODE: {"ansible_connection": "podman",
                                                "ansible_python_interpreter": "/usr/bin/python3",
                                                "nvidia_driver_build_module": False,
                                                # no GPU in a test container: validate.yml must not call that a fault
                                                "validate_expect_gpu": False,
                                                # an optional role of site.yml, switched on by its variable
                                                "gpu_state_settings": [{"gpus": "all",
                                                                        "compute_mode": "exclusive_process"}]}},
                               "vars": INVENTORY_VARS}}
    (tmp_path / name).mkdir()
    env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"), "ANSIBLE_PIPELINING": "True",
           "ANSIBLE_CONNECTION_PLUGINS": str(ROOT / "molecule" / "_shared" / "connection_plugins"),
           "ANSIBLE_FORCE_COLOR": "False", "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", "")}
    return ansible_runner.run(private_data_dir=str(tmp_path / name), project_dir=str(ROOT), playbook=playbook,
                              inventory=inventory, extravars=_awx_extravars(template, answers or {}), envvars=env,
                              quiet=True, verbosity=verbosity)


def _reboot_policy(result) -> list[str]:
    """The reboot policy the nvidia_driver role applied, from its decision fact in the runner's events."""
    return [e["event_data"]["res"]["ansible_facts"]["nvidia_driver_reboot_decision"]["policy"] for e in result.events
            if e.get("event") == "runner_on_ok" and e["event_data"].get("task") == "Decide about the reboot"]


SAID = "Say what was done on this host (one line; with -v, in full as well)"


def _said(result) -> list:
    """What site.yml said of each host: its line, or with -v its line and the detail."""
    return [e["event_data"]["res"]["msg"] for e in result.events
            if e.get("event") == "runner_on_ok" and e["event_data"].get("task") == SAID]


def _failed_messages(result) -> list[str]:
    return [str(e["event_data"]["res"].get("msg", "")) for e in result.events
            if e.get("event") == "runner_on_failed"]


def test_site_then_validate_through_runner(node, tmp_path):
    # Every question left empty: AWX sends "" for each, and the inventory's CUDA version (an empty one fails the
    # role's pre-flight) and reboot policy must stay in force.
    site = _run(tmp_path, "playbooks/site.yml", "gpuhost-site", "site", verbosity=1)
    assert (site.status, site.rc) == ("successful", 0), _failed_messages(site)
    assert _reboot_policy(site) == ["never"]
    assert node in site.stats["ok"] and not site.stats["failures"] and not site.stats["dark"]
    assert site.stats["changed"].get(node, 0) > 0  # a fresh host was changed
    assert (tmp_path / "site" / "artifacts").is_dir()
    # site.yml ran the optional gpu_state role: its boot unit exists and the summary says why nothing was applied
    assert _podman("exec", node, "systemctl", "is-enabled", "gpuhost-gpu-state.service").stdout.strip() == "enabled"
    # the one line per host (at most 200 characters) names the role; its whole summary is in the detail (-v)
    lines = [line for line, detail in _said(site)]
    assert len(lines) == 1 and len(lines[0]) <= 200 and "gpu_state" in lines[0], lines
    assert "| changed: installed " in lines[0], lines
    detail = " ".join(detail for line, detail in _said(site))
    assert "(1 entry, 1 nvidia-smi call(s) at boot) written and enabled" in detail, detail
    assert "not applied now (no NVIDIA GPU can be read" in detail, detail

    # Answered questions win over the inventory for this launch; the others are still sent as "".
    again = _run(tmp_path, "playbooks/site.yml", "gpuhost-site", "site-again",
                 {"gpuhost_launch_reboot": "auto", "gpuhost_launch_cuda_version": "12.0",
                  "gpuhost_launch_serial": "1"})
    assert (again.status, again.rc) == ("successful", 0), _failed_messages(again)
    assert _reboot_policy(again) == ["auto"]
    assert again.stats["changed"].get(node, 0) == 0  # idempotent through the runner too
    # and says so, with no "written" left over from the first run
    again_line = _said(again)
    assert again_line[0].endswith(" | nothing changed") and "written" not in again_line[0], again_line

    validate = _run(tmp_path, "playbooks/validate.yml", "gpuhost-validate", "validate")
    assert (validate.status, validate.rc) == ("successful", 0), _failed_messages(validate)
    assert node in validate.stats["ok"] and validate.stats["changed"].get(node, 0) == 0

    # A CUDA version answered in the survey is checked instead of the inventory's 12.2: Debian 12's R535 driver
    # cannot run 13.0, so the host fails and says so.
    newer = _run(tmp_path, "playbooks/validate.yml", "gpuhost-validate", "validate-cuda13",
                 {"gpuhost_launch_cuda_version": "13.0"})
    assert (newer.status, newer.rc) == ("failed", 2)
    assert any("13.0" in m for m in _failed_messages(newer)), _failed_messages(newer)


def test_validate_names_a_unit_masked_afterwards(node, tmp_path):
    # The host an operator found: the unit file in /etc/systemd/system had become a link to /dev/null. (`systemctl mask`
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

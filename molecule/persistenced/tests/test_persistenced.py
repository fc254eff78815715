# SPDX-License-Identifier: GPL-3.0-or-later
"""Real state after the persistenced role on each host of the persistenced scenario: one host per case, named
gpuhost-persistenced-<case> (molecule.yml); what differs between the cases is in the table below."""
from __future__ import annotations

import time

import pytest

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts

UNIT = "/etc/systemd/system/nvidia-persistenced.service"
VENDOR = "/usr/lib/systemd/system/nvidia-persistenced.service"
USER = "nvidia-persistenced"
NOLOGIN = "/usr/sbin/nologin"

BASE = {
    "user": USER,             # None: run as root, no user created
    "flags": ["--user nvidia-persistenced", "--persistence-mode"],
    "absent_flags": ["--no-persistence-mode", "--verbose"],
    # No GPU in a container: auto and false never start our unit. The image has Debian's vendor unit enabled,
    # so systemd already tried it at boot (as nvpd) and it failed: "failed" is that boot attempt.
    "active": ("inactive", "failed"),
    "vendor_marker": "--user nvpd",
    "comment": "NVIDIA Persistence Daemon",
    "journal_failure": False,
}
CASES = {
    "fresh": {},
    "masked-etc": {},
    "masked-run": {},
    "ubuntu-static": {"vendor_marker": "--no-persistence-mode --verbose"},
    "login-user": {"comment": "hand-made"},
    "nostart": {},
    "root": {
        "user": None,
        "flags": ["--persistence-mode"],
        "absent_flags": ["--user", "--no-persistence-mode", "--verbose"],
    },
    "start-true-nogpu": {
        "flags": ["--user nvidia-persistenced", "--persistence-mode", "--verbose"],
        "absent_flags": ["--no-persistence-mode"],
        # failed, or still retrying (auto-restart every 5 s for about 100 s after the last start)
        "active": ("failed", "activating"),
        "journal_failure": True,
    },
    # refused before any change: only test_a_refused_host_is_untouched applies
    "uid0": {"refused": True},
}


def case(host):
    """The case a host stands for, from its container name gpuhost-persistenced-<case>."""
    return host.backend.name.removeprefix("gpuhost-persistenced-")


@pytest.fixture
def expect(host):
    key = case(host)
    assert key in CASES, f"add {key!r} to the table in {__file__}"
    return {**BASE, **CASES[key]}


def journal(host):
    """The unit's status and journal, appended to assertion messages so a failure shows them."""
    return host.run("systemctl status nvidia-persistenced --no-pager; "
                    "journalctl -u nvidia-persistenced -n 40 --no-pager").stdout


@pytest.fixture(autouse=True)
def _a_refused_host_has_only_the_untouched_check(request, host):
    if CASES.get(case(host), {}).get("refused") and "refused" not in request.node.name:
        pytest.skip("the role refused this host before any change")


def test_a_refused_host_is_untouched(host, expect):
    if not expect.get("refused"):
        pytest.skip("this case is converged")
    # no unit of ours, the vendor unit as the image has it (enabled), the user still uid 0 (never renumbered)
    assert not host.file(UNIT).exists
    assert host.run("systemctl is-enabled nvidia-persistenced").stdout.strip() == "enabled"
    assert host.user(USER).uid == 0
    assert host.user(USER).shell == NOLOGIN


def test_case_is_known(host, expect):
    assert expect["flags"]


def exec_start(host):
    lines = [ln for ln in host.file(UNIT).content_string.splitlines() if ln.startswith("ExecStart=")]
    assert len(lines) == 1, lines
    return lines[0]


def test_unit_file_is_ours_and_complete(host):
    lines = molecule_hosts.managed_unit_lines(host, UNIT)
    for line in ("Type=forking", "ExecStopPost=/bin/rm -rf /var/run/nvidia-persistenced", "Restart=always",
                 "WantedBy=multi-user.target"):
        assert line in lines, line


def test_exec_start_flags(host, expect):
    line = exec_start(host)
    assert line.startswith("ExecStart=/usr/bin/nvidia-persistenced ")
    argv = line.split()
    for flag in expect["flags"]:
        assert f" {flag}" in line + " ", (flag, line)
    for flag in expect["absent_flags"]:
        assert flag not in argv, (flag, line)


def test_systemd_uses_our_unit_enabled_and_not_masked(host):
    enabled = host.run("systemctl is-enabled nvidia-persistenced.service").stdout.strip()
    assert enabled == "enabled", journal(host)
    show = host.run("systemctl show -p FragmentPath -p LoadState -p UnitFileState nvidia-persistenced").stdout
    props = dict(ln.split("=", 1) for ln in show.splitlines() if "=" in ln)
    assert props["FragmentPath"] == UNIT
    assert props["LoadState"] == "loaded"
    assert props["UnitFileState"] == "enabled"
    for where in ("/etc/systemd/system", "/run/systemd/system"):
        f = host.file(f"{where}/nvidia-persistenced.service")
        assert not (f.is_symlink and f.linked_to == "/dev/null"), f"mask left in {where}"
        if f.exists:
            assert f.size > 0, f"empty-file mask left in {where}"
    assert not host.file("/run/systemd/system/nvidia-persistenced.service").exists


def test_vendor_unit_is_untouched(host, expect):
    vendor = host.file(VENDOR)
    assert vendor.is_file
    assert expect["vendor_marker"] in vendor.content_string


def test_daemon_user(host, expect):
    name = expect["user"]
    if name is None:
        assert not host.user(USER).exists, "root mode must not create a daemon user"
        return
    user = host.user(name)
    assert user.exists
    assert user.shell == NOLOGIN
    assert 0 < user.uid < 1000, user.uid
    assert user.gecos.split(",")[0] == expect["comment"]
    assert not host.file(user.home).exists or user.home in ("/nonexistent",), user.home
    shadow = host.run(f"getent shadow {name}").stdout.split(":")
    assert shadow[1].startswith("!"), "password must be locked"


def test_service_state(host, expect):
    # A unit that keeps failing passes through "deactivating" (the failed attempt's stop, ExecStopPost) every
    # 5 s; wait for the cycle to leave it, so the state and the runtime directory below are read at rest. On a
    # loaded 2-core machine the daemon's child once stayed in stop-sigterm for over 10 s (clean-clone CI,
    # 2026-12-04); systemd kills it after TimeoutStopSec (90 s by default), so wait up to 100 s.
    deadline = time.monotonic() + 100
    while True:
        state = host.run("systemctl is-active nvidia-persistenced.service").stdout.strip()
        if state != "deactivating" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert state in expect["active"], journal(host)
    if state != "active":
        # the runtime directory is the daemon's (created at start, removed by ExecStopPost), never a file task's
        assert not host.file("/run/nvidia-persistenced").exists


def test_journal_shows_the_daemon_ran_as_its_user_and_failed_only_for_lack_of_a_gpu(host, expect):
    journal = host.run("journalctl -u nvidia-persistenced.service --no-pager -o cat").stdout
    uid = host.user(expect["user"] or "root").uid
    ours = f"Please ensure that the NVIDIA device files (/dev/nvidia*) exist, and that user {uid} has"
    if not expect["journal_failure"]:
        # our unit never ran (a vendor-unit attempt at boot ran as nvpd, uid 101, and may be in the journal)
        assert uid != 101
        assert ours not in journal, journal
        return
    assert "Verbose syslog connection opened" in journal                       # --verbose
    assert f"Now running with user ID {uid} " in journal                       # --user nvidia-persistenced
    assert (f"Failed to query NVIDIA devices. Please ensure that the NVIDIA device files (/dev/nvidia*) "
            f"exist, and that user {uid} has read and write permissions for those files.") in journal
    # ...and nothing else went wrong: the library loaded and the runtime directory was usable
    for other in ("Failed to open libnvidia-cfg", "Unable to access", "Failed to change ownership",
                  "Failed to set user ID", "Failed to open PID file"):
        assert other not in journal, other
    shown = _show(host, "Result", "ActiveState", "NRestarts")
    if shown["ActiveState"] == "activating":
        # read during one of the unit's restarts (every 5 s): systemd resets Result for the new try, and counts it
        assert int(shown["NRestarts"]) >= 1, shown
    else:
        assert shown["Result"] in ("exit-code", "start-limit-hit"), shown


def _show(host, *props: str) -> dict:
    out = host.run("systemctl show -p %s nvidia-persistenced.service", ",".join(props)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_restart_and_start_limits_survive_a_slow_gpu_initialisation(host):
    # systemd's defaults (RestartSec 100 ms, 5 starts in 10 s) give up after about 1.3 s; ours retry every 5 s,
    # at most 20 starts in 120 s (systemd.unit(5), StartLimitIntervalSec=/StartLimitBurst=).
    assert _show(host, "Restart", "RestartUSec", "StartLimitBurst", "StartLimitIntervalUSec") == {
        "Restart": "always", "RestartUSec": "5s", "StartLimitBurst": "20", "StartLimitIntervalUSec": "2min"}


def test_a_failing_start_keeps_being_retried(host, expect):
    # Only where the daemon can run and fail for lack of a GPU; starting it costs ~12 s.
    if not expect["journal_failure"]:
        pytest.skip("this case never starts the daemon")
    # the converge and idempotence runs left the unit retrying; a child of theirs hung in stop-sigterm would hold
    # `systemctl stop` for the stop timeout (90 s): kill first, here and at the end
    stop = ("systemctl kill --signal=SIGKILL nvidia-persistenced.service; systemctl stop nvidia-persistenced.service;"
            " systemctl reset-failed nvidia-persistenced.service")
    host.run(stop)
    host.run("systemctl start nvidia-persistenced.service")  # fails: no GPU in the container
    try:
        seen = []
        for _second in range(12):
            time.sleep(1)
            seen.append(_show(host, "ActiveState", "SubState", "Result", "NRestarts"))
        # well past the ~1.3 s at which the default limits give up: still retrying, restarted twice by now
        assert all(s["Result"] != "start-limit-hit" for s in seen), seen
        # auto-restart, the next attempt under way, or that attempt's stop: never given up
        assert seen[-1]["ActiveState"] in ("activating", "deactivating"), seen
        # restarted twice by now; or restarted and its daemon's forked child hung after a failed start (SIGTERM
        # blocked), which systemd waits for in stop-sigterm (its stop timeout, 90 s) before it kills it and goes on
        hung = seen[-1]["SubState"] == "stop-sigterm" and all(s["SubState"] == "stop-sigterm" for s in seen[-5:])
        assert int(seen[-1]["NRestarts"]) >= 2 or (hung and int(seen[-1]["NRestarts"]) >= 1), seen
    finally:
        host.run(stop)

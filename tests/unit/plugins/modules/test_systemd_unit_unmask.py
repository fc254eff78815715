# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd_unit_unmask end to end through AnsibleModule, on fake root trees under tmp_path."""
from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpuhost.provision.plugins.modules import systemd_unit_unmask
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import tree_state

UNIT = "nvidia-persistenced.service"
REAL_UNIT = b"[Unit]\nDescription=NVIDIA Persistence Daemon\n\n[Service]\nType=forking\n"


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


class Recorder:
    """Stands in for AnsibleModule.run_command and records every argv."""

    def __init__(self, rc=0, out="", err=""):
        self.calls = []
        self.rc, self.out, self.err = rc, out, err

    def __call__(self, args, **kwargs):
        self.calls.append(list(args))
        return self.rc, self.out, self.err


@pytest.fixture
def root(tmp_path):
    for rel in ("etc/systemd/system", "run/systemd/system", "lib/systemd/system"):
        (tmp_path / rel).mkdir(parents=True)
    (tmp_path / "lib/systemd/system" / UNIT).write_bytes(REAL_UNIT)
    (tmp_path / "etc/systemd/system/ssh.service").write_bytes(REAL_UNIT)
    return tmp_path


@pytest.fixture
def runner(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, args, **kw: rec(args, **kw))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)
    return rec


@pytest.fixture
def systemd(monkeypatch):
    """Make the module believe systemd runs (root is a tmp tree, so it normally would not)."""
    monkeypatch.setattr(systemd_unit_unmask, "systemd_running", lambda root: True)


def run(args, check_mode=False, diff=False):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    with patch_module_args(args), \
            pytest.MonkeyPatch.context() as mp:
        mp.setattr(basic.AnsibleModule, "exit_json", exit_json)
        mp.setattr(basic.AnsibleModule, "fail_json", fail_json)
        try:
            systemd_unit_unmask.main()
        except ExitJson as exc:
            return "exit", exc.args[0]
        except FailJson as exc:
            return "fail", exc.args[0]
    raise AssertionError("module neither exited nor failed")


def ok(args, **kw):
    kind, result = run(args, **kw)
    assert kind == "exit", result
    return result


def mask_link(root, where="etc", unit=UNIT):
    path = root / where / "systemd/system" / unit
    path.symlink_to("/dev/null")
    return str(path)


def mask_empty(root, where="etc", unit=UNIT):
    path = root / where / "systemd/system" / unit
    path.write_bytes(b"")
    return str(path)


# ---- finding and removing masks -------------------------------------------------------------------

@pytest.mark.parametrize("where", ["etc", "run"])
def test_symlink_mask_removed(root, runner, where):
    path = mask_link(root, where)
    result = ok({"name": "nvidia-persistenced", "root": str(root)})
    assert result["changed"] is True
    assert not os.path.lexists(path)
    unit = result["units"][0]
    assert unit["name"] == UNIT
    assert unit["masked_before"] is True
    assert unit["masked_paths_before"] == [path]
    assert unit["removed"] == [path]
    assert unit["masked_after"] is False
    assert result["msg"] == "unmasked %s (removed %s)" % (UNIT, path)
    # the vendor unit is untouched, systemctl never ran (offline root)
    assert (root / "lib/systemd/system" / UNIT).read_bytes() == REAL_UNIT
    assert result["systemd_running"] is False
    assert result["daemon_reloaded"] is False
    assert runner.calls == []


def test_masks_in_etc_and_run_both_removed(root, runner):
    etc = mask_link(root, "etc")
    run_ = mask_link(root, "run")
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is True
    assert result["units"][0]["removed"] == [etc, run_]
    assert not os.path.lexists(etc) and not os.path.lexists(run_)


@pytest.mark.parametrize("where", ["etc", "run"])
def test_empty_file_mask_removed(root, runner, where):
    path = mask_empty(root, where)
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is True
    assert result["units"][0]["removed"] == [path]
    assert not os.path.lexists(path)


def test_real_unit_file_is_never_removed(root, runner):
    path = root / "etc/systemd/system" / UNIT
    path.write_bytes(REAL_UNIT)
    before = tree_state(root)
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is False
    assert tree_state(root) == before
    unit = result["units"][0]
    assert unit["masked_before"] is False and unit["masked_after"] is False
    assert unit["not_masks"] == [{
        "path": str(path), "kind": "unit_file", "reason": "real unit file, not a mask: left alone",
    }]
    assert "not masked" in result["msg"] and "real unit file" in result["msg"]
    assert runner.calls == []


def test_real_unit_in_etc_and_runtime_mask_in_run(root, runner):
    (root / "etc/systemd/system" / UNIT).write_bytes(REAL_UNIT)
    run_mask = mask_link(root, "run")
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is True
    assert result["units"][0]["removed"] == [run_mask]
    assert (root / "etc/systemd/system" / UNIT).read_bytes() == REAL_UNIT


def test_symlink_elsewhere_is_left_alone(root, runner):
    link = root / "etc/systemd/system" / UNIT
    link.symlink_to("/lib/systemd/system/" + UNIT)
    before = tree_state(root)
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is False
    assert tree_state(root) == before
    assert result["units"][0]["not_masks"][0]["kind"] == "symlink"


def test_directory_with_unit_name_is_left_alone(root, runner):
    (root / "run/systemd/system" / UNIT).mkdir()
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is False
    assert result["units"][0]["not_masks"][0]["kind"] == "other"
    assert (root / "run/systemd/system" / UNIT).is_dir()


def test_list_of_units(root, runner):
    a = mask_link(root, "etc", UNIT)
    b = mask_empty(root, "run", "nvidia-fabricmanager.service")
    result = ok({"name": ["nvidia-persistenced", "nvidia-fabricmanager.service", "ssh", UNIT], "root": str(root)})
    assert [u["name"] for u in result["units"]] == [UNIT, "nvidia-fabricmanager.service", "ssh.service"]
    assert result["units"][0]["removed"] == [a]
    assert result["units"][1]["removed"] == [b]
    assert result["units"][2]["removed"] == []
    assert result["units"][2]["not_masks"][0]["kind"] == "unit_file"
    assert result["changed"] is True


def test_suffix_kept_for_other_unit_types(root, runner):
    path = mask_link(root, "etc", "fstrim.timer")
    result = ok({"name": "fstrim.timer", "root": str(root)})
    assert result["units"][0]["name"] == "fstrim.timer"
    assert result["units"][0]["removed"] == [path]


def test_missing_mask_dirs_are_fine(tmp_path, runner):
    result = ok({"name": UNIT, "root": str(tmp_path)})
    assert result["changed"] is False
    assert result["units"][0]["masked_before"] is False


# ---- check mode, diff, idempotence ----------------------------------------------------------------

def test_check_mode_reports_and_removes_nothing(root, runner, systemd):
    etc = mask_link(root, "etc")
    run_ = mask_empty(root, "run")
    before = tree_state(root)
    result = ok({"name": UNIT, "root": str(root)}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["units"][0]["removed"] == [etc, run_]
    assert result["units"][0]["masked_after"] is False
    assert result["msg"].startswith("would unmask %s" % UNIT)
    assert result["daemon_reloaded"] is False
    assert tree_state(root) == before
    assert runner.calls == []
    assert result["diff"] == {
        "before": {UNIT: {"masked_paths": [etc, run_]}},
        "after": {UNIT: {"masked_paths": []}},
    }


def test_check_mode_without_masks_is_unchanged(root, runner):
    result = ok({"name": UNIT, "root": str(root)}, check_mode=True)
    assert result["changed"] is False


def test_idempotent(root, runner, systemd):
    mask_link(root, "etc")
    first = ok({"name": UNIT, "root": str(root)})
    assert first["changed"] is True
    after_first = tree_state(root)
    second = ok({"name": UNIT, "root": str(root)}, diff=True)
    assert second["changed"] is False
    assert second["daemon_reloaded"] is False
    assert second["diff"]["before"] == second["diff"]["after"]
    assert tree_state(root) == after_first
    assert runner.calls == [["/usr/bin/systemctl", "daemon-reload"]]


def test_no_diff_key_without_diff_mode(root, runner):
    mask_link(root)
    assert "diff" not in ok({"name": UNIT, "root": str(root)})


# ---- daemon-reload -------------------------------------------------------------------------------

def test_daemon_reload_once_after_change_when_systemd_runs(root, runner, systemd):
    mask_link(root, "etc")
    mask_link(root, "run", "nvidia-fabricmanager.service")
    result = ok({"name": [UNIT, "nvidia-fabricmanager"], "root": str(root)})
    assert result["daemon_reloaded"] is True
    assert result["systemd_running"] is True
    assert runner.calls == [["/usr/bin/systemctl", "daemon-reload"]]


def test_no_daemon_reload_when_nothing_changed(root, runner, systemd):
    result = ok({"name": UNIT, "root": str(root)})
    assert result["daemon_reloaded"] is False
    assert runner.calls == []


def test_no_daemon_reload_when_disabled(root, runner, systemd):
    mask_link(root)
    result = ok({"name": UNIT, "root": str(root), "daemon_reload": False})
    assert result["changed"] is True and result["daemon_reloaded"] is False
    assert runner.calls == []


def test_daemon_reload_failure_is_reported(root, runner, systemd):
    mask_link(root)
    runner.rc, runner.err = 1, "Failed to reload daemon: Access denied\n"
    kind, result = run({"name": UNIT, "root": str(root)})
    assert kind == "fail"
    assert result["changed"] is True
    assert result["rc"] == 1
    assert result["msg"] == "'/usr/bin/systemctl daemon-reload' failed (rc=1): Failed to reload daemon: Access denied"


def test_systemd_running_only_for_real_root(root):
    assert systemd_unit_unmask.systemd_running(str(root)) is False


# ---- bad input: one-line message, nothing touched, no systemctl ----------------------------------

def _not_a_dir(root):
    (root / "file").write_bytes(b"x")
    return {"name": UNIT, "root": str(root / "file")}


BAD = [
    ("empty name", lambda r: {"name": "", "root": str(r)}, "unit name is empty"),
    ("empty list", lambda r: {"name": [], "root": str(r)}, "name is empty"),
    ("path separator", lambda r: {"name": "system/" + UNIT, "root": str(r)}, "contains a path separator"),
    ("parent traversal", lambda r: {"name": "../../../etc/passwd", "root": str(r)}, "contains a path separator"),
    ("absolute path", lambda r: {"name": "/etc/systemd/system/" + UNIT, "root": str(r)}, "path separator"),
    ("space", lambda r: {"name": "nvidia persistenced", "root": str(r)}, "characters systemd does not allow"),
    ("shell metachar", lambda r: {"name": "x;rm -rf /", "root": str(r)}, "path separator"),
    ("semicolon", lambda r: {"name": "x;reboot", "root": str(r)}, "characters systemd does not allow"),
    ("newline", lambda r: {"name": "a\nb.service", "root": str(r)}, "characters systemd does not allow"),
    ("glob", lambda r: {"name": "nvidia-*", "root": str(r)}, "characters systemd does not allow"),
    ("suffix only", lambda r: {"name": ".service", "root": str(r)}, "must not start with '.'"),
    ("dot dot", lambda r: {"name": "..", "root": str(r)}, "must not start with '.'"),
    ("leading dash", lambda r: {"name": "-service", "root": str(r)}, "must not start with '.' or '-'"),
    ("too long", lambda r: {"name": "a" * 300, "root": str(r)}, "longer than 255"),
    ("one bad in list", lambda r: {"name": [UNIT, "bad/name"], "root": str(r)}, "path separator"),
    ("root missing", lambda r: {"name": UNIT, "root": str(r / "nope")}, "is not a directory"),
    ("root is a file", _not_a_dir, "is not a directory"),
    ("unknown option", lambda r: {"name": UNIT, "root": str(r), "state": "absent"}, "Unsupported parameters"),
    ("daemon_reload not bool", lambda r: {"name": UNIT, "root": str(r), "daemon_reload": "maybe"}, "daemon_reload"),
]


@pytest.mark.parametrize("make_args, expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(root, runner, systemd, make_args, expected):
    mask_link(root, "etc")  # a real mask is present: a bad call must not remove it
    args = make_args(root)
    before = tree_state(root)
    kind, result = run(args)
    assert kind == "fail", result
    assert expected in result["msg"]
    assert "\n" not in result["msg"]
    assert result.get("changed", False) is False
    assert tree_state(root) == before
    assert runner.calls == []


def test_permission_denied_removes_nothing(root, runner, systemd, monkeypatch):
    etc = mask_link(root, "etc")
    mask_link(root, "run")
    # /etc is writable, /run is not: nothing may be removed, not even the /etc mask
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if p.endswith("run/systemd/system") else real_access(p, m))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    before = tree_state(root)
    kind, result = run({"name": UNIT, "root": str(root)})
    assert kind == "fail"
    assert "permission denied" in result["msg"] and "become: true" in result["msg"]
    assert "\n" not in result["msg"]
    assert result["changed"] is False
    assert tree_state(root) == before
    assert os.path.islink(etc)
    assert runner.calls == []


def test_read_only_tree_as_root_removes_nothing(root, runner, systemd, monkeypatch):
    run_mask = mask_link(root, "run")
    monkeypatch.setattr(os, "access", lambda p, m: False)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    before = tree_state(root)
    kind, result = run({"name": UNIT, "root": str(root)})
    assert kind == "fail"
    assert result["msg"] == "cannot remove mask %s: %s is not writable (read-only file system?)" % (
        run_mask, os.path.dirname(run_mask))
    assert result["changed"] is False
    assert tree_state(root) == before
    assert runner.calls == []


def test_unlink_permission_error_is_reported(root, runner, systemd, monkeypatch):
    mask_link(root, "etc")

    def denied(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "unlink", denied)
    kind, result = run({"name": UNIT, "root": str(root)})
    assert kind == "fail"
    assert result["msg"].startswith("cannot remove mask ")
    assert "become: true" in result["msg"]
    assert result["changed"] is False
    assert runner.calls == []


def test_unit_dir_escaping_root_is_refused(tmp_path, runner):
    outside = tmp_path / "outside"
    (outside / "systemd/system").mkdir(parents=True)
    (outside / "systemd/system" / UNIT).symlink_to("/dev/null")
    image = tmp_path / "image"
    image.mkdir()
    (image / "etc").symlink_to(outside)
    before = tree_state(tmp_path)
    kind, result = run({"name": UNIT, "root": str(image)})
    assert kind == "fail"
    assert "outside root" in result["msg"]
    assert tree_state(tmp_path) == before


# ---- the vendor unit, reported read only ----------------------------------------------------------

DEBIAN_UNIT = (b"[Unit]\nDescription=NVIDIA Persistence Daemon\n\n[Service]\nType=forking\n"
               b"ExecStart=/usr/bin/nvidia-persistenced --user nvpd\nExecStopPost=/bin/rm -rf /var/run/nvidia-persistenced\n"
               b"\n[Install]\nWantedBy=multi-user.target\n")
UBUNTU_UNIT = (b"[Unit]\nDescription=NVIDIA Persistence Daemon\n\n[Service]\nType=forking\n"
               b"  ExecStart=/usr/bin/nvidia-persistenced --user nvidia-persistenced --no-persistence-mode --verbose\n")


def test_vendor_unit_is_reported_without_a_change(root, runner):
    (root / "lib/systemd/system" / UNIT).write_bytes(DEBIAN_UNIT)
    before = tree_state(root)
    result = ok({"name": UNIT, "root": str(root)})
    assert result["changed"] is False
    assert result["units"][0]["vendor_unit"] == {
        "path": "/lib/systemd/system/" + UNIT, "static": False,
        "exec_start": "ExecStart=/usr/bin/nvidia-persistenced --user nvpd"}
    assert tree_state(root) == before


def test_vendor_unit_first_in_search_order_and_static(root, runner):
    (root / "usr/lib/systemd/system").mkdir(parents=True)
    (root / "usr/lib/systemd/system" / UNIT).write_bytes(UBUNTU_UNIT)
    result = ok({"name": [UNIT, "ssh"], "root": str(root)})
    vendor = result["units"][0]["vendor_unit"]
    assert vendor["path"] == "/usr/lib/systemd/system/" + UNIT      # before /lib/systemd/system
    assert vendor["static"] is True
    assert vendor["exec_start"].endswith("--no-persistence-mode --verbose")
    # ssh.service exists only in /etc here: that is the admin's unit, not a vendor unit
    assert result["units"][1]["vendor_unit"] is None

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""host_snapshot end to end through AnsibleModule: real files in a temporary tree, a fake shadow file, faked
systemctl; the tree is compared before and after every run (the module must change nothing)."""
from __future__ import annotations

import hashlib
import os
import pwd

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _snapshot
from ansible_collections.gpuhost.provision.plugins.modules import host_snapshot
from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures._files import tree_state

UNIT = "nvidia-persistenced.service"
VENDOR = b"[Service]\nExecStart=/usr/bin/nvidia-persistenced --user nvpd\n\n[Install]\nWantedBy=multi-user.target\n"
ME = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def root(tmp_path, monkeypatch, commands):
    for rel in ("etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system"):
        (tmp_path / rel).mkdir(parents=True)
    (tmp_path / "usr/lib/systemd/system" / UNIT).write_bytes(VENDOR)
    shadow = tmp_path / "shadow"
    shadow.write_text("%s:!$y$j9T$abc:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n" % ME)
    monkeypatch.setattr(_snapshot, "SHADOW_FILE", str(shadow))
    monkeypatch.setattr(host_snapshot, "ROOT", str(tmp_path))
    monkeypatch.setattr(host_snapshot, "systemd_running", lambda root: True)
    commands.bins["systemctl"] = "/usr/bin/systemctl"
    commands.on(lambda a: a[1] == "is-enabled", rc=1, out="disabled\n")
    commands.on(lambda a: a[1] == "is-active", rc=3, out="inactive\n")
    return tmp_path


def test_files_users_units_in_one_call_and_nothing_changes(root, run_module):
    unit_file = root / "etc/systemd/system" / UNIT
    unit_file.write_bytes(b"[Unit]\nDescription=ours\n")
    os.chmod(unit_file, 0o640)
    link = root / "etc/systemd/system/multi-user.target.wants"
    link.mkdir()
    (link / UNIT).symlink_to("/etc/systemd/system/" + UNIT)
    before = tree_state(root, times=True)
    failed, result = run_module(host_snapshot, dict(
        files=[str(unit_file), str(link / UNIT), str(root / "missing"), str(root / "etc")],
        users=[ME, "no-such-user-gpuhost"], units=["nvidia-persistenced"]))
    assert not failed and result["changed"] is False, result
    assert tree_state(root, times=True) == before
    f = result["files"][str(unit_file)]
    assert f["exists"] and f["type"] == "file" and f["mode"] == "0640" and f["owner"] == ME
    assert f["sha1"] == hashlib.sha1(b"[Unit]\nDescription=ours\n").hexdigest()
    assert result["files"][str(link / UNIT)]["type"] == "link"
    assert result["files"][str(link / UNIT)]["link_target"] == "/etc/systemd/system/" + UNIT
    assert result["files"][str(root / "missing")] == {
        "path": str(root / "missing"), "exists": False, "type": None, "sha1": None, "mode": None, "owner": None,
        "group": None, "link_target": None}
    assert result["files"][str(root / "etc")]["type"] == "directory"
    me = result["users"][ME]
    assert me["exists"] and me["uid"] == os.getuid() and me["locked"] is True
    assert result["users"]["no-such-user-gpuhost"]["exists"] is False
    unit = result["units"][UNIT]
    assert unit["masks"] == [] and unit["enabled"] == "disabled" and unit["active"] == "inactive"
    assert unit["vendor_unit"]["exec_start"] == "ExecStart=/usr/bin/nvidia-persistenced --user nvpd"
    assert result["systemd_running"] is True


def test_masks_are_reported_not_removed(root, run_module):
    (root / "etc/systemd/system" / UNIT).symlink_to("/dev/null")
    (root / "run/systemd/system" / UNIT).write_bytes(b"")
    failed, result = run_module(host_snapshot, dict(units=[UNIT]))
    assert not failed
    assert result["units"][UNIT]["masks"] == [str(root / "etc/systemd/system" / UNIT),
                                              str(root / "run/systemd/system" / UNIT)]
    assert os.path.islink(root / "etc/systemd/system" / UNIT)      # still there
    assert (root / "run/systemd/system" / UNIT).exists()


def test_unlocked_password_and_no_shadow_access(root, run_module, monkeypatch):
    (root / "shadow").write_text("%s:$y$j9T$abc:19000:0:99999:7:::\n" % ME)
    assert run_module(host_snapshot, dict(users=[ME]))[1]["users"][ME]["locked"] is False
    monkeypatch.setattr(_snapshot, "SHADOW_FILE", str(root / "unreadable-or-missing"))
    assert run_module(host_snapshot, dict(users=[ME]))[1]["users"][ME]["locked"] is None


def test_without_systemd_no_systemctl_call(root, run_module, commands, monkeypatch):
    monkeypatch.setattr(host_snapshot, "systemd_running", lambda root: False)
    failed, result = run_module(host_snapshot, dict(units=[UNIT]), check=True)
    assert not failed and result["systemd_running"] is False
    assert result["units"][UNIT]["enabled"] is None and result["units"][UNIT]["active"] is None
    assert commands.argvs() == []


@pytest.mark.parametrize("args,expected", [
    (dict(units=["../etc/passwd"]), "unit name '../etc/passwd'"),
    (dict(units=[""]), "unit name"),
    (dict(users=["a:b"]), "user name 'a:b' is not valid"),
    (dict(files="/not-a-list-but-ok"), None),
    (dict(files=["relative/path"]), "files: 'relative/path' is not an absolute path"),
    (dict(files=[{"path": "/x"}]), "is not an absolute path"),
    (dict(unknown=1), "Unsupported parameters"),
])
def test_bad_input(root, run_module, commands, args, expected):
    before = tree_state(root, times=True)
    failed, result = run_module(host_snapshot, args)
    if expected is None:                 # a single string is a list of one, as everywhere in Ansible
        assert not failed and list(result["files"]) == ["/not-a-list-but-ok"]
    else:
        assert failed and expected in result["msg"], result
        assert "\n" not in result["msg"]
    assert tree_state(root, times=True) == before
    assert [a for a in commands.argvs() if a[1:2] not in (["is-enabled"], ["is-active"])] == []


def test_nvidia_facts_equal_those_of_nvidia_gpu_facts_in_the_same_call(root, run_module, nvml, sysfs):
    from ansible_collections.gpuhost.provision.plugins.modules import nvidia_gpu_facts
    from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake

    sysfs.add("0000:3b:00.0")
    sysfs.add("0000:5e:00.0")            # on the PCI bus but not in NVML: a GPU that fell off the bus
    f = nvml(fake.one_gpu())
    failed, result = run_module(host_snapshot, dict(files=["/usr/bin/nvidia-persistenced"], nvidia_facts=True), check=True)
    assert not failed and result["changed"] is False
    facts = result["ansible_facts"]["nvidia"]
    assert facts["available"] is True and facts["gpu_count"] == 1
    assert facts["pci_not_in_nvml"] == ["00000000:5E:00.0"]
    assert f.names().count("nvmlInit") == 1 and f.setter_calls() == []
    assert facts == run_module(nvidia_gpu_facts, {})[1]["ansible_facts"]["nvidia"]


def test_no_nvidia_facts_unless_asked(root, run_module, nvml, sysfs):
    from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake

    f = nvml(fake.one_gpu())
    failed, result = run_module(host_snapshot, dict(files=["/usr/bin/nvidia-persistenced"]))
    assert not failed and "ansible_facts" not in result
    assert f.names() == []


def test_nvidia_facts_without_a_driver_are_an_answer_not_a_failure(root, run_module, nvml, sysfs):
    from ansible_collections.gpuhost.provision.tests.unit.plugins.fixtures import fake_pynvml as fake

    # a GPU on the PCI bus but no kernel driver loaded: what an image build or a host before its reboot sees
    sysfs.add("0000:3b:00.0")
    nvml(fake.one_gpu(init_error=fake.NVML_ERROR_DRIVER_NOT_LOADED))
    failed, result = run_module(host_snapshot, dict(files=["/usr/bin/nvidia-persistenced"], nvidia_facts=True))
    facts = result["ansible_facts"]["nvidia"]
    assert not failed and facts["available"] is False and facts["gpus"] == []
    assert "driver is not loaded" in facts["error"], facts["error"]
    assert facts["pci_not_in_nvml"] == ["00000000:3B:00.0"]
    assert "/usr/bin/nvidia-persistenced" in result["files"]     # the rest of the snapshot still answers


# --- Xid lines from the kernel log (xid=true) ---

XID = "NVRM: Xid (PCI:0000:17:00): 79, pid=0, name=, GPU has fallen off the bus."


class FakeKmsg(object):
    """/dev/kmsg as the kernel serves it: one record per read, EAGAIN at the end (optionally EPIPE once)."""

    def __init__(self, records, epipe_at=None, open_error=None):
        self.records = list(records)
        self.epipe_at = epipe_at
        self.open_error = open_error
        self.reads = 0
        self.closed = False

    def install(self, monkeypatch):
        from ansible_collections.gpuhost.provision.plugins.module_utils import _kernel_log

        def fake_open(path, flags):
            assert path == "/dev/kmsg" and flags & os.O_NONBLOCK
            if self.open_error:
                raise self.open_error
            return 99

        def fake_read(fd, size):
            assert fd == 99
            self.reads += 1
            if self.epipe_at == self.reads:
                raise OSError(32, "Broken pipe")
            if not self.records:
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return self.records.pop(0)

        monkeypatch.setattr(_kernel_log.os, "open", fake_open)
        monkeypatch.setattr(_kernel_log.os, "read", fake_read)
        monkeypatch.setattr(_kernel_log.os, "close", lambda fd: setattr(self, "closed", True))
        return self


def test_xid_from_the_journal_where_systemd_runs(root, run_module, commands):
    commands.bins["journalctl"] = "/usr/bin/journalctl"
    commands.on(lambda a: a[0].endswith("journalctl"), rc=0, out=XID + "\n")
    failed, result = run_module(host_snapshot, dict(xid=True))
    assert not failed and result["xid"] == {"source": "journal", "lines": [XID], "error": None}
    assert [a for a in commands.argvs() if a[0].endswith("journalctl")] == [
        ["/usr/bin/journalctl", "--dmesg", "--boot", "--output=cat", "--no-pager", "--grep", "NVRM: Xid"]]


def test_xid_from_kmsg_without_systemd(root, run_module, commands, monkeypatch):
    monkeypatch.setattr(host_snapshot, "systemd_running", lambda root: False)
    kmsg = FakeKmsg([b"6,1001,5000000,-;nvidia-nvlink: Nvlink Core is being initialized\n",
                     ("4,1002,7000000,-;%s\n SUBSYSTEM=pci\n DEVICE=+pci:0000:17:00.0\n" % XID).encode(),
                     b"4,1003,7000001,-;NVRM: GPU at PCI:0000:17:00: GPU-0b3c has fallen off the bus.\n"],
                    epipe_at=2).install(monkeypatch)
    failed, result = run_module(host_snapshot, dict(xid=True))
    assert not failed and result["xid"] == {"source": "kmsg", "lines": [XID], "error": None}
    assert kmsg.closed and commands.argvs() == []          # no journalctl without systemd, no dmesg needed


def test_xid_falls_back_to_dmesg_then_says_why_it_could_not_read(root, run_module, commands, monkeypatch):
    monkeypatch.setattr(host_snapshot, "systemd_running", lambda root: False)
    FakeKmsg([], open_error=PermissionError(1, "Operation not permitted")).install(monkeypatch)
    commands.bins["dmesg"] = "/usr/bin/dmesg"
    commands.on(lambda a: a[0].endswith("dmesg"), rc=0, out="[  1.0] something\n[ 99.1] %s\n" % XID)
    failed, result = run_module(host_snapshot, dict(xid=True))
    assert not failed and result["xid"]["source"] == "dmesg" and result["xid"]["lines"] == ["[ 99.1] " + XID]
    commands.on(lambda a: a[0].endswith("dmesg"), rc=1, err="dmesg: read kernel buffer failed: Operation not permitted\n")
    failed, result = run_module(host_snapshot, dict(xid=True))
    assert not failed and result["xid"]["source"] is None and result["xid"]["lines"] == []
    assert result["xid"]["error"] == ("kernel log not readable (/dev/kmsg: Operation not permitted; "
                                      "dmesg: read kernel buffer failed: Operation not permitted)")


def test_no_xid_unless_asked(root, run_module, commands):
    failed, result = run_module(host_snapshot, dict(units=[UNIT]))
    assert not failed and "xid" not in result
    assert not [a for a in commands.argvs() if "journalctl" in a[0] or "dmesg" in a[0]]

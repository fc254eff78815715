# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Table-driven tests for the private systemd helpers."""
from __future__ import annotations

import errno
import os

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _systemd as sd

GOOD_NAMES = [
    ("nvidia-persistenced", "nvidia-persistenced.service"),
    ("nvidia-persistenced.service", "nvidia-persistenced.service"),
    ("fstrim.timer", "fstrim.timer"),
    ("dbus.socket", "dbus.socket"),
    ("multi-user.target", "multi-user.target"),
    ("getty@tty1.service", "getty@tty1.service"),
    ("getty@.service", "getty@.service"),
    ("dev-disk-by\\x2duuid-1.swap", "dev-disk-by\\x2duuid-1.swap"),
    ("foo.bar", "foo.bar.service"),
    ("a:b_c", "a:b_c.service"),
]


@pytest.mark.parametrize("name, expected", GOOD_NAMES)
def test_normalize_good(name, expected):
    assert sd.normalize_unit_name(name) == expected


BAD_NAMES = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("a/b", "path separator"),
    ("../x", "path separator"),
    ("a\x00b", "path separator"),
    ("a b", "does not allow"),
    ("a;b", "does not allow"),
    ("a$b", "does not allow"),
    ("nvidia-*", "does not allow"),
    (".service", "must not start"),
    ("..", "must not start"),
    ("-x", "must not start"),
    ("x..service", "empty name before its suffix"),
    ("a" * 256, "longer than 255"),
    (42, "is not a string"),
]


@pytest.mark.parametrize("name, fragment", BAD_NAMES)
def test_normalize_bad(name, fragment):
    with pytest.raises(sd.InvalidUnitName) as exc:
        sd.normalize_unit_name(name)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_normalize_names_dedupes_in_order():
    assert sd.normalize_unit_names(["b", "a.service", "b.service", "a"]) == ["b.service", "a.service"]


def test_normalize_names_empty():
    with pytest.raises(sd.InvalidUnitName):
        sd.normalize_unit_names([])


def _make(tmp_path, kind):
    p = tmp_path / "x.service"
    if kind == sd.KIND_MASK_SYMLINK:
        p.symlink_to("/dev/null")
    elif kind == "mask_symlink_unnormalised":
        p.symlink_to("/dev//null")
    elif kind == sd.KIND_MASK_EMPTY:
        p.write_bytes(b"")
    elif kind == sd.KIND_UNIT_FILE:
        p.write_text("[Unit]\n")
    elif kind == sd.KIND_SYMLINK:
        p.symlink_to("/lib/systemd/system/x.service")
    elif kind == "relative_null":
        p.symlink_to("../../../dev/null")
    elif kind == sd.KIND_OTHER:
        p.mkdir()
    return str(p)


@pytest.mark.parametrize("made, expected", [
    (sd.KIND_ABSENT, sd.KIND_ABSENT),
    (sd.KIND_MASK_SYMLINK, sd.KIND_MASK_SYMLINK),
    ("mask_symlink_unnormalised", sd.KIND_MASK_SYMLINK),
    (sd.KIND_MASK_EMPTY, sd.KIND_MASK_EMPTY),
    (sd.KIND_UNIT_FILE, sd.KIND_UNIT_FILE),
    (sd.KIND_SYMLINK, sd.KIND_SYMLINK),
    ("relative_null", sd.KIND_SYMLINK),   # not what systemctl mask writes: leave it
    (sd.KIND_OTHER, sd.KIND_OTHER),
])
def test_classify_path(tmp_path, made, expected):
    assert sd.classify_path(_make(tmp_path, made)) == expected


def test_classify_path_under_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    assert sd.classify_path(str(tmp_path / "f" / "x.service")) == sd.KIND_ABSENT


def test_find_unit_paths_order_etc_then_run(tmp_path):
    for rel in sd.MASK_DIRS:
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / "x.service").symlink_to("/dev/null")
    found = sd.find_unit_paths(str(tmp_path), "x.service")
    assert found == [
        (str(tmp_path / "etc/systemd/system/x.service"), sd.KIND_MASK_SYMLINK),
        (str(tmp_path / "run/systemd/system/x.service"), sd.KIND_MASK_SYMLINK),
    ]


def test_unit_dirs_refuses_escape(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "run").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(sd.UnitPathOutsideRoot):
        sd.unit_dirs(str(tmp_path / "img"))


def test_unit_dirs_allows_links_inside_root(tmp_path):
    (tmp_path / "var/run").mkdir(parents=True)
    (tmp_path / "run").symlink_to("var/run")
    assert sd.unit_dirs(str(tmp_path))[1] == os.path.join(str(tmp_path), "run/systemd/system")


def test_check_root(tmp_path):
    assert sd.check_root(str(tmp_path)) == str(tmp_path)
    with pytest.raises(sd.RootNotDirectory):
        sd.check_root(str(tmp_path / "missing"))


def test_remove_mask_refuses_real_file(tmp_path):
    path = _make(tmp_path, sd.KIND_UNIT_FILE)
    with pytest.raises(sd.UnmaskRemoveError):
        sd.remove_mask(path)
    assert os.path.isfile(path)


@pytest.mark.parametrize("kind", [sd.KIND_MASK_SYMLINK, sd.KIND_MASK_EMPTY])
def test_remove_mask(tmp_path, kind):
    path = _make(tmp_path, kind)
    sd.remove_mask(path)
    assert not os.path.lexists(path)
    sd.remove_mask(path)  # gone already: nothing to do


@pytest.mark.parametrize("err, cls", [
    (errno.EACCES, sd.UnmaskPermissionError),
    (errno.EPERM, sd.UnmaskPermissionError),
    (errno.EROFS, sd.UnmaskPermissionError),
    (errno.EBUSY, sd.UnmaskRemoveError),
])
def test_remove_mask_errors(tmp_path, monkeypatch, err, cls):
    path = _make(tmp_path, sd.KIND_MASK_SYMLINK)

    def fail(p):
        raise OSError(err, os.strerror(err), p)

    monkeypatch.setattr(os, "unlink", fail)
    with pytest.raises(cls) as exc:
        sd.remove_mask(path)
    assert exc.value.path == path
    if cls is sd.UnmaskPermissionError:
        assert "become: true" in str(exc.value)


def test_systemd_running(tmp_path):
    assert sd.systemd_running(str(tmp_path), run_dir=str(tmp_path)) is False
    assert sd.systemd_running("/", run_dir=str(tmp_path)) is True
    assert sd.systemd_running("/", run_dir=str(tmp_path / "missing")) is False

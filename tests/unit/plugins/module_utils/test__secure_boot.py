# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secure Boot: mokutil's answers, the EFI variable, and the refusal of a module that would not load."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._secure_boot import (
    ENROLLED,
    NOT_ENROLLED,
    PENDING,
    SECURE_BOOT_VAR,
    builds_module,
    efivar_enabled,
    parse_sb_state,
    parse_test_key,
    read_state,
    refusal,
)

# efivarfs: 4 bytes of attributes (NV|BS|RT = 0x06), then the value.
ON, OFF = b"\x06\x00\x00\x00\x01", b"\x06\x00\x00\x00\x00"


@pytest.mark.parametrize("text,state", [
    ("SecureBoot enabled\n", True), ("SecureBoot disabled\n", False),
    ("SecureBoot disabled\nPlatform is in Setup Mode\n", False),
    ("This system doesn't support Secure Boot\n", False), ("EFI variables are not supported on this system\n", False),
    ("Failed to read SecureBoot\n", None), ("", None),
])
def test_parse_sb_state(text, state):
    assert parse_sb_state(text) is state


def test_efivar():
    assert efivar_enabled(ON) is True and efivar_enabled(OFF) is False and efivar_enabled(b"\x06") is None


@pytest.mark.parametrize("out,answer", [
    ("/root/mok.der is already enrolled\n", ENROLLED), ("/root/mok.der is not enrolled\n", NOT_ENROLLED),
    ("/root/mok.der is already in the enrollment request\n", PENDING), ("Failed to read /root/mok.der\n", None),
])
def test_parse_test_key(out, answer):
    assert parse_test_key(out) == answer


def efi(tmp_path, data=None):
    efivars = tmp_path / "firmware" / "efi" / "efivars"
    efivars.mkdir(parents=True)
    if data is not None:
        (efivars / SECURE_BOOT_VAR).write_bytes(data)
    return str(efivars)


def no_mokutil(argv):
    raise AssertionError("mokutil run without mokutil: %s" % argv)


def test_state_from_mokutil_first(tmp_path):
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "SecureBoot enabled\n", ""
    assert read_state(run, "/usr/bin/mokutil", efi(tmp_path, OFF)) == {"enabled": True, "source": "mokutil --sb-state"}
    assert calls == [["/usr/bin/mokutil", "--sb-state"]]


def test_state_from_the_efi_variable_without_mokutil(tmp_path):
    path = efi(tmp_path, ON)
    assert read_state(no_mokutil, None, path) == {"enabled": True, "source": path + "/" + SECURE_BOOT_VAR}


def test_state_from_the_efi_variable_when_mokutil_cannot_tell(tmp_path):
    path = efi(tmp_path, OFF)
    state = read_state(lambda argv: (1, "", "Failed to read SecureBoot\n"), "/usr/bin/mokutil", path)
    assert state["enabled"] is False and state["source"].endswith(SECURE_BOOT_VAR)


def test_bios_boot_and_unreadable(tmp_path):
    assert read_state(no_mokutil, None, str(tmp_path / "firmware" / "efi" / "efivars")) == {
        "enabled": False, "source": "no EFI firmware interface (BIOS boot, or hidden in a container)"}
    assert read_state(no_mokutil, None, efi(tmp_path))["enabled"] is None


def test_builds_module():
    assert builds_module(["nvidia-driver", "nvidia-kernel-dkms"])
    assert builds_module(["nvidia-dkms-570-server-open"]) and builds_module(["kmod-nvidia-latest-dkms"])
    assert not builds_module(["nvidia-driver-570-server", "linux-modules-nvidia-570-server-6.8.0-45-generic"])
    assert not builds_module([])


SB_ON = {"enabled": True, "source": "mokutil --sb-state"}
KEY, CERT = "/root/mok.key", "/root/mok.der"


@pytest.mark.parametrize("state,building,key,cert,exists,enrolled,needle", [
    (SB_ON, True, None, None, (False, False), None,
     "Secure Boot is on (mokutil --sb-state) and DKMS would build an unsigned nvidia module that the kernel refuses to "
     "load: set nvidia_driver_mok_key and nvidia_driver_mok_cert to a Machine Owner Key enrolled with mokutil --import"),
    (SB_ON, True, KEY, CERT, (True, False), None,
     "Secure Boot is on and /root/mok.der does not exist on the host: put the Machine Owner Key there"),
    (SB_ON, True, KEY, CERT, (True, True), NOT_ENROLLED,
     "the certificate /root/mok.der is not enrolled, so the kernel would refuse the module signed with it: run "
     "mokutil --import /root/mok.der, reboot and confirm the key in the MOK manager, then run again"),
    (SB_ON, True, KEY, CERT, (True, True), ENROLLED, None),
    (SB_ON, True, KEY, CERT, (True, True), PENDING, None),
    (SB_ON, True, KEY, CERT, (True, True), None, None),          # mokutil cannot tell: not refused
    (SB_ON, False, None, None, (False, False), None, None),      # a precompiled, signed module
    ({"enabled": False, "source": "x"}, True, None, None, (False, False), None, None),
    ({"enabled": None, "source": "x"}, True, None, None, (False, False), None, None),
])
def test_refusal(state, building, key, cert, exists, enrolled, needle):
    found = refusal(state, building, key, cert, exists[0], exists[1], enrolled)
    if needle is None:
        assert found is None
    else:
        assert needle in found and "\n" not in found

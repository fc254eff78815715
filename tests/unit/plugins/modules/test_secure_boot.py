# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""secure_boot end to end through AnsibleModule: the commands it runs and the refusal it returns."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.modules import secure_boot as mod

MOKUTIL = "/usr/bin/mokutil"
PACKAGES = ["nvidia-driver", "nvidia-kernel-dkms"]


@pytest.fixture
def mokutil(commands):
    commands.bins["mokutil"] = MOKUTIL

    def answer(sb="SecureBoot enabled\n", test_key=None):
        commands.on(lambda a: a == [MOKUTIL, "--sb-state"], out=sb)
        if test_key is not None:
            commands.on(lambda a: a[:2] == [MOKUTIL, "--test-key"], rc=1 if "already" in test_key else 0,
                        out=test_key)
    return answer


@pytest.fixture
def mok(tmp_path):
    key, cert = tmp_path / "mok.key", tmp_path / "mok.der"
    key.write_text("key")
    cert.write_bytes(b"0\x82")
    return str(key), str(cert)


def test_on_without_key_refuses(run_module, mokutil, commands):
    mokutil()
    failed, r = run_module(mod, {"packages": PACKAGES}, check=True)
    assert not failed and r["changed"] is False and r["enabled"] is True and r["builds_module"] is True
    assert r["refusal"].startswith("Secure Boot is on (mokutil --sb-state) and DKMS would build an unsigned nvidia")
    assert r["msg"] == "Secure Boot on (mokutil --sb-state)"
    assert commands.argvs() == [[MOKUTIL, "--sb-state"]]


def test_enrolled_key_passes(run_module, mokutil, mok, commands):
    mokutil(test_key="%s is already enrolled\n" % mok[1])
    failed, r = run_module(mod, {"packages": PACKAGES, "mok_key": mok[0], "mok_cert": mok[1]})
    assert not failed and r["refusal"] is None and r["enrolled"] == "enrolled"
    assert commands.argvs() == [[MOKUTIL, "--sb-state"], [MOKUTIL, "--test-key", mok[1]]]
    assert r["msg"] == "Secure Boot on (mokutil --sb-state); key %s enrolled" % mok[1]


def test_key_not_enrolled_refuses_with_the_fix(run_module, mokutil, mok):
    mokutil(test_key="%s is not enrolled\n" % mok[1])
    failed, r = run_module(mod, {"packages": PACKAGES, "mok_key": mok[0], "mok_cert": mok[1],
                                 "option_prefix": "x_"})
    assert not failed and "run mokutil --import %s, reboot" % mok[1] in r["refusal"]


def test_off_runs_no_key_test(run_module, mokutil, mok, commands):
    mokutil(sb="SecureBoot disabled\n")
    failed, r = run_module(mod, {"packages": PACKAGES, "mok_key": mok[0], "mok_cert": mok[1]})
    assert not failed and r["enabled"] is False and r["refusal"] is None
    assert commands.argvs() == [[MOKUTIL, "--sb-state"]]


def test_key_without_cert_is_refused_by_the_spec(run_module, commands):
    failed, r = run_module(mod, {"mok_key": "/root/mok.key"})
    assert failed and "parameters are required together: mok_key, mok_cert" in r["msg"]

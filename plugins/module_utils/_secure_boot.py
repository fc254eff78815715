# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UEFI Secure Boot: its state, whether a Machine Owner Key is enrolled, and whether a DKMS-built module would load
(private, not an API).

The state comes from ``mokutil --sb-state`` where mokutil is installed, else from the ``SecureBoot`` EFI variable
(efivarfs: 4 bytes of attributes, then the value, 1 for on), else: no EFI variables, no Secure Boot (a BIOS boot).
With Secure Boot on, the kernel loads only modules signed by a key it trusts: a DKMS-built module must be signed
with a Machine Owner Key that is enrolled (``mokutil --test-key``). Debian's and Ubuntu's dkms sign with
``mok_signing_key`` and ``mok_certificate`` from its framework configuration.
"""
from __future__ import annotations

import os

EFIVARS = "/sys/firmware/efi/efivars"
SECURE_BOOT_VAR = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
# mokutil --test-key: 'X is not enrolled' (rc 0), 'X is already enrolled' (rc 1), newer releases
# 'X is already in the enrollment request' for a key queued with --import and enrolled at the next boot.
ENROLLED, NOT_ENROLLED, PENDING = "enrolled", "not enrolled", "pending (enrolled at the next boot)"


def parse_sb_state(text):
    """mokutil --sb-state -> True, False, or None when it cannot tell."""
    lowered = text.lower()
    if "secureboot enabled" in lowered:
        return True
    if "secureboot disabled" in lowered or "doesn't support secure boot" in lowered \
            or "efi variables are not supported" in lowered:
        return False
    return None


def efivar_enabled(data):
    """The SecureBoot EFI variable as efivarfs shows it (4 attribute bytes, then the value) -> bool or None."""
    if len(data) < 5:
        return None
    return data[4] == 1


def parse_test_key(out):
    """mokutil --test-key's answer -> ENROLLED, NOT_ENROLLED, PENDING or None."""
    if "enrollment request" in out:
        return PENDING
    if "is already enrolled" in out:
        return ENROLLED
    if "is not enrolled" in out:
        return NOT_ENROLLED
    return None


def read_state(run, mokutil, efivars=EFIVARS):
    """{'enabled': bool or None, 'source': how it was read}. run(argv) -> (rc, out, err)."""
    if mokutil:
        rc, out, err = run([mokutil, "--sb-state"])
        enabled = parse_sb_state(out + err)
        if enabled is not None:
            return {"enabled": enabled, "source": "mokutil --sb-state"}
    path = os.path.join(efivars, SECURE_BOOT_VAR)
    if os.path.exists(path):
        try:
            with open(path, "rb") as handle:
                return {"enabled": efivar_enabled(handle.read()), "source": path}
        except OSError as exc:
            return {"enabled": None, "source": "%s: %s" % (path, exc.strerror)}
    if not os.path.isdir(os.path.dirname(efivars)):
        return {"enabled": False, "source": "no EFI firmware interface (BIOS boot, or hidden in a container)"}
    return {"enabled": None, "source": "no SecureBoot EFI variable readable"}


def builds_module(packages):
    """Whether installing these packages builds the nvidia module with DKMS (Debian nvidia-kernel-dkms, Ubuntu
    nvidia-dkms-<b>, EL kmod-nvidia-*-dkms); a precompiled, signed module package (Ubuntu linux-modules-nvidia-*)
    does not."""
    return any("dkms" in name for name in packages)


def refusal(state, building, key, cert, key_exists, cert_exists, enrolled, prefix="nvidia_driver_"):
    """The one-line refusal when Secure Boot is on and a module DKMS builds now would not load; None otherwise."""
    if not (state["enabled"] and building):
        return None
    if not (key and cert):
        return ("Secure Boot is on (%s) and DKMS would build an unsigned nvidia module that the kernel refuses to load: "
                "set %smok_key and %smok_cert to a Machine Owner Key enrolled with mokutil --import"
                % (state["source"], prefix, prefix))
    missing = [path for path, exists in ((key, key_exists), (cert, cert_exists)) if not exists]
    if missing:
        return ("Secure Boot is on and %s does not exist on the host: put the Machine Owner Key there, or set %smok_key "
                "and %smok_cert to where it is" % (" and ".join(missing), prefix, prefix))
    if enrolled == NOT_ENROLLED:
        return ("Secure Boot is on and the certificate %s is not enrolled, so the kernel would refuse the module signed "
                "with it: run mokutil --import %s, reboot and confirm the key in the MOK manager, then run again"
                % (cert, cert))
    return None

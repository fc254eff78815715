# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_apt_sources: the host's APT sources (one-line and deb822) and the stanzas that add missing components."""
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils import _apt_sources as src

ONE_LINE = """# Debian 12 as debootstrap writes it, plus a signed mirror
deb http://deb.debian.org/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.local/debian bookworm-updates main contrib
deb-src http://deb.debian.org/debian bookworm main
not a sources line
"""
DEB822 = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# a disabled one
Types: deb
URIs: http://other.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----
"""


def test_one_line_sources():
    entries = src.parse_one_line_sources(ONE_LINE)
    assert [e["types"] for e in entries] == [["deb"], ["deb"], ["deb-src"]]
    assert entries[1] == {"types": ["deb"], "uris": ["http://mirror.local/debian"], "suites": ["bookworm-updates"],
                          "components": ["main", "contrib"], "signed_by": "/usr/share/keyrings/k.gpg"}


def test_deb822_sources_skip_disabled_and_inline_keys():
    entries = src.parse_deb822_sources(DEB822)
    assert [e["uris"] for e in entries] == [["http://deb.debian.org/debian"], ["http://deb.debian.org/debian-security"]]
    assert entries[0]["suites"] == ["bookworm", "bookworm-updates"]
    assert entries[0]["signed_by"] == "/usr/share/keyrings/debian-archive-keyring.gpg"
    assert entries[1]["signed_by"] is None


@pytest.mark.parametrize("family, extra, expected", [
    ("debian", (), [{"types": "deb", "uris": "http://deb.debian.org/debian", "suites": ["bookworm", "bookworm-updates"],
                     "components": ["contrib", "non-free"], "signed_by": "/usr/share/keyrings/debian-archive-keyring.gpg"},
                    {"types": "deb", "uris": "http://deb.debian.org/debian-security", "suites": ["bookworm-security"],
                     "components": ["contrib", "non-free", "non-free-firmware"], "signed_by": None}]),
    ("ubuntu", ("multiverse",), [
        {"types": "deb", "uris": "http://deb.debian.org/debian", "suites": ["bookworm", "bookworm-updates"],
         "components": ["restricted", "universe", "multiverse"],
         "signed_by": "/usr/share/keyrings/debian-archive-keyring.gpg"},
        {"types": "deb", "uris": "http://deb.debian.org/debian-security", "suites": ["bookworm-security"],
         "components": ["restricted", "universe", "multiverse"], "signed_by": None}]),
])
def test_missing_component_stanzas(family, extra, expected):
    assert src.missing_component_stanzas(src.parse_deb822_sources(DEB822), family, "bookworm", extra) == expected


def test_host_sources_leave_out_the_roles_own_file(tmp_path, monkeypatch):
    (tmp_path / "sources.list").write_text(ONE_LINE)
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "debian.sources").write_text(DEB822)
    (parts / "gpuhost-nvidia-driver.sources").write_text("Types: deb\nURIs: http://own\nSuites: bookworm\n"
                                                         "Components: non-free\n")
    monkeypatch.setattr(src, "APT_SOURCES_LIST", str(tmp_path / "sources.list"))
    monkeypatch.setattr(src, "APT_SOURCES_DIR", str(parts))
    uris = [e["uris"][0] for e in src.host_sources(str(parts / "gpuhost-nvidia-driver.sources"))]
    assert "http://own" not in uris and len(uris) == 5

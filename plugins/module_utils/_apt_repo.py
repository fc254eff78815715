# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The APT repository the NVIDIA driver comes from when it is not the distribution's archive and not NVIDIA's own CUDA
repository with its keyring package: a site's own repository (``source: mirror``, the option ``apt_repo``) or a mirror
of NVIDIA's CUDA repository (``cuda_repo_url``/``cuda_repo_key_url``). The role writes its source (deb822, with
``Signed-By``) and its signing key; this module decides what they are and whether the host's files are current.

Private module_utils: not an API. Pure functions, except fetch_key (reads the key once, into the module's temporary
directory). Errors raise ``DriverPlanError`` with the option to fix, written O(name).
"""
from __future__ import annotations

import hashlib
import os
import re

from ansible_collections.gpuhost.provision.plugins.module_utils._driver_packages import DriverPlanError

SOURCES_FILE = "/etc/apt/sources.list.d/gpuhost-nvidia-driver-repo.sources"
KEYRING_DIR = "/etc/apt/keyrings"
KEY_NAME = "gpuhost-nvidia-driver"
ARMOR = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
URL_RE = re.compile(r"^(https?|file)://\S+$")


def key_kind(data):
    """'.asc' (ASCII-armored), '.gpg' (a binary OpenPGP public key) or None (not a public key). apt reads Signed-By
    files by their extension: .asc armored, .gpg binary."""
    if ARMOR in (data or b""):
        return ".asc"
    # RFC 4880 4.2: a binary public key starts with a packet tag for a public key (tag 6): old format 0x98/0x99/0x9a,
    # new format 0xc6
    if data and data[:1] in (b"\x98", b"\x99", b"\x9a", b"\xc6"):
        return ".gpg"
    return None


def repo_from_options(options, option="apt_repo"):
    """The repository from the ``apt_repo`` option ({url, suites, components, key_url, packages}), checked; raises."""
    url = str(options.get("url") or "").strip()
    key_url = str(options.get("key_url") or "").strip()
    if not URL_RE.match(url):
        raise DriverPlanError("O(%s).url must be the repository's http://, https:// or file:// URL, got %r"
                              % (option, url))
    if not URL_RE.match(key_url) and not key_url.startswith("/"):
        raise DriverPlanError("O(%s).key_url must be the URL (http://, https://, file://) or absolute path on the host "
                              "of the repository's signing key, got %r" % (option, key_url))
    suites = [str(s) for s in (options.get("suites") or ["/"])]
    components = [str(c) for c in (options.get("components") or [])]
    flat = [s for s in suites if s.endswith("/")]
    if flat and (components or len(suites) > 1):
        raise DriverPlanError("O(%s): a flat repository (suite %r) has exactly one suite and no components, got suites "
                              "%s and components %s" % (option, flat[0], suites, components))
    if not flat and not components:
        raise DriverPlanError("O(%s).components: name the components of suite %s (e.g. [main]), or give the suite as "
                              "'/' for a flat repository" % (option, " ".join(suites)))
    return {"url": url, "suites": suites, "components": components, "key_url": key_url,
            "packages": options.get("packages") or "distro", "option": option, "key_option": option}


def render_sources(repo, key_file):
    """The deb822 sources file the role writes for ``repo`` (Signed-By ``key_file``); no Components for a flat one."""
    lines = ["# gpuhost.provision.nvidia_driver: the NVIDIA driver's APT repository (%s)" % repo["option"],
             "Types: deb", "URIs: %s" % repo["url"], "Suites: %s" % " ".join(repo["suites"])]
    if repo["components"]:
        lines.append("Components: %s" % " ".join(repo["components"]))
    lines.append("Signed-By: %s" % key_file)
    return "\n".join(lines) + "\n"


def stanza(repo, key_file):
    """The same source as a stanza for the private package index (_package_parsers.render_deb822)."""
    return {"types": "deb", "uris": repo["url"], "suites": list(repo["suites"]), "components": list(repo["components"]),
            "signed_by": key_file}


def label(repo):
    """How messages name it: 'the APT repository http://h/debian gpuhost (O(apt_repo))'."""
    suites = " ".join(repo["suites"])
    return "the APT repository %s%s (O(%s))" % (repo["url"], "" if suites == "/" else " " + suites, repo["option"])


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def current(state, digest):
    """Is a file the role writes already this content (regular file, that SHA-1, 0644 root:root)?"""
    return bool(state and state.get("type") == "file" and state.get("sha1") == digest and state.get("mode") == "0644"
                and state.get("owner") == "root" and state.get("group") == "root")


def fetch_key(module, repo, fetch):
    """Read the signing key once into the module's temporary directory: (path, kind, SHA-1). ``fetch(url)`` returns
    (bytes or None, error text); paths and file:// URLs are read directly. Raises naming O(key_option)."""
    url = repo["key_url"]
    path = url[len("file://"):] if url.startswith("file://") else url if url.startswith("/") else None
    if path is not None:
        try:
            with open(path, "rb") as handle:
                data, error = handle.read(), None
        except OSError as exc:
            data, error = None, exc.strerror or str(exc)
    else:
        data, error = fetch(url)
    if data is None:
        raise DriverPlanError("O(%s).key_url: cannot read the repository's signing key %s (%s): check the URL and that "
                              "the host reaches it" % (repo["key_option"], url, error))
    kind = key_kind(data)
    if kind is None:
        raise DriverPlanError("O(%s).key_url: %s is not an OpenPGP public key (ASCII-armored or binary): give the "
                              "repository's signing key" % (repo["key_option"], url))
    tmp = os.path.join(module.tmpdir, KEY_NAME + kind)
    with open(tmp, "wb") as handle:
        handle.write(data)
    return tmp, kind, sha1(data)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the package sources offer and what the package manager has installed or held: APT and DNF, read only.

Private module_utils: not an API. The one place that runs ``apt-cache``, ``apt-get update`` (into a private index
only), ``dpkg-query``, ``dnf repoquery`` and ``rpm -q`` to answer "which versions of these packages are offered,
which are installed, which are held". Used by the modules ``package_offer`` and ``nvidia_driver_plan``.

Nothing here changes the host: the host's own APT index is read without writing apt's binary caches (a copy of the
source cache in the module's temporary directory stands in for it), and where it
cannot answer, a private index in the module's temporary directory (built from the host's sources plus any
planned ones) is downloaded and read instead; the host's index, sources and lock stay untouched. Errors raise
``PackageQueryError`` (one line that says what to do); the module turns them into ``fail_json``.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import time

from ansible_collections.gpuhost.provision.plugins.module_utils._common import C_LOCALE as ENV
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._package_parsers import (
    DPKG_CONTROL_FORMAT,
    bounded,
    parse_apt_policy,
    parse_apt_show,
    parse_apt_showpkg,
    parse_apt_simulation,
    parse_dnf_simulation,
    parse_dpkg_control,
    parse_dpkg_status,
    parse_name_version_lines,
    render_deb822,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._package_lock import LISTS_LOCK, timeout_message, wait_free

APT_SOURCES_DIR = "/etc/apt/sources.list.d"
MANAGERS = ("apt", "dnf")
# Debian policy 5.6.1 (package names: lower case letters, digits, + - .; at least two characters, starting with an
# alphanumeric); RPM names are also allowed upper case letters and underscores. Nothing that apt or dnf would read
# as an option.
PACKAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]*$")
# One `apt-get update` into the private index: at most this many seconds per try, two tries; timeout(1) exits 124
# when the limit runs out, 137 when it had to kill
UPDATE_LIMIT = 300
TIMED_OUT = (124, 137)


def kept_index_dir(module):
    """Where a private index kept for the install lives: in Ansible's temporary area of this user (remote_tmp,
    which Ansible creates with mode 0700), not in the task's own temporary directory, which Ansible removes when
    the task ends."""
    base = getattr(module, "_remote_tmp", None) or "~/.ansible/tmp"
    return os.path.join(os.path.expanduser(os.path.expandvars(base)), "gpuhost-apt-index")


# A kept index serves the install of the run whose pre-flight downloaded it, minutes later. One that an earlier run
# left (it stopped between its pre-flight and its install) is removed by the next real pre-flight once it is older
# than this; a younger one may belong to a run beside this one that is about to install from it.
KEPT_INDEX_MAX_AGE = 3600


def discard_stale_index(path, max_age=KEPT_INDEX_MAX_AGE, now=None):
    """Remove the kept index ``path`` when it is older than ``max_age`` seconds; whether it was removed."""
    try:
        age = (time.time() if now is None else now) - os.stat(path).st_mtime
    except OSError:
        return False
    if age <= max_age:
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


class PackageQueryError(Exception):
    """``str(exc)`` is a one-line message that says what to do."""


def check_names(names):
    """Raise for an empty list or a name that is not a package name (an option, a space, a version)."""
    if not names:
        raise PackageQueryError("names is empty: give at least one package name")
    for name in names:
        if not isinstance(name, str) or not PACKAGE_NAME.match(name):
            raise PackageQueryError("%r is not a package name (letters, digits and + . _ -, starting with a letter or "
                                    "digit; no version, no option)" % (name,))


def detect_manager(module):
    """'apt' where apt-cache exists, else 'dnf' where dnf exists; raises when neither does."""
    if module.get_bin_path("apt-cache"):
        return "apt"
    if module.get_bin_path("dnf"):
        return "dnf"
    raise PackageQueryError("neither apt-cache nor dnf is on this host's PATH: only APT (Debian, Ubuntu) and DNF "
                            "(RHEL-compatible) hosts are supported")


def need_bin(module, name, manager):
    path = module.get_bin_path(name)
    if not path:
        raise PackageQueryError("%s is not on this host's PATH, so the %s package sources cannot be read: install it "
                                "or choose the package manager this host uses" % (name, manager))
    return path


class _Packages(object):
    manager = None
    pin_separator = None

    def __init__(self, module):
        self.module = module

    def run(self, argv, ok=(0,)):
        rc, out, err = self.module.run_command(argv, environ_update=ENV)
        if rc not in ok:
            raise PackageQueryError("%s failed (rc %s): %s" % (" ".join(argv), rc, one_line(err or out) or "no output"))
        return rc, out, err

    def offer(self, names):
        """{name: {installed, held, candidate, versions}} and where the offered versions were read ('host' or
        'private')."""
        check_names(names)
        available, where = self.offered(names)
        state = self.installed(names)
        result = {}
        for name in names:
            versions = available.get(name) or []
            result[name] = {"installed": state[name][0], "held": state[name][1],
                            "candidate": self.candidate(name, versions), "versions": versions}
        return result, where


class AptPackages(_Packages):
    """APT: the host's index first; a private index in the module's temporary directory where it cannot answer.

    ``extra_stanzas``: deb822 stanzas (dicts, see ``render_deb822``) the private index adds to the host's sources;
    ``trusted_repo_url``: a flat repository (suite ``/``) added as trusted, for reading version lists before its
    key is installed; ``exclude_file``: a sources file of the host left out of the private index;
    ``private``: whether a private index may be downloaded at all (False: the host's index answers, as it is);
    ``required``: [(URI, message)] of planned sources that must answer: when apt-get update reports an error or a
    warning about one of them (unreachable, no Release file, a signature it cannot verify), PackageQueryError says
    ``message`` and apt's line.
    """
    manager = "apt"
    pin_separator = "="

    def __init__(self, module, extra_stanzas=(), trusted_repo_url=None, exclude_file=None, private=True,
                 sources_dir=None, required=(), lock_timeout=0, keep_index=False):
        super(AptPackages, self).__init__(module)
        self.extra_stanzas = list(extra_stanzas or [])
        self.trusted_repo_url = trusted_repo_url
        self.exclude_files = [exclude_file] if isinstance(exclude_file, str) else list(exclude_file or [])
        self.required = list(required or [])
        self.private = private
        self.sources_dir = sources_dir or APT_SOURCES_DIR
        self.options = []
        self.prepared = False
        self.host_policy = {}
        self.private_policy = {}
        self.answers = {}       # (apt-cache verb, private index?) -> {name: answer}
        self.dpkg_control = None
        self.cache_options = None
        self.lock_timeout = lock_timeout
        # a private index downloaded for a real install is kept, so that the install takes its lists instead of
        # downloading them again
        self.keep_index = kept_index_dir(module) if keep_index else None
        if not module.check_mode:
            discard_stale_index(kept_index_dir(module))

    @property
    def planned(self):
        """Sources are planned that the host's index cannot know yet."""
        return bool(self.extra_stanzas or self.trusted_repo_url)

    def _private_index(self, packages):
        """A private package index: the host's sources + the planned ones, in the module's tmpdir."""
        base = self.keep_index or os.path.join(self.module.tmpdir, "gpuhost-apt")
        if self.keep_index:   # what an earlier run left, if it stopped before its install
            shutil.rmtree(base, ignore_errors=True)
            os.makedirs(base, mode=0o700)
        parts = os.path.join(base, "sources.list.d")
        for sub in ("lists/partial", "cache/archives/partial", "sources.list.d"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        own = set(os.path.realpath(path) for path in self.exclude_files)
        for path in sorted(glob.glob(os.path.join(self.sources_dir, "*.list")) +
                           glob.glob(os.path.join(self.sources_dir, "*.sources"))):
            if os.path.realpath(path) in own:
                continue
            os.symlink(path, os.path.join(parts, os.path.basename(path)))
        if self.extra_stanzas:
            with open(os.path.join(parts, "gpuhost-planned.sources"), "w") as handle:
                handle.write(render_deb822(self.extra_stanzas))
        if self.trusted_repo_url:
            with open(os.path.join(parts, "gpuhost-cuda-planned.sources"), "w") as handle:
                handle.write(render_deb822([{"types": "deb", "uris": self.trusted_repo_url, "suites": ["/"],
                                             "components": [], "signed_by": None}], trusted=True))
        self.options = [
            "-o", "Dir::State::Lists=%s" % os.path.join(base, "lists"),
            "-o", "Dir::Cache=%s" % os.path.join(base, "cache"),
            "-o", "Dir::Etc::SourceParts=%s" % parts,
            "-o", "APT::Sandbox::User=root",
            "-o", "Debug::NoLocking=1",
            "-o", "Acquire::Retries=3",
            "-o", "Acquire::http::Timeout=60",
        ]
        argv = [need_bin(self.module, "apt-get", "APT"), "-q", "update"] + self.options
        rc, out, err = self.refresh(argv)
        for uri, message in self.required:
            # apt-get update exits 0 when a source is unreachable; it warns (W: Failed to fetch <uri>/...)
            about = [line for line in (err + "\n" + out).splitlines() if re.match(r"^(E|W):", line)
                     and str(uri).rstrip("/") in line]
            if about:
                raise PackageQueryError("%s: %s" % (message, bounded(about[0], 300)))
        if rc != 0:
            lines = [line for line in (err or out).splitlines() if re.match(r"^(E|W):", line)] or \
                (err or out).splitlines() or ["no output"]
            raise PackageQueryError("apt-get update into a private index (to look up %s; the host's own index stays "
                                    "untouched) failed (rc %s): %s; check the host's APT sources and its network, "
                                    "then run again" % (", ".join(packages), rc, one_line(lines[-1])))

    def refresh(self, argv):
        """``apt-get update`` into the private index, each try bounded by UPDATE_LIMIT seconds (coreutils' timeout,
        where the host has it). apt's own timeouts do not cover every hang: a download whose proxy closed the
        connection mid-file has been seen to wait for good (apt's http method in CLOSE-WAIT). A try that runs out is
        made once more; two raise, naming the limit."""
        limiter = self.module.get_bin_path("timeout")
        bounded_argv = ([limiter, "--kill-after=10", str(UPDATE_LIMIT)] if limiter else []) + argv
        for _try in range(2):
            rc, out, err = self.module.run_command(bounded_argv, environ_update=ENV)
            if not limiter or rc not in TIMED_OUT:
                return rc, out, err
        raise PackageQueryError("apt-get update into a private index did not finish within %d s, twice (a download "
                                "hung); check the host's network and its APT proxy, then run again" % UPDATE_LIMIT)

    def kept_lists(self):
        """The lists directory of the private index when it was downloaded and is kept (keep_index), else None."""
        return os.path.join(self.keep_index, "lists") if self.keep_index and self.prepared else None

    def discard_index(self):
        if self.keep_index:
            shutil.rmtree(self.keep_index, ignore_errors=True)

    def policy(self, packages, private=True):
        if private and self.private and not self.prepared:
            self._private_index(packages)
            self.prepared = True
        # One apt-cache call per index and package: answers are kept (a caller may ask for the same packages more
        # than once, and each apt-cache call reads the whole index).
        cache = self.private_policy if private and self.private else self.host_policy
        wanted = [name for name in packages if name not in cache]
        if wanted:
            options = self.options if private and self.private else self.host_cache_options()
            _rc, out, _err = self.run([need_bin(self.module, "apt-cache", "APT")] + options + ["policy"] + wanted)
            answered = parse_apt_policy(out)
            for name in wanted:
                cache[name] = answered.get(name, {"installed": None, "candidate": None, "versions": []})
        return dict((name, cache[name]) for name in packages)

    def host_cache_options(self):
        """apt options for reading the host's own index without writing apt's binary caches (/var/cache/apt/*.bin).

        Without any binary cache apt parses every list file on each call (0.8 s on a Debian 12 host with contrib
        and non-free, most of the pre-flight's time on a converged host). The package cache, which also holds
        dpkg's status, is kept in memory (``Dir::Cache::pkgcache=``); the source cache, which only the index files
        decide, is read from a copy in the module's temporary directory: apt uses it when it is current (0.1 s),
        and where it is stale or missing apt rebuilds it into the copy, never into the host's file."""
        if self.cache_options is None:
            # the host's index is read without apt's lock: not while an index refresh rewrites it (at most
            # lock_timeout seconds; 0 reads at once)
            held = wait_free([LISTS_LOCK], self.lock_timeout)[0] if self.lock_timeout else []
            if held:
                raise PackageQueryError(timeout_message(held, self.lock_timeout, "O(lock_timeout)"))
            self.cache_options = ["-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="]
            config = self.module.get_bin_path("apt-config")
            rc, out, _err = self.module.run_command([config, "shell", "SRC", "Dir::Cache::srcpkgcache/f"],
                                                    environ_update=ENV) if config else (1, "", "")
            match = re.match(r"^SRC='(.+)'$", out.strip()) if rc == 0 else None
            if match and os.path.isfile(match.group(1)):
                copy = os.path.join(self.module.tmpdir, "gpuhost-srcpkgcache.bin")
                shutil.copyfile(match.group(1), copy)
                self.cache_options[-1] = "Dir::Cache::srcpkgcache=%s" % copy
        return self.cache_options

    def index_options(self):
        """The options that read the index that answered the last question: the private one once it was
        downloaded, else the host's own (without writing its caches or taking its lock)."""
        if self.prepared:
            return self.options
        return self.host_cache_options() + ["-o", "Debug::NoLocking=1"]

    def _ask(self, verb, parse, packages):
        """apt-cache ``verb`` about ``packages`` on the index that answered, parsed; answers are kept per index."""
        cache = self.answers.setdefault((verb, self.prepared), {})
        wanted = [name for name in packages if name not in cache]
        if wanted:
            check_names(wanted)
            # apt-cache exits 100 when it knows none of the names ("No packages found"); what it found is still printed
            _rc, out, _err = self.run([need_bin(self.module, "apt-cache", "APT")] + self.index_options() + [verb]
                                      + wanted, ok=(0, 100))
            answered = parse(out)
            for name in wanted:
                cache[name] = answered.get(name, [])
        return dict((name, cache[name]) for name in packages)

    def show(self, packages):
        """{name: [stanza, ...]} (parse_apt_show) for every version of ``packages`` the answering index offers; names
        it does not know are absent."""
        return dict((name, stanzas) for name, stanzas in self._ask("show", parse_apt_show, packages).items() if stanzas)

    def providers(self, packages):
        """{virtual name: [(package, version), ...]} of the packages that provide each of ``packages``
        (parse_apt_showpkg), from the same index as show()."""
        return self._ask("showpkg", parse_apt_showpkg, packages)

    def installed_control(self):
        """parse_dpkg_control() of every installed package: one dpkg-query call, no index read (kept)."""
        if self.dpkg_control is None:
            _rc, out, _err = self.run([need_bin(self.module, "dpkg-query", "APT"), "-W", DPKG_CONTROL_FORMAT])
            self.dpkg_control = parse_dpkg_control(out)
        return self.dpkg_control

    def closure_readers(self, pinned):
        """(show, providers) for version_closure: dpkg's database where every one of ``pinned`` ({name: version}) is
        installed at its version (a converged host: no index is read), else the index that answered."""
        stanzas, providers = self.installed_control()
        if all(any(s["version"] == version for s in stanzas.get(name, [])) for name, version in pinned.items()):
            return (lambda names: dict((n, stanzas[n]) for n in names if n in stanzas),
                    lambda names: dict((n, providers.get(n, [])) for n in names))
        return self.show, self.providers

    def simulate(self, items):
        """What ``apt-get install`` of ``items`` (name=version) would do, as apt itself resolves it against the same
        index, read-only (``-s``): parse_apt_simulation()'s answer. The host's holds count as they are."""
        # apt writes its solver's log (Dir::Log::Planner, eipp.log.xz) even when it only simulates: into the module's
        # temporary directory, so that the host's /var/log/apt stays as it is (check mode changes nothing)
        log = os.path.join(self.module.tmpdir, "gpuhost-apt-log")
        os.makedirs(log, exist_ok=True)
        argv = [need_bin(self.module, "apt-get", "APT"), "-s", "-q", "install", "--no-install-recommends"] \
            + self.index_options() + ["-o", "Dir::Log=%s" % log] + list(items)
        rc, out, err = self.module.run_command(argv, environ_update=ENV)
        return parse_apt_simulation(rc, out, err)

    def prefetch(self, packages):
        """Ask the host's own index about every package a caller may need in one apt-cache call (each call reads
        the whole index, ~0.5 s); later questions are answered from the kept answers. Only where the host's index
        is the one that will be asked (see offered)."""
        if packages and not self.planned and not self.prepared:
            self.policy(sorted(set(packages) | self.installed_siblings(packages)), private=False)

    def installed_siblings(self, packages):
        """The installed packages built from the same source package as an installed one of ``packages``: on a
        converged host the pin closure (closure_readers, from dpkg's database) asks the index about them next, and
        asked here they cost no second apt-cache call (each one builds apt's package cache again, ~0.12 s)."""
        stanzas, _providers = self.installed_control()
        sources = set(s["source"] for name in packages for s in stanzas.get(name, []))
        return set(name for name, found in stanzas.items() if any(s["source"] in sources for s in found))

    def offered(self, packages):
        """({name: [versions]}, 'host' or 'private').

        The host's own index answers when it knows every package and nothing is planned that it lacks: the usual
        case on a converged host, and no download."""
        if packages and not self.planned and not self.prepared:
            known = self.policy(packages, private=False)
            if not self.private or all(known.get(name, {}).get("versions") for name in packages):
                return {name: known[name]["versions"] for name in packages}, "host"
        answered = self.policy(packages)
        return {name: info["versions"] for name, info in answered.items()}, "private" if self.prepared else "host"

    def available(self, packages):
        return self.offered(packages)[0]

    def origins(self, packages):
        """{name: {version: [source URIs]}} from the index that answered available() (call that first)."""
        cache = self.private_policy if self.prepared else self.host_policy
        return dict((name, (cache.get(name) or {}).get("origins", {})) for name in packages)

    def candidate(self, name, versions):
        """The version apt would install (its policy's Candidate), from the index that answered."""
        info = (self.private_policy if self.prepared else self.host_policy).get(name)
        return info["candidate"] if info else (versions[0] if versions else None)

    def installed(self, names):
        """{name: (installed version or None, held)} from dpkg's database; no index is read."""
        _rc, out, _err = self.run([need_bin(self.module, "dpkg-query", "APT"), "-W",
                                   "-f=${Package}\\t${Version}\\t${db:Status-Abbrev}\\n"] + list(names),
                                  ok=(0, 1))   # 1: some of the names are unknown to dpkg, which is an answer
        return parse_dpkg_status(out, names)

    def host_ready(self, pinned):
        """Does the host's own index know every package at its pinned version, and is python3-apt there?"""
        names = [name for name, _v in pinned]
        known = self.policy(names, private=False) if names else {}
        for name, version in pinned:
            info = known.get(name)
            if not info or not info["candidate"]:
                return False
            if version and version not in info["versions"]:
                return False
        if importlib.util.find_spec("apt") is not None:   # this interpreter has python3-apt: no process needed
            return True
        rc, _out, _err = self.module.run_command([self.module.get_bin_path("python3") or "/usr/bin/python3", "-c",
                                                  "import apt"], environ_update=ENV)
        return rc == 0


class DnfPackages(_Packages):
    """DNF: ``dnf repoquery`` over the enabled repositories (plus ``repo_url``, unsigned, for reading only) and
    ``rpm -q``. dnf may refresh its own metadata cache; nothing else is written. Holds (versionlock) are not read."""
    manager = "dnf"
    pin_separator = "-"

    def __init__(self, module, repo_url=None):
        super(DnfPackages, self).__init__(module)
        self.repo_url = repo_url

    def _query(self, packages, extra):
        dnf = need_bin(self.module, "dnf", "DNF")
        _rc, out, _err = self.run([dnf, "-q"] + extra + ["repoquery", "--qf", "%{name}\\t%{version}-%{release}\\n"]
                                  + list(packages))
        return parse_name_version_lines(out)

    def offered(self, packages):
        extra = ["--repofrompath=gpuhost-cuda,%s" % self.repo_url, "--setopt=gpuhost-cuda.gpgcheck=0"] \
            if self.repo_url else []
        found = self._query(packages, extra)
        return dict((name, found.get(name, [])) for name in packages), "host"

    def available(self, packages):
        return self.offered(packages)[0]

    @staticmethod
    def candidate(name, versions):
        del name
        return versions[-1] if versions else None   # repoquery lists versions oldest first

    def installed(self, names):
        """{name: (installed version-release or None, False)}: holds on EL are versionlock lines, not states."""
        rpm = need_bin(self.module, "rpm", "DNF")
        # rpm -q exits with the number of names that are not installed; what is installed is still printed
        _rc, out, _err = self.module.run_command([rpm, "-q", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"]
                                                 + list(names), environ_update=ENV)
        found = parse_name_version_lines(out)
        return dict((name, (found[name][-1] if found.get(name) else None, False)) for name in names)

    def simulate(self, items):
        """What ``dnf install`` of ``items`` would do, resolved by dnf itself and declined (``--assumeno``): nothing is
        installed; dnf may refresh its own metadata cache. parse_dnf_simulation()'s answer."""
        dnf = need_bin(self.module, "dnf", "DNF")
        extra = ["--repofrompath=gpuhost-cuda,%s" % self.repo_url, "--setopt=gpuhost-cuda.gpgcheck=0"] \
            if self.repo_url else []
        rc, out, err = self.module.run_command([dnf, "install", "--assumeno"] + extra + list(items),
                                               environ_update=ENV)
        return parse_dnf_simulation(rc, out, err)

    def prefetch(self, packages):
        """Nothing to gain: each repoquery names its own packages."""

    def host_ready(self, pinned):
        names = [name for name, _v in pinned]
        found = self._query(names, []) if names else {}
        return all(name in found and (not version or version in found[name]) for name, version in pinned)


def installed_versions(module, dpkg_patterns, rpm_patterns):
    """Versions of the installed packages whose names match the patterns (dpkg-query globs on APT hosts, rpm names
    elsewhere), or [] where neither dpkg-query nor rpm exists. A held package (``apt-mark hold``) counts as
    installed. dpkg-query and rpm exit non-zero when a pattern matches nothing; what did match is still printed."""
    dpkg = module.get_bin_path("dpkg-query")
    if dpkg:
        _rc, out, _err = module.run_command([dpkg, "-W", "-f=${Package}\\t${Version}\\t${db:Status-Abbrev}\\n"]
                                            + list(dpkg_patterns), environ_update=ENV)
        # db:Status-Abbrev: want flag, status, error; status "i" is installed, whether the want flag is "i"
        # (install) or "h" (hold)
        return [f[1] for f in (line.split("\t") for line in out.splitlines()) if len(f) >= 3 and f[2][1:2] == "i"]
    rpm = module.get_bin_path("rpm")
    if not rpm:
        return []
    _rc, out, _err = module.run_command([rpm, "-q", "--qf", "%{NAME}\\t%{VERSION}\\n"] + list(rpm_patterns),
                                        environ_update=ENV)
    return [f[1] for f in (line.split("\t") for line in out.splitlines()) if len(f) >= 2]


def packages_for(module, manager, private=True):
    """The reader for ``manager`` ('apt', 'dnf' or 'auto': what this host uses)."""
    if manager == "auto":
        manager = detect_manager(module)
    if manager == "apt":
        return AptPackages(module, private=private)
    if manager == "dnf":
        return DnfPackages(module)
    raise PackageQueryError("manager must be one of auto, %s, not %r" % (", ".join(MANAGERS), manager))

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The NVIDIA driver's plan: which branch, packages, pins and holds, whether the sources can satisfy them, and what a
run would change. Read only.

Private module_utils: not an API. ``nvidia_driver_plan`` builds a ``PlanRequest`` from its options and calls
``Planner(module, request).plan()``; the pure decisions live in ``_driver_packages`` (package names, versions, the
version closure) and ``_apt_sources`` (the host's APT sources). Errors raise ``DriverPlanError``,
``CudaCompatError`` or ``PackageQueryError``; a refusal that is an answer (the sources cannot satisfy the request) is
returned as data (``satisfied`` false, ``msg``).
"""
from __future__ import annotations

import os
import platform

from ansible.module_utils import distro
from ansible.module_utils.facts import ansible_collector
from ansible.module_utils.facts.namespace import PrefixFactNamespace
from ansible.module_utils.facts.system.apparmor import ApparmorFactCollector
from ansible.module_utils.facts.system.caps import SystemCapabilitiesFactCollector
from ansible.module_utils.facts.system.cmdline import CmdLineFactCollector
from ansible.module_utils.facts.system.date_time import DateTimeFactCollector
from ansible.module_utils.facts.system.distribution import DistributionFactCollector
from ansible.module_utils.facts.system.dns import DnsFactCollector
from ansible.module_utils.facts.system.env import EnvFactCollector
from ansible.module_utils.facts.system.fips import FipsFactCollector
from ansible.module_utils.facts.system.local import LocalFactCollector
from ansible.module_utils.facts.system.lsb import LSBFactCollector
from ansible.module_utils.facts.system.pkg_mgr import OpenBSDPkgMgrFactCollector, PkgMgrFactCollector
from ansible.module_utils.facts.system.platform import PlatformFactCollector
from ansible.module_utils.facts.system.python import PythonFactCollector
from ansible.module_utils.facts.system.selinux import SelinuxFactCollector
from ansible.module_utils.facts.system.service_mgr import ServiceMgrFactCollector
from ansible.module_utils.facts.system.ssh_pub_keys import SshPubKeyFactCollector
from ansible.module_utils.facts.system.user import UserFactCollector
from ansible.module_utils.facts.virtual.base import VirtualCollector
from ansible.module_utils.facts.virtual.dragonfly import DragonFlyVirtualCollector
from ansible.module_utils.facts.virtual.freebsd import FreeBSDVirtualCollector
from ansible.module_utils.facts.virtual.hpux import HPUXVirtualCollector
from ansible.module_utils.facts.virtual.linux import LinuxVirtualCollector
from ansible.module_utils.facts.virtual.netbsd import NetBSDVirtualCollector
from ansible.module_utils.facts.virtual.openbsd import OpenBSDVirtualCollector
from ansible.module_utils.facts.virtual.sunos import SunOSVirtualCollector

from ansible_collections.gpuhost.provision.plugins.module_utils import _apt_repo, _apt_sources
from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    CudaCompatError,
    Resolution,
    driver_at_least,
    normalize_driver_version,
    resolve_min_driver,
    table_from,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_packages import (
    CUDA_APT_KEY_FILE,
    CUDA_EL_KEY_FILE,
    CUDA_KEYRING_PACKAGE,
    CUDA_REPO_BASE,
    FABRIC_MANAGER_SERVICE,
    NVLSM_PACKAGE,
    DriverPlanError,
    branch_candidates,
    branch_of,
    choose_kernel_module,
    cuda_keyring_url,
    cuda_repo_id,
    cuda_repo_url,
    effective_source,
    fabric_manager_candidates,
    fabric_manager_choice,
    family_of,
    needs_nvlsm,
    nvswitch_required,
    package_set,
    pick_version,
    refusal_message,
    version_closure,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._host_driver import HostDriver
from ansible_collections.gpuhost.provision.plugins.module_utils._kernels import installed_kernels
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import pci_gpus, pci_nvswitches
from ansible_collections.gpuhost.provision.plugins.module_utils._package_parsers import same_uri
from ansible_collections.gpuhost.provision.plugins.module_utils._packages import AptPackages, DnfPackages
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_sections import components_current
from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_state

CUDA_KEYRING_FILE = "/usr/share/keyrings/cuda-archive-keyring.gpg"
HOST_DRIVER_PATHS = {}   # overridable by tests (module-internal): HostDriver's paths
# What to do about a driver that is not from packages, per origin (the plan never removes one).
EXISTING_FIX = {
    "runfile": "install a newer driver with NVIDIA's .run installer, or remove this one with nvidia-uninstall "
               "and run again to install packages",
    "image": "use an image or driver mount with a newer driver (the driver belongs to the image or the host)",
    "vendor_packages": "upgrade the vendor's driver packages, or remove them and run again to install packages",
}
EXISTING_REMOVE = {
    "runfile": "remove it with nvidia-uninstall, then run again",
    "image": "use an image without a driver, or set O(existing) to adopt",
    "vendor_packages": "remove the vendor's driver packages, then run again",
}
# distro ids (os-release ID) -> the names ansible_facts uses, where capitalising the id is not it.
DISTRIBUTION_NAMES = {"rhel": "RedHat", "almalinux": "AlmaLinux", "centos": "CentOS", "ol": "OracleLinux"}
EL_IDS = ("rhel", "rocky", "almalinux", "centos", "ol", "fedora")
# What ansible.builtin.setup collects for gather_subset '!all' (its minimal subset), plus the virtual subset.
MINIMAL_FACT_SUBSET = frozenset(["apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env", "fips",
                                 "local", "lsb", "pkg_mgr", "platform", "python", "selinux", "service_mgr",
                                 "ssh_pub_keys", "user"])
# The collectors of those subsets, in the order of ansible.module_utils.facts.default_collectors. Importing that module
# instead loads every hardware and network collector as well: about a fifth of this module's start-up on a host, where
# AnsiballZ compiles every imported file again on each run (tests/unit/test_driver_plan_facts.py: the same selection).
FACT_COLLECTORS = (PlatformFactCollector, DistributionFactCollector, LSBFactCollector, SelinuxFactCollector,
                   ApparmorFactCollector, FipsFactCollector, PythonFactCollector, SystemCapabilitiesFactCollector,
                   PkgMgrFactCollector, OpenBSDPkgMgrFactCollector, ServiceMgrFactCollector, CmdLineFactCollector,
                   DateTimeFactCollector, EnvFactCollector, SshPubKeyFactCollector, UserFactCollector,
                   VirtualCollector, DragonFlyVirtualCollector, FreeBSDVirtualCollector, LinuxVirtualCollector,
                   OpenBSDVirtualCollector, NetBSDVirtualCollector, SunOSVirtualCollector, HPUXVirtualCollector,
                   DnsFactCollector, LocalFactCollector)


class PlanRequest(object):
    """What is asked: the module's options that decide the plan, by name (see nvidia_driver_plan's DOCUMENTATION)."""

    FIELDS = ("cuda_version", "branch", "version", "kernel_module", "source", "compatibility", "build_module",
              "nvswitch", "distribution", "distribution_major_version", "distribution_release", "os_family",
              "kernel", "architecture", "apt_sources_file", "refresh_cache", "existing", "cuda_table",
              "package_flavour", "cuda_repo_url", "cuda_repo_key_url", "apt_repo", "lock_timeout", "keep_index",
              "cuda_request")

    def __init__(self, *, cuda_version: str | None = None, branch: int | None = None, version: str | None = None,
                 kernel_module: str = "auto", source: str = "distro", compatibility: str = "toolkit",
                 build_module: bool = True, nvswitch: str = "auto", distribution: str | None = None,
                 distribution_major_version: str | None = None, distribution_release: str | None = None,
                 os_family: str | None = None, kernel: str | None = None, architecture: str = "x86_64",
                 apt_sources_file: str = "/etc/apt/sources.list.d/gpuhost-nvidia-driver.sources",
                 refresh_cache: bool = True, existing: str = "adopt", cuda_table: dict | None = None,
                 package_flavour: str = "full", cuda_repo_url: str = CUDA_REPO_BASE, cuda_repo_key_url: str = "",
                 apt_repo: dict | None = None, lock_timeout: int = 0, keep_index: bool = False,
                 cuda_request: dict | None = None):
        self.cuda_version = cuda_version
        self.branch = branch
        self.version = version
        self.kernel_module = kernel_module
        self.source = source
        self.compatibility = compatibility
        self.build_module = build_module
        self.nvswitch = nvswitch
        self.distribution = distribution
        self.distribution_major_version = distribution_major_version
        self.distribution_release = distribution_release
        self.os_family = os_family
        self.kernel = kernel
        self.architecture = architecture
        self.apt_sources_file = apt_sources_file
        self.refresh_cache = refresh_cache
        self.existing = existing
        self.cuda_table = cuda_table
        self.package_flavour = package_flavour
        self.cuda_repo_url = cuda_repo_url
        self.cuda_repo_key_url = cuda_repo_key_url
        self.apt_repo = apt_repo
        self.lock_timeout = lock_timeout
        self.keep_index = keep_index
        self.cuda_request = cuda_request   # the controller's resolution of cuda_version (driver_request), if any

    @classmethod
    def from_params(cls, params: dict) -> "PlanRequest":
        """The request from a module's params; the host's release fills what the caller left out."""
        values = dict((name, params.get(name)) for name in cls.FIELDS if params.get(name) is not None)
        for key, value in read_host_release().items():
            values.setdefault(key, value)
        return cls(**values)


def read_host_release():
    """The five facts the plan needs, read from the host: os-release (ansible's distro) and the running kernel."""
    ident = distro.id()
    like = distro.like().split()
    if ident in ("debian", "ubuntu") or "debian" in like:
        family = "Debian"
    elif ident in EL_IDS or set(like) & set(EL_IDS):
        family = "RedHat"
    else:
        family = ident.capitalize()
    return {"distribution": DISTRIBUTION_NAMES.get(ident, ident.capitalize()),
            "distribution_major_version": distro.major_version(),
            "distribution_release": distro.codename() or "", "os_family": family, "kernel": platform.release()}


def host_facts(module):
    """setup's facts for ['!all', 'min', 'virtual'], from Ansible's own fact collectors, prefixed as setup returns them.
    The local facts are read from setup's default directory, as setup would (module.params has no fact_path)."""
    module.params.setdefault("fact_path", "/etc/ansible/facts.d")
    collector = ansible_collector.get_ansible_collector(
        all_collector_classes=list(FACT_COLLECTORS),
        namespace=PrefixFactNamespace(namespace_name="ansible", prefix="ansible_"), filter_spec=[],
        gather_subset=["!all", "min", "virtual"], gather_timeout=10, minimal_gather_subset=MINIMAL_FACT_SUBSET)
    return collector.collect(module=module)


class Unsatisfied(Exception):
    """A refusal that the plan returns as data (RV(satisfied) false, RV(msg)), not as a module failure."""


def normalize_or(version):
    """'535.261.03-1' -> '535.261.03'; a version that is not a driver version stays as it is."""
    try:
        return normalize_driver_version(version)
    except CudaCompatError:
        return version


def initramfs_command(module):
    tool = module.get_bin_path("update-initramfs")
    if tool:
        return [tool, "-u"]
    tool = module.get_bin_path("dracut")
    return [tool, "-f"] if tool else None


class Planner(object):
    """One plan for one request. The steps share what they resolved on the object (family, source, the CUDA
    resolution, the package backend, the result being built) instead of passing it along."""

    def __init__(self, module, request: PlanRequest, backend_factory=None, pci_reader=None, host_driver=None):
        self.module = module
        self.request = request
        self.backend_factory = backend_factory or self._backend
        self.pci_reader = pci_reader or pci_gpus
        self.switch_reader = pci_nvswitches
        self.host_driver = host_driver or HostDriver(module, **HOST_DRIVER_PATHS)
        # resolved by plan(), step by step
        self.family = self.source = self.resolution = self.min_driver = None
        self.cuda_request_taken = False   # whether the resolution is the caller's (PlanRequest.cuda_request)
        self.backend = None
        self.result = None
        self.pci = []
        self.kernels = []
        self.apt_repo = None       # the APT repository the role writes (_apt_repo), when there is one
        self.names = None          # whose package names the sources use: distro or cuda_repo

    def _backend(self, stanzas, repo):
        if self.family == "el":
            return DnfPackages(self.module, repo_url=repo["url"] if repo else None)
        extra, required = list(stanzas), []
        repo_file = self.apt_repo["sources_file"] if self.apt_repo else _apt_repo.SOURCES_FILE
        planned = bool(self.apt_repo and not (self.apt_repo["key_current"] and self.apt_repo["sources_current"]))
        if planned:
            # looked up through the key just read, as the host will once the role wrote it
            extra.append(_apt_repo.stanza(self.apt_repo, self.apt_repo["key_tmp"]))
            required.append((self.apt_repo["url"], "%s does not answer as a signed APT repository: check the url, "
                             "suites, components and key_url in O(%s) and that the host reaches it"
                             % (_apt_repo.label(self.apt_repo), self.apt_repo["option"])))
        # the private index is not kept for the install while it reads a repository through the key in this module's
        # temporary directory: the install reads the source and key the role writes
        return AptPackages(self.module, extra_stanzas=extra, trusted_repo_url=repo["url"] if repo else None,
                           exclude_file=[self.request.apt_sources_file, repo_file], private=self.request.refresh_cache,
                           sources_dir=_apt_sources.APT_SOURCES_DIR, required=required,
                           lock_timeout=self.request.lock_timeout,
                           keep_index=self.request.keep_index and not self.module.check_mode and not planned)

    @property
    def label(self):
        """'Debian 12 (distribution archive)', 'EL 9 (CUDA repository)': how messages name the package sources."""
        if self.source == "mirror":
            return _apt_repo.label(self.apt_repo)
        text = "%s %s" % ({"debian": "Debian", "ubuntu": "Ubuntu", "el": "EL"}[self.family],
                          self.request.distribution_major_version)
        return text + " (%s)" % ("distribution archive" if self.source == "distro" else "CUDA repository")

    def plan(self):
        """The plan (steps()), and RV(index_lists): the private index kept for the install where one was downloaded
        and a real run installs (keep_index), so that the index is downloaded once; discarded otherwise."""
        result = self.steps()
        lists = self.backend.kept_lists() if hasattr(self.backend, "kept_lists") else None
        if lists and result["satisfied"] and result["to_install"]:
            result["index_lists"] = lists
        elif hasattr(self.backend, "discard_index"):
            self.backend.discard_index()
        return result

    def steps(self):
        """The plan, step by step: what is asked, where the packages come from, what the host has, a driver that is
        already there, the candidate, its packages, Fabric Manager, what is left to install and what the package
        manager says of it."""
        self.resolve_request()
        switches = self.switch_reader()
        fm_required, fm_reason = nvswitch_required(self.request.nvswitch, switches)
        stanzas, repo = self.sources(fm_required)
        self.backend = self.backend_factory(stanzas, repo)
        self.pci = self.pci_reader()
        result = self.result = self.skeleton(stanzas, repo, switches, fm_required, fm_reason)
        existing = result["existing_driver"]
        if existing and existing["origin"] != "packages":
            return self.keep_existing(existing)
        self.kernels = installed_kernels()
        try:
            package_version, driver_version, branch = self.candidate()
            flavor, why = choose_kernel_module(self.request.kernel_module, branch, self.pci)
            pkgs = self.packages(flavor, branch, package_version)
            pins = dict((n, package_version) for n in pkgs.versioned)
            if self.family != "el":
                self.pin_closure(pkgs, pins, package_version)
            if fm_required:
                self.add_fabric_manager(pkgs, pins, branch, driver_version)
        except Unsatisfied as exc:
            result["msg"] = one_line(exc)
            return result
        install, pinned = self.install_items(pkgs, pins, driver_version)
        result.update(branch=branch, candidate_version=package_version, driver_version=driver_version,
                      kernel_module=flavor, kernel_module_reason=why, packages=pkgs.packages, install=install,
                      hold=pkgs.hold, stream=pkgs.stream, satisfied=True)
        result["notes"].extend(pkgs.notes)
        self.host_state(pkgs, install, pinned, pins)
        planned = self.apt_repo and not (self.apt_repo["key_current"] and self.apt_repo["sources_current"])
        result["package_manager_ready"] = bool(not stanzas and not repo and not planned
                                               and self.backend.host_ready(pinned))
        need = "CUDA %s needs >= %s" % (result["cuda_version"], self.min_driver) if self.min_driver \
            else "branch R%s" % branch
        result["msg"] = "%s: %s %s (R%s, %s) from %s satisfies it" % (
            need, pkgs.version_package, package_version, branch, flavor, self.label)
        before = result["installed"].get(pkgs.version_package)
        if before and before != package_version:
            result["driver_change"] = {"from": normalize_or(before), "to": driver_version,
                                       "from_package": before, "to_package": package_version}
        if result["to_install"]:
            refusal = self.simulate(install, pkgs)
            if refusal:
                result.update(satisfied=False, msg=one_line(refusal))
        return result

    def resolve_request(self):
        """Family, source and the CUDA request, resolved once; raises for a contradictory request."""
        r = self.request
        if r.cuda_version is None and r.branch is None:
            raise DriverPlanError("set O(cuda_version) (what the workloads need) or O(branch)")
        self.family = family_of(r.distribution, r.os_family)
        self.source = effective_source(self.family, r.source)
        self.table = table_from(r.cuda_table)
        self.resolution = None
        if r.cuda_version:
            # the input check's answer where it answered this question; else resolved here
            self.resolution = Resolution.from_request(r.cuda_request or {}, r.cuda_version, r.compatibility)
            self.cuda_request_taken = self.resolution is not None
            self.resolution = self.resolution or resolve_min_driver(r.cuda_version, r.compatibility, self.table)
        self.min_driver = self.resolution.min_driver if self.resolution else None
        if self.min_driver and r.branch is not None and not driver_at_least("%d.999.99" % r.branch, self.min_driver):
            raise DriverPlanError("branch R%d is older than the minimum driver %s for CUDA %s: raise "
                                  "O(branch) or lower O(cuda_version)"
                                  % (r.branch, self.min_driver, self.resolution.cuda_version))

    def sources(self, fm_required):
        """(APT stanzas that add missing components, NVIDIA's CUDA repository or None) for this family and source."""
        r = self.request
        stanzas = []
        if self.family in _apt_sources.WANTED_COMPONENTS and self.source == "distro":
            # Ubuntu's Fabric Manager packages are in multiverse
            extra = ("multiverse",) if fm_required and self.family == "ubuntu" else ()
            stanzas = _apt_sources.missing_component_stanzas(_apt_sources.host_sources(r.apt_sources_file),
                                                             self.family, r.distribution_release, extra)
        repo = None
        self.names = self.source
        if self.source == "cuda_repo":
            el = self.family == "el"
            base = r.cuda_repo_url or CUDA_REPO_BASE
            repo_id = cuda_repo_id(self.family, r.distribution, r.distribution_major_version)
            url = cuda_repo_url(repo_id, r.architecture, base)
            if el or (same_uri(base, CUDA_REPO_BASE) and not r.cuda_repo_key_url):
                # NVIDIA's own repository on APT hosts: its cuda-keyring package brings the key and the source
                repo = {"id": repo_id, "url": url,
                        "keyring_url": None if el else cuda_keyring_url(repo_id, r.architecture, base),
                        "keyring_file": None if el else CUDA_KEYRING_FILE,
                        "gpgkey_url": (r.cuda_repo_key_url or url + CUDA_EL_KEY_FILE) if el else None}
            else:
                # a mirror (cuda-keyring's source would name NVIDIA's host): the role writes source and key itself
                self.apt_repo = self.read_apt_repo(_apt_repo.repo_from_options(
                    {"url": url, "suites": ["/"], "key_url": r.cuda_repo_key_url or url + CUDA_APT_KEY_FILE,
                     "packages": "cuda_repo"}, "cuda_repo_url"))
                self.apt_repo.update(id=repo_id, key_option="cuda_repo_key_url")
        elif self.source == "mirror":
            if not r.apt_repo:
                raise DriverPlanError("O(source): mirror needs O(apt_repo) (url, suites, components, key_url)")
            self.apt_repo = self.read_apt_repo(_apt_repo.repo_from_options(r.apt_repo))
            self.names = self.apt_repo["packages"]
        return stanzas, repo

    def read_apt_repo(self, repo):
        """The repository with its key read (into the module's tmpdir) and the host's files compared: whether the key
        file and the sources file the role writes are current."""
        fetch_path, kind, digest = _apt_repo.fetch_key(self.module, repo, self.fetch)
        key_file = os.path.join(_apt_repo.KEYRING_DIR, _apt_repo.KEY_NAME + kind)
        content = _apt_repo.render_sources(repo, key_file)
        repo.update(key_file=key_file, key_tmp=fetch_path, key_sha1=digest, sources_file=_apt_repo.SOURCES_FILE,
                    sources_content=content,
                    key_current=_apt_repo.current(file_state(key_file), digest),
                    sources_current=_apt_repo.current(file_state(_apt_repo.SOURCES_FILE),
                                                      _apt_repo.sha1(content.encode("utf-8"))))
        return repo

    def fetch(self, url):
        """(bytes or None, error) of an http(s) URL, through Ansible's fetch_url (proxy settings, CA bundle)."""
        from ansible.module_utils.urls import fetch_url  # only a CUDA repository's key needs it: not loaded otherwise
        response, info = fetch_url(self.module, url, timeout=30)
        if response is None or info.get("status") != 200:
            return None, "HTTP %s: %s" % (info.get("status"), one_line(info.get("msg") or "no answer"))
        return response.read(), None

    def from_repo(self, available):
        """``available`` ({name: [versions]}) narrowed to the versions the APT repository the role writes offers
        (apt-cache policy's origins), when there is one: the driver must come from there."""
        if not self.apt_repo or self.family == "el":
            return available
        origins = self.backend.origins(list(available))
        return dict((name, [v for v in versions if any(same_uri(o, self.apt_repo["url"])
                                                       for o in origins.get(name, {}).get(v, []))])
                    for name, versions in available.items())

    def skeleton(self, stanzas, repo, switches, fm_required, fm_reason):
        """The result before a candidate is chosen: unsatisfied, with what was read from the host."""
        resolution = self.resolution
        result = {"family": self.family, "source": self.source, "cuda_request_taken": self.cuda_request_taken,
                  "cuda_version": resolution.cuda_version if resolution else None,
                  "required_min_driver": self.min_driver, "compatibility": self.request.compatibility,
                  "apt_sources": stanzas, "cuda_repo": repo, "pci_devices": self.pci,
                  "initramfs_command": initramfs_command(self.module),
                  "branch": None, "candidate_version": None, "driver_version": None, "best_candidate": None,
                  "kernel_module": None, "kernel_module_reason": None, "packages": [], "install": [], "hold": [],
                  "stream": None, "notes": [], "package_manager_ready": False, "satisfied": False,
                  "installed": {}, "held": [], "to_install": [], "release": [], "to_hold": [],
                  "driver_change": None, "simulation": None, "nvswitch_devices": switches,
                  "fabric_manager": {"required": fm_required, "reason": fm_reason, "package": None, "version": None,
                                     "nvlsm": None, "service": FABRIC_MANAGER_SERVICE if fm_required else None},
                  "apt_sources_file_exists": os.path.exists(self.request.apt_sources_file),
                  "apt_repo": self.apt_repo_result(),
                  "apt_repo_stale": self.apt_repo_stale(),
                  "package_flavour": self.request.package_flavour,
                  "apt_sources_current": components_current(self.request.apt_sources_file, stanzas),
                  "existing_driver": self.host_driver.existing_driver(), "adopted": False}
        if resolution and resolution.warnings:
            result["notes"].extend(resolution.warnings)
        return result

    def apt_repo_result(self):
        """RV(apt_repo): what the role writes (no temporary path)."""
        if not self.apt_repo:
            return None
        return dict((k, v) for k, v in self.apt_repo.items() if k != "key_tmp")

    def apt_repo_stale(self):
        """The repository files the role wrote earlier that are not the current ones (another key type, or none)."""
        keep = [self.apt_repo["key_file"], self.apt_repo["sources_file"]] if self.apt_repo else []
        paths = [_apt_repo.SOURCES_FILE] + [os.path.join(_apt_repo.KEYRING_DIR, _apt_repo.KEY_NAME + kind)
                                            for kind in (".asc", ".gpg")]
        return [path for path in paths if path not in keep and os.path.lexists(path)]

    def package_set(self, flavor, branch, precompiled_available=True):
        r = self.request
        return package_set(self.family, self.names, flavor, branch, r.build_module, r.kernel,
                           r.distribution_major_version, precompiled_available=precompiled_available,
                           kernels=self.kernels, package_flavour=r.package_flavour, keyring=self.apt_repo is None)

    def candidate(self):
        """(package version, driver version, branch) of the lowest branch that has a fitting version; sets
        RV(best_candidate); raises Unsatisfied with the refusal when no branch has one."""
        r = self.request
        sets = []
        for branch in branch_candidates(self.family, self.names, r.branch, self.min_driver):
            flavor = choose_kernel_module(r.kernel_module, branch, self.pci)[0] if branch is not None else "proprietary"
            sets.append((branch, self.package_set(flavor, branch)))
        self.backend.prefetch(sorted({name for _b, s in sets for name in [s.version_package] + list(s.packages)
                                      if not name.startswith("@") and name != CUDA_KEYRING_PACKAGE}))
        available = self.from_repo(self.backend.available(sorted({s.version_package for _b, s in sets})))
        best_overall = None
        chosen = None
        for branch, pkgs in sets:
            pick, best = pick_version(available.get(pkgs.version_package, []), r.version, self.min_driver, branch)
            if best and (best_overall is None or driver_at_least(best[1], best_overall[1])):
                best_overall = best
            if pick and chosen is None:
                chosen = (pick, branch)
        self.result["best_candidate"] = best_overall[0] if best_overall else None
        if chosen is None:
            raise Unsatisfied(refusal_message(self.result["cuda_version"], self.min_driver,
                                              self.result["best_candidate"], self.label, self.source,
                                              r.compatibility, r.branch, r.version))
        (package_version, driver_version), branch = chosen
        return package_version, driver_version, branch if branch is not None else branch_of(driver_version)

    def packages(self, flavor, branch, package_version):
        """The PackageSet for the chosen candidate, with what the sources do not offer dropped (optional headers)
        or refused (Unsatisfied: a versioned package at another version, a package not offered at all)."""
        backend, el = self.backend, self.family == "el"
        pkgs = self.package_set(flavor, branch)
        details = backend.available(pkgs.packages) if not el else {}
        if self.family == "ubuntu" and self.names == "distro" and pkgs.modules_package \
                and not details.get(pkgs.modules_package):
            pkgs = self.package_set(flavor, branch, precompiled_available=False)
            details = backend.available(pkgs.packages)
        if pkgs.optional:
            offered = details if not el else backend.available(pkgs.optional)
            dropped = [name for name in pkgs.optional if not offered.get(name)]
            if dropped:
                pkgs.packages = [name for name in pkgs.packages if name not in dropped]
                self.result["notes"].append("not offered by the package sources, left out: %s (DKMS cannot build "
                                            "the module for those kernels without their headers)" % ", ".join(dropped))
        if el:
            return pkgs
        pinned = self.from_repo(dict((name, details.get(name) or []) for name in pkgs.versioned))
        for name in pkgs.versioned:
            if package_version not in pinned.get(name, []):
                other = "proprietary" if flavor == "open" else "open"
                fix = "add it to the repository in O(%s)" % self.apt_repo["option"] if self.apt_repo else \
                    "set O(kernel_module) to %s or use O(source): cuda_repo" % other
                raise Unsatisfied("%s does not offer %s %s to match %s %s (it offers %s): %s" % (
                    self.label, name, package_version, pkgs.version_package, package_version,
                    ", ".join(pinned.get(name) or []) or "none", fix))
        missing = [name for name in pkgs.packages if not name.startswith("@")
                   and name != CUDA_KEYRING_PACKAGE and not details.get(name)]
        if missing:
            headers = any(m.startswith(("linux-headers", "kernel-devel", "kernel-headers")) for m in missing)
            raise Unsatisfied("%s offers no %s: install or enable the repository that has them (%s)" % (
                self.label, ", ".join(missing), "headers for the running kernel; or set O(build_module): false where "
                "no kernel module is built here, as in containers and image builds" if headers
                else "check the components"))
        return pkgs

    def pin_closure(self, pkgs, pins, package_version):
        """Pin and hold every package that the driver's packages pull in at the same version (version_closure), so
        that apt never mixes versions; the roots are the pinned packages, or the one whose version decides."""
        roots = pkgs.versioned or [pkgs.version_package]
        show, providers = self.backend.closure_readers(dict((name, package_version) for name in roots))
        closure = version_closure(roots, package_version, show, providers)
        pins.update(closure)
        pkgs.packages = pkgs.packages + [name for name in closure if name not in pkgs.packages]
        pkgs.hold = pkgs.hold + [name for name in closure if name not in pkgs.hold]

    def add_fabric_manager(self, pkgs, pins, branch, driver_version):
        """Fabric Manager (and NVLSM) at the driver's version, added to the packages, pins and holds."""
        try:
            fm = self.fabric_manager(branch, driver_version)
        except DriverPlanError as exc:
            raise Unsatisfied(str(exc))
        self.result["fabric_manager"].update(fm)
        pins[fm["package"]] = fm["version"]
        extra = [fm["package"]] + ([fm["nvlsm"]] if fm["nvlsm"] else [])
        pkgs.packages = pkgs.packages + extra
        pkgs.hold = pkgs.hold + extra

    def fabric_manager(self, branch, driver_version):
        """The Fabric Manager package at exactly the driver's version (+ NVLSM on NVLink 5 boards); raises."""
        candidates = fabric_manager_candidates(self.family, self.source, branch)
        available = self.backend.available(candidates) if candidates else {}
        name, version = fabric_manager_choice(candidates, available, driver_version, self.label)
        nvlsm = NVLSM_PACKAGE if needs_nvlsm(branch, self.pci) else None
        if nvlsm and not self.backend.available([nvlsm]).get(nvlsm):
            raise DriverPlanError("this NVLink 5 (Blackwell) board needs NVIDIA's NVLink Subnet Manager from R%d, but "
                                  "%s offers no %s: use O(source): cuda_repo" % (branch, self.label, nvlsm))
        return {"package": name, "version": version, "nvlsm": nvlsm}

    def install_items(self, pkgs, pins, driver_version):
        """(install items with pins, [(name, pinned version or None)] of the real packages)."""
        pin = self.backend.pin_separator
        install = [("%s%s%s" % (n, pin, pins[n] if pin == "=" else driver_version)) if n in pins else n
                   for n in pkgs.packages]
        pinned = [(n, pins.get(n) if self.family != "el" else None) for n in pkgs.packages
                  if not n.startswith("@") and n != CUDA_KEYRING_PACKAGE]
        return install, pinned

    def host_state(self, pkgs, install, pinned, pins):
        """RV(installed), RV(held), RV(to_install), RV(release) and RV(to_hold), as the package manager's database
        has them before any change."""
        result = self.result
        names = [n for n, _v in pinned]
        state = self.backend.installed(names) if names else {}
        result["installed"] = dict((n, state.get(n, (None, False))[0]) for n in names)
        result["held"] = [n for n in pkgs.hold if state.get(n, (None, False))[1]]
        wanted = dict(pinned)
        result["to_install"] = [item for name, item in zip(pkgs.packages, install)
                                if name not in wanted or result["installed"].get(name) is None
                                or (self.family == "el" and name in pins)
                                or (wanted[name] is not None and result["installed"][name] != wanted[name])]
        # holds are released only for the driver's own packages that the install moves, and set again after it
        moving = set(name for name, _v in pinned if wanted.get(name) is not None
                     and result["installed"].get(name) not in (None, wanted[name]))
        result["release"] = [name for name in result["held"] if name in moving]
        result["to_hold"] = [name for name in pkgs.hold if name not in result["held"] or name in moving]

    def simulate(self, install, pkgs):
        """Ask the package manager itself to resolve the planned install, read-only, against the index the plan read
        (apt-get -s, dnf --assumeno); returns its refusal, or None. A held package that is not the driver's must not
        change: the role releases only the driver's own holds."""
        answer = self.backend.simulate(install)
        self.result["simulation"] = {"changes": answer["changes"], "removals": answer["removals"]}
        if not answer["ok"]:
            return "%s cannot install the planned driver packages (%s simulated the install: nothing was changed): " \
                "%s" % (self.label, self.backend.manager, answer["reason"])
        foreign = [name for name in answer["held"] if name not in pkgs.hold]
        if foreign:
            return "the planned install would change held package(s) that are not the driver's: %s; release them " \
                "(apt-mark unhold) or pin O(version) to what they allow" % ", ".join(foreign)
        return None

    def keep_existing(self, existing):
        """A driver that is not from the planned packages: keep it when it satisfies the request, else refuse."""
        r, result = self.request, self.result
        version = existing["version"]
        found = "driver %s from %s (%s)" % (version, existing["origin_label"], ", ".join(existing["evidence"]))
        if r.existing == "require_packages":
            result["msg"] = one_line(
                "%s is installed and O(existing) is require_packages: %s; the plan never removes a driver "
                "it did not install" % (found, EXISTING_REMOVE[existing["origin"]]))
            return result
        unmet = []
        if self.min_driver and not driver_at_least(version, self.min_driver):
            unmet.append("CUDA %s needs >= %s" % (result["cuda_version"], self.min_driver))
        if r.branch is not None and branch_of(version) != r.branch:
            unmet.append("branch R%d was requested" % r.branch)
        if r.version and normalize_driver_version(r.version) != version:
            unmet.append("version %s was requested" % r.version)
        if unmet:
            result["msg"] = one_line("%s does not satisfy the request (%s): %s; the plan never removes a driver it "
                                     "did not install" % (found, "; ".join(unmet), EXISTING_FIX[existing["origin"]]))
            return result
        flavor = self.host_driver.kernel_module_flavor()
        what = "CUDA %s" % result["cuda_version"] if result["cuda_version"] else "branch R%s" % r.branch
        result.update(adopted=True, satisfied=True, driver_version=version, branch=branch_of(version),
                      kernel_module=flavor, kernel_module_reason="the loaded module of the driver kept"
                      if flavor else "no module loaded", apt_sources=[])
        result["msg"] = "kept driver %s (%s), satisfies %s" % (version, existing["origin_label"], what)
        if result["fabric_manager"]["required"]:
            # Fabric Manager must match the driver exactly; for a driver this module did not plan, it comes the same way
            result["notes"].append("NVSwitch board with a driver kept as it is: install nvidia-fabricmanager %s the way "
                                   "the driver was installed; the plan does not manage it" % version)
        return result

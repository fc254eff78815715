# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which NVIDIA driver packages, streams and holds a distribution needs: data and pure functions.

Private module_utils: not an API. No I/O here; ``nvidia_driver_plan`` reads the host and the package
manager and uses these functions to decide. Errors raise ``DriverPlanError`` (one-line message saying
what to do); the module turns them into ``fail_json``.

Supported inputs:

* Debian 12/13, source ``distro`` (contrib/non-free) or ``cuda_repo`` (NVIDIA's CUDA repository);
* Ubuntu 22.04/24.04, source ``distro`` (``nvidia-driver-<branch>-server[-open]``, precompiled
  ``linux-modules-nvidia-<branch>-server[-open]-<flavour>`` preferred, DKMS otherwise) or ``cuda_repo``;
* RHEL/Rocky/Alma 8/9 (CUDA repository, dnf module stream ``nvidia-driver:<branch>-dkms|-open``) and
  EL10 (CUDA repository, packages + versionlock). EL has no distribution driver: ``distro`` resolves to
  the CUDA repository.
"""
from __future__ import annotations

import re

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    CudaCompatError,
    compare_driver_versions,
    driver_at_least,
    normalize_driver_version,
    parse_driver_version,
)

# First branch whose default kernel module flavour is the open one (NVIDIA: open modules are the default
# from R560, Turing and newer only). Maxwell/Pascal/Volta need the proprietary module and end at R580.
OPEN_DEFAULT_FROM_BRANCH = 560
LAST_BRANCH_FOR_PRE_TURING = 580
# PCI device ids of NVIDIA GPUs grew with each architecture: Turing (TU102 0x1e02) and every later one
# (Ampere 0x20xx/0x22xx-0x25xx, Hopper 0x23xx, Ada 0x26xx-0x28xx, Blackwell 0x29xx/0x2bxx/0x2cxx) are at
# or above 0x1e00; Volta (GV100 0x1db1, Titan V 0x1d81), Pascal and Maxwell are below it.
FIRST_TURING_DEVICE_ID = 0x1E00

# Driver branches NVIDIA has published for Linux servers (production, new feature and LTS), oldest first.
# Used to look for a branch on distributions that ship one package per branch (Ubuntu, CUDA repository).
KNOWN_BRANCHES = (470, 525, 535, 545, 550, 555, 560, 565, 570, 575, 580, 590, 595, 610, 615)

# NVIDIA's CUDA repository: <base>/<distribution id>/<arch>/, a flat APT repository or a DNF baseurl. Its signing key
# is published in each of those directories, under the key id's last eight hex digits (NVIDIA, "Updating the CUDA Linux
# GPG Repository Key", 2022): 3bf863cc.pub for Debian and Ubuntu (the key the cuda-keyring package installs),
# D42D0685.pub for EL. A mirror of the repository carries the same files.
CUDA_REPO_BASE = "https://developer.download.nvidia.com/compute/cuda/repos"
CUDA_KEYRING_PACKAGE = "cuda-keyring"
CUDA_KEYRING_VERSION = "1.1-1"
CUDA_APT_KEY_FILE = "3bf863cc.pub"
CUDA_EL_KEY_FILE = "D42D0685.pub"

# distro: the distribution's archive; cuda_repo: NVIDIA's CUDA repository (or a mirror of it); mirror: an APT
# repository the site runs itself (url, suites, components, key), with the distribution's or the CUDA repository's
# package names.
SOURCES = ("distro", "cuda_repo", "mirror")
APT_REPO_PACKAGES = ("distro", "cuda_repo")
KERNEL_MODULES = ("auto", "open", "proprietary")
# compute: the kernel module, nvidia-smi, NVML, nvidia-persistenced and CUDA's user-space library (libcuda) only, as a
# server without a display needs; full: the whole driver, with the X/Wayland, OpenGL, Vulkan and video libraries.
PACKAGE_FLAVOURS = ("compute", "full")
# NVIDIA's driver installation guide, "Compute-only and Desktop Installation": from R560 the CUDA repositories for EL
# split the driver into a compute-only set (nvidia-driver-cuda and a kmod package) and the desktop set.
EL_COMPUTE_ONLY_FROM_BRANCH = 560
EL_FAMILY_NAMES = ("RedHat", "Rocky", "AlmaLinux", "CentOS", "OracleLinux")


class DriverPlanError(Exception):
    """``str(exc)`` is a one-line message that says what to do; options are written O(name), see name_options()."""


def name_options(text, prefix=""):
    """Messages here write the options they name as O(name); 'O(source): cuda_repo' -> 'source: cuda_repo', or with
    a caller's prefix ('nvidia_driver_') the caller's variable 'nvidia_driver_source: cuda_repo'."""
    return re.sub(r"O\(([a-z_]+)\)", lambda m: prefix + m.group(1), str(text))


def branch_of(version):
    """'535.54.03' -> 535; '580' -> 580."""
    text = str(version).strip()
    if re.match(r"^\d+$", text):
        return int(text)
    try:
        return parse_driver_version(text)[0]
    except CudaCompatError as exc:
        raise DriverPlanError(str(exc))


def device_is_turing_or_newer(device_id):
    """'0x2330' (H100) -> True; '0x1db1' (V100) -> False; unreadable ids count as new (None -> True)."""
    try:
        value = int(str(device_id), 16)
    except (TypeError, ValueError):
        return True
    return value >= FIRST_TURING_DEVICE_ID


def choose_kernel_module(kernel_module, branch, pci_devices=None):
    """The module flavour ('open' or 'proprietary') and a one-line reason.

    ``auto``: with GPUs on the PCI bus, open when every GPU is Turing or newer and the branch is R560 or
    later, proprietary when any GPU is older; without GPUs, the branch's default.
    Explicit ``open`` on a pre-Turing GPU and any pre-Turing GPU on a branch after R580 raise.
    """
    if kernel_module not in KERNEL_MODULES:
        raise DriverPlanError("kernel_module must be one of %s, not %r" % (", ".join(KERNEL_MODULES), kernel_module))
    devices = list(pci_devices or [])
    old = [d for d in devices if not device_is_turing_or_newer(d.get("device_id"))]
    if old and branch is not None and branch > LAST_BRANCH_FOR_PRE_TURING:
        raise DriverPlanError(
            "GPU %s (device %s) is older than Turing and is not supported after R%d; set "
            "O(branch) to %d or lower (or a lower CUDA version)"
            % (old[0].get("pci_bus_id"), old[0].get("device_id"), LAST_BRANCH_FOR_PRE_TURING, LAST_BRANCH_FOR_PRE_TURING))
    if kernel_module == "open":
        if old:
            raise DriverPlanError(
                "GPU %s (device %s) is older than Turing and cannot use the open kernel module: set "
                "O(kernel_module) to proprietary or auto" % (old[0].get("pci_bus_id"), old[0].get("device_id")))
        return "open", "requested"
    if kernel_module == "proprietary":
        return "proprietary", "requested"
    if old:
        return "proprietary", "a GPU older than Turing (device %s) needs the proprietary module" % old[0].get("device_id")
    default = "open" if branch is not None and branch >= OPEN_DEFAULT_FROM_BRANCH else "proprietary"
    if devices:
        if default == "open":
            return "open", "all %d GPU(s) are Turing or newer and R%s defaults to the open module" % (len(devices), branch)
        return "proprietary", "R%s predates open-module default (R%d)" % (branch, OPEN_DEFAULT_FROM_BRANCH)
    return default, "no GPU on the PCI bus: the default of R%s" % branch


def kernel_flavour(kernel_release):
    """Kernel flavour from a release: Ubuntu '5.15.0-91-generic' -> 'generic', '6.8.0-1015-aws' -> 'aws';
    Debian 12 '6.1.0-18-cloud-amd64' -> 'cloud-amd64'; Debian 13 '6.12.48+deb13-amd64' -> 'amd64'."""
    match = re.match(r"^\d+\.\d+\.\d+(?:-\d+|\+deb\d+[^-]*)-(.+)$", str(kernel_release or ""))
    return match.group(1) if match else None


def kernel_headers(family, running, kernels=None):
    """(required, optional) header packages so that DKMS builds the module for every installed kernel and for
    the kernels that later updates install.

    ``kernels``: the kernels installed on the host (``_kernels.installed_kernels``); empty or None: the running
    one only. The running kernel's own headers are required when it is installed there (a container's kernel
    belongs to its host). Optional: the headers metapackage of each flavour, which follows kernel updates
    (Debian ``linux-headers-amd64``/``-cloud-amd64``/``-rt-amd64``, Ubuntu ``linux-headers-generic``/``-aws``...;
    EL ``kernel-devel``, an install-only package that dnf installs beside each new kernel), and the headers of
    the other installed kernels; the plan drops those the sources do not offer and says so.
    """
    targets = list(kernels or []) or ([running] if running else [])
    if family == "el":
        own = "kernel-devel-%s"
        meta = ["kernel-devel"]
        extra = ["kernel-headers-%s" % running] if running in targets else []
    else:
        own = "linux-headers-%s"
        meta = sorted(set("linux-headers-%s" % f for f in (kernel_flavour(k) for k in targets) if f))
        extra = []
    required = ([own % running] if running in targets else []) + extra
    optional = meta + [own % k for k in targets if k != running]
    return required, optional


def family_of(distribution, os_family):
    """'debian', 'ubuntu' or 'el'; raises for anything else."""
    if distribution == "Ubuntu":
        return "ubuntu"
    if distribution == "Debian":
        return "debian"
    if os_family == "RedHat" or distribution in EL_FAMILY_NAMES:
        return "el"
    raise DriverPlanError(
        "distribution %s (family %s) is not supported: Debian 12/13, Ubuntu 22.04/24.04 "
        "and RHEL-compatible 8/9/10 are" % (distribution, os_family))


def effective_source(family, source):
    if source not in SOURCES:
        raise DriverPlanError("source must be one of %s, not %r" % (", ".join(SOURCES), source))
    if family == "el" and source == "mirror":
        raise DriverPlanError("O(source): mirror names an APT repository; EL installs from NVIDIA's CUDA repository: "
                              "point O(cuda_repo_url) at the site's mirror of it instead")
    return "cuda_repo" if family == "el" else source


def cuda_repo_id(family, distribution, major_version):
    """'debian12', 'ubuntu2204', 'rhel9' — the directory name in NVIDIA's CUDA repository."""
    major = str(major_version)
    if family == "debian":
        return "debian%s" % major
    if family == "ubuntu":
        return "ubuntu%s04" % major if re.match(r"^\d+$", major) else "ubuntu%s" % major.replace(".", "")
    return "rhel%s" % major


def cuda_repo_url(repo_id, arch="x86_64", base=CUDA_REPO_BASE):
    """The repository directory under ``base`` (NVIDIA's, or a mirror's URL of the same tree)."""
    return "%s/%s/%s/" % (str(base).rstrip("/"), repo_id, arch)


def cuda_keyring_url(repo_id, arch="x86_64", base=CUDA_REPO_BASE):
    return "%s%s_%s_all.deb" % (cuda_repo_url(repo_id, arch, base), CUDA_KEYRING_PACKAGE, CUDA_KEYRING_VERSION)


class PackageSet(object):
    """What to install for one branch: the package whose version decides, the list, holds, stream."""

    def __init__(self, version_package, packages, hold, versioned=None, stream=None, headers=None,
                 modules_package=None, notes=None, optional=None):
        self.version_package = version_package      # its candidate version is the driver version
        self.packages = list(packages)              # without versions
        self.hold = list(hold)                      # apt-mark hold / dnf versionlock names
        self.versioned = list(versioned or [])      # pinned to the driver's package version on install
        self.stream = stream                        # dnf module stream 'nvidia-driver:570-open'
        self.headers = list(headers or [])          # kernel headers for a DKMS build (in packages too)
        self.modules_package = modules_package      # precompiled module package (Ubuntu), if used
        self.notes = list(notes or [])
        self.optional = list(optional or [])     # in packages too; dropped with a note when not offered

    def as_dict(self):
        return {
            "version_package": self.version_package,
            "packages": self.packages,
            "hold": self.hold,
            "versioned": self.versioned,
            "stream": self.stream,
            "headers": self.headers,
            "modules_package": self.modules_package,
            "notes": self.notes,
            "optional": self.optional,
        }


def _headers(family, build_module, kernel_release, kernels):
    """kernel_headers() when the module is built here, else nothing: (headers, optional)."""
    if not build_module or not kernel_release:
        return [], []
    required, optional = kernel_headers(family, kernel_release, kernels)
    return required + optional, optional


def debian_distro_packages(flavor, branch, build_module, kernel_release, kernels=None, package_flavour="full"):
    """Debian contrib/non-free: one driver branch per release.

    ``full``: the ``nvidia-driver`` metapackage (which pulls in the X driver, GLX/EGL/Vulkan and VDPAU libraries) and
    ``libcuda1`` (CUDA's user-space library, which nvidia-driver does not pull in);
    ``compute``: ``libcuda1`` and the kernel module package without the metapackage, with
    ``nvidia-smi``, NVML (``libnvidia-ml1``) and ``libnvidia-cfg1`` (which nvidia-persistenced loads): the smallest set
    that gives the module, nvidia-smi, NVML, persistenced and libcuda (Debian has no headless metapackage)."""
    kmod = "nvidia-open-kernel-dkms" if flavor == "open" else "nvidia-kernel-dkms"
    # libcuda1 in both: nvidia-driver neither depends on it nor recommends it
    top = ["libcuda1"] if package_flavour == "compute" else ["nvidia-driver", "libcuda1"]
    driver = top + [kmod, "nvidia-smi", "libnvidia-ml1", "libnvidia-cfg1"]
    if branch is None or branch >= 525:
        driver.append("firmware-nvidia-gsp")      # GSP firmware: needed by open modules, used from R525
    headers, optional = _headers("debian", build_module, kernel_release, kernels)
    packages = driver + ["nvidia-persistenced", "python3-pynvml"] + headers
    return PackageSet(top[0], packages, hold=driver + ["nvidia-persistenced"], versioned=driver,
                      headers=headers, optional=optional)


def ubuntu_distro_packages(flavor, branch, build_module, kernel_release, precompiled_available=True, kernels=None,
                           package_flavour="full"):
    """Ubuntu restricted: ``nvidia-driver-<branch>-server[-open]`` (full) or the headless metapackages (compute:
    ``nvidia-headless-no-dkms-<branch>-server[-open]`` beside a precompiled module, ``nvidia-headless-<branch>-server[-open]``,
    which pulls in the DKMS package, otherwise); precompiled modules preferred."""
    suffix = "-server-open" if flavor == "open" else "-server"
    driver = "nvidia-driver-%d%s" % (branch, suffix)
    utils = "nvidia-utils-%d-server" % branch
    flavour = kernel_flavour(kernel_release)
    notes = []
    modules = None
    headers, optional = [], []
    # linux-modules-nvidia-<branch>-server[-open]-<flavour> is the metapackage that follows the flavour's kernel
    # updates with prebuilt modules: no headers and no DKMS build needed.
    if flavour and precompiled_available:
        modules = "linux-modules-nvidia-%d%s-%s" % (branch, suffix, flavour)
        kmod = [modules]
        if package_flavour == "compute":
            driver = "nvidia-headless-no-dkms-%d%s" % (branch, suffix)
    else:
        kmod = ["nvidia-dkms-%d%s" % (branch, suffix)]
        notes.append("no precompiled linux-modules-nvidia package for kernel %s: DKMS builds the module" % kernel_release)
        headers, optional = _headers("ubuntu", build_module, kernel_release, kernels)
        if package_flavour == "compute":
            driver = "nvidia-headless-%d%s" % (branch, suffix)
    packages = [driver] + kmod + [utils, "python3-pynvml"] + headers
    # the driver, its utilities and its DKMS package are built from one source package at one version; the
    # precompiled module package follows the kernel's version, not the driver's
    versioned = [driver, utils] + ([] if modules else kmod)
    return PackageSet(driver, packages, hold=[driver] + kmod + [utils], versioned=versioned, headers=headers,
                      modules_package=modules, notes=notes, optional=optional)


def apt_cuda_repo_packages(flavor, branch, build_module, kernel_release, kernels=None, package_flavour="full",
                           keyring=True):
    """NVIDIA's CUDA repository on Debian/Ubuntu: ``cuda-drivers-<branch>`` or ``nvidia-open-<branch>``, the whole
    driver whichever ``package_flavour`` (a note says so for compute). ``keyring``: install NVIDIA's
    ``cuda-keyring`` package (not where the role writes the repository's source and key itself)."""
    meta = "nvidia-open-%d" % branch if flavor == "open" else "cuda-drivers-%d" % branch
    headers, optional = _headers("apt", build_module, kernel_release, kernels)
    packages = ([CUDA_KEYRING_PACKAGE] if keyring else []) + [meta, "python3-pynvml"] + headers
    notes = ["O(package_flavour) compute: the CUDA repository's %s is the whole driver (the compute-only set is chosen "
             "from the distribution's packages)" % meta] if package_flavour == "compute" else []
    return PackageSet(meta, packages, hold=[meta], versioned=[meta], headers=headers, optional=optional, notes=notes)


def el_packages(flavor, branch, build_module, kernel_release, major_version, kernels=None, package_flavour="full"):
    """CUDA repository on EL: module stream on 8/9, plain packages + versionlock on 10.

    ``compute`` on EL 10 from R560: ``nvidia-driver-cuda`` and the kmod package only (NVIDIA's compute-only set);
    on EL 8/9 the module stream's profile installs the whole driver, and before R560 there is no compute-only set:
    the whole driver then, with a note."""
    headers, optional = _headers("el", build_module, kernel_release, kernels)
    notes = []
    if package_flavour == "compute" and (str(major_version) in ("8", "9") or branch < EL_COMPUTE_ONLY_FROM_BRANCH):
        notes.append("O(package_flavour) compute: %s installs the whole driver here" % (
            "the module stream's profile on EL %s" % major_version if str(major_version) in ("8", "9")
            else "R%d has no compute-only set (from R%d)" % (branch, EL_COMPUTE_ONLY_FROM_BRANCH)))
    if str(major_version) in ("8", "9"):
        stream = "nvidia-driver:%d-%s" % (branch, "open" if flavor == "open" else "dkms")
        packages = ["@%s" % stream, "nvidia-driver-cuda"] + headers
        # the enabled stream is the hold: dnf keeps the branch; no versionlock needed
        return PackageSet("nvidia-driver", packages, hold=[], stream=stream, headers=headers, optional=optional,
                          notes=notes)
    kmod = "kmod-nvidia-open-dkms" if flavor == "open" else "kmod-nvidia-latest-dkms"
    if package_flavour == "compute" and not notes:
        driver = ["nvidia-driver-cuda", kmod]
        return PackageSet("nvidia-driver-cuda", driver + headers, hold=driver, versioned=driver, headers=headers,
                          optional=optional)
    meta = "nvidia-open" if flavor == "open" else "cuda-drivers"
    driver = ["nvidia-driver", "nvidia-driver-cuda", "nvidia-driver-libs", kmod]
    packages = [meta] + driver + headers
    return PackageSet("nvidia-driver", packages, hold=driver, versioned=driver, headers=headers, optional=optional,
                      notes=notes)


def package_set(family, source, flavor, branch, build_module=True, kernel_release=None, major_version=None,
                precompiled_available=True, kernels=None, package_flavour="full", keyring=True):
    """The PackageSet for a resolved (family, source, flavor, branch); ``kernels``: see kernel_headers();
    ``package_flavour``: compute or full (PACKAGE_FLAVOURS). ``source`` names the package names: a site's own
    repository (mirror) uses the distribution's (distro) or the CUDA repository's (cuda_repo), which the caller
    passes; ``keyring``: the CUDA repository's keyring package is installed (not where the role writes its key)."""
    if package_flavour not in PACKAGE_FLAVOURS:
        raise DriverPlanError("package_flavour must be one of %s, not %r"
                              % (", ".join(PACKAGE_FLAVOURS), package_flavour))
    source = effective_source(family, source)
    if family == "el":
        return el_packages(flavor, branch, build_module, kernel_release, major_version, kernels, package_flavour)
    if source == "cuda_repo":
        return apt_cuda_repo_packages(flavor, branch, build_module, kernel_release, kernels, package_flavour, keyring)
    if family == "debian":
        return debian_distro_packages(flavor, branch, build_module, kernel_release, kernels, package_flavour)
    return ubuntu_distro_packages(flavor, branch, build_module, kernel_release, precompiled_available, kernels,
                                  package_flavour)


def branch_candidates(family, source, requested_branch, min_driver):
    """Branches to look up, lowest first: the requested one, else every known branch at or above the minimum.

    Debian's own archive ships one branch (``nvidia-driver``): None means "whatever it offers".
    """
    if family == "debian" and effective_source(family, source) in ("distro", "mirror"):
        return [requested_branch]
    if requested_branch is not None:
        return [requested_branch]
    low = branch_of(min_driver) if min_driver else KNOWN_BRANCHES[0]
    # a branch newer than this list (from a user's cuda_table row) is looked up as well
    return [b for b in sorted(set(KNOWN_BRANCHES) | {low}) if b >= low]


def pick_version(available, wanted_version=None, min_driver=None, branch=None):
    """Choose a package version from ``available`` (package version strings, e.g. '535.309.01-0+deb12u1').

    Returns (chosen or None, best or None): ``best`` is the highest available version (for messages);
    ``chosen`` is the exact ``wanted_version`` when given (matching '535.309.01' or a full package
    version), else the highest version of ``branch`` (if given) that meets ``min_driver``.
    """
    usable = []
    for text in available:
        try:
            usable.append((text, normalize_driver_version(text)))
        except CudaCompatError:
            continue
    best = None
    for text, norm in usable:
        if best is None or compare_driver_versions(norm, best[1]) > 0:
            best = (text, norm)
    if branch is not None:
        usable = [u for u in usable if branch_of(u[1]) == branch]
    if wanted_version:
        for text, norm in usable:
            if text == wanted_version or norm == wanted_version:
                return (text, norm), best
        return None, best
    fit = [u for u in usable if min_driver is None or driver_at_least(u[1], min_driver)]
    chosen = None
    for text, norm in fit:
        if chosen is None or compare_driver_versions(norm, chosen[1]) > 0:
            chosen = (text, norm)
    return chosen, best


def _stanza_at(stanzas, version, sources, relation=None):
    """The stanza of a dependency that belongs with the driver at package ``version``, or None.

    That exact version of one of the driver's own source packages (``sources``: {(source, source version)}), or of
    any package the dependency itself asks for at exactly that version (``relation``: (operator, version)); or a
    build of the driver's own source package at its source version (a binary-only rebuild such as ``V+b1``). A
    package of another source that merely happens to offer the same version (Debian's ``nvidia-modprobe``) is left to
    apt. Roots (``relation`` None, ``sources`` empty) are taken at ``version``."""
    names = set(source for source, _v in sources)
    for stanza in stanzas or []:
        if stanza["version"] != version:
            continue
        if not sources or stanza["source"] in names or relation == ("=", version):
            return stanza
    for stanza in stanzas or []:
        if (stanza["source"], stanza["source_version"]) in sources:
            return stanza
    return None


def version_closure(roots, version, show, providers):
    """Every package that installing ``roots`` at package ``version`` pulls in at that same version: {name: version}.

    ``show(names)`` answers {name: [stanza, ...]} as ``_package_parsers.parse_apt_show`` reads ``apt-cache show``;
    ``providers(names)`` answers {virtual name: [(package, version), ...]} as ``_package_parsers.parse_apt_showpkg`` reads
    ``apt-cache showpkg`` (``nvidia-kernel-dkms`` depends on the virtual ``nvidia-kernel-support--v1``).
    Starting from the roots, each package's Pre-Depends and Depends are followed; a dependency joins the set when
    the sources offer it at ``version`` and it is built from one of the roots' source packages or asked for at
    exactly that version (see _stanza_at), and its own dependencies are then followed in turn. An alternative already satisfied by the set (by name or by
    what a member provides) is not followed; of the others, apt's order decides (the first one offered at the
    version). Dependencies not offered at the version (``nvidia-support``, ``libc6``...) are left to apt. Pinning
    the whole set keeps apt from mixing versions: ``nvidia-driver (= V)`` depends on ``nvidia-driver-libs (= V)``
    and apt would otherwise choose the newest ``nvidia-driver-libs`` and refuse ("held broken packages")."""
    pins = dict((name, version) for name in roots)
    provided = set()
    sources = set()
    frontier = list(roots)
    while frontier:
        answers = show(frontier)
        groups = []
        for name in frontier:
            stanza = _stanza_at(answers.get(name), pins[name], set() if name in roots else sources)
            if stanza is None:
                continue
            pins[name] = stanza["version"]
            sources.add((stanza["source"], stanza["source_version"]))
            provided.update(stanza["provides"])
            groups.extend(stanza["depends"])
        groups = [g for g in groups if not any(alt[0] in pins or alt[0] in provided for alt in g)]
        asked = sorted(set(alt[0] for g in groups for alt in g))
        offered = show(asked) if asked else {}
        virtual = [name for name in asked if not offered.get(name)]
        provider_of = providers(virtual) if virtual else {}
        frontier = []
        for group in groups:
            if any(alt[0] in pins or alt[0] in provided for alt in group):
                continue
            for name, operator, wanted in group:
                stanza = _stanza_at(offered.get(name), version, sources, (operator, wanted))
                if stanza is None:
                    # a virtual package: its provider at the driver's version, when one is offered
                    name = next((package for package, at in provider_of.get(name, []) if at == version), None)
                    stanza = {"version": version} if name else None
                if stanza is not None:
                    pins[name] = stanza["version"]
                    frontier.append(name)
                    break
    return pins


def refusal_message(cuda_version, min_driver, best, family_label, source, compatibility, branch=None,
                    wanted_version=None):
    """One line: CUDA version, minimum driver, best candidate and the fix."""
    best_text = best if best else "none"
    if wanted_version:
        where = family_label if family_label.startswith("the ") else "the %s package sources" % family_label
        return ("O(version) %s is not offered by %s (best candidate %s): set "
                "O(version) to an available version or leave it empty"
                % (wanted_version, where, best_text))
    need = "CUDA %s (%s compatibility) needs driver >= %s" % (cuda_version, compatibility, min_driver) \
        if cuda_version else "branch R%s was requested" % branch
    if branch is not None and cuda_version:
        need += " on branch R%s" % branch
    fixes = []
    if source == "distro":
        fixes.append("use NVIDIA's CUDA repository with O(source): cuda_repo")
    if source == "mirror":
        fixes.append("add it to the repository in O(apt_repo)")
    if cuda_version:
        fixes.append("request a lower CUDA version (O(cuda_version))")
    if branch is not None:
        fixes.append("choose another O(branch)")
    return "%s, but the best candidate %s offers is %s: %s" % (need, family_label, best_text, ", or ".join(fixes))


# ---------------------------------------------------------------------------------------------------
# Fabric Manager (NVSwitch boards: HGX/DGX H100, H200, B200 8-GPU)
# ---------------------------------------------------------------------------------------------------
# NVIDIA Fabric Manager user guide (docs.nvidia.com/datacenter/tesla/fabric-manager-user-guide/): on NVSwitch
# systems the nvidia-fabricmanager service must run, and its version must match the loaded driver exactly (the
# service checks the driver stack at start and aborts on a mismatch). Package names, checked 2026-12:
# * NVIDIA's CUDA repositories for Debian/Ubuntu: nvidia-fabricmanager-<branch> (NVIDIA's packaging templates,
#   github.com/NVIDIA/apt-packaging-fabric-manager: cuda-drivers-fabricmanager-<branch> is its metapackage);
#   newer branches are also published under the unversioned name nvidia-fabricmanager, so both are looked up.
# * Ubuntu's own archive (multiverse): nvidia-fabricmanager-<branch>, version-matched to the -server driver of
#   the same branch (packages.ubuntu.com, e.g. nvidia-fabricmanager-535 535.309.01 on noble).
# * NVIDIA's CUDA repositories for EL: the RPM nvidia-fabric-manager on the older branches (dnf module profile
#   "fm", github.com/NVIDIA/yum-packaging-fabric-manager), nvidia-fabricmanager(-<branch>) on the newer ones.
# * Debian's archive ships no Fabric Manager.
# From R570, NVLink 5 (Blackwell HGX B200/B300) systems also need NVIDIA's NVLink Subnet Manager (package nvlsm),
# which Fabric Manager starts; its version is not tied to the driver's.
FABRIC_MANAGER_SERVICE = "nvidia-fabricmanager.service"
NVLSM_FROM_BRANCH = 570
NVLSM_PACKAGE = "nvlsm"
# PCI device ids of Blackwell data-centre GPUs (GB100/GB102: B200 0x2901, GB200 0x2941): the NVLink 5 boards.
BLACKWELL_DC_DEVICE_IDS = (0x2900, 0x29FF)
NVSWITCH_CHOICES = ("auto", "present", "absent")


def nvswitch_required(nvswitch, switches):
    """(bool, reason): does this host need Fabric Manager? ``nvswitch``: auto|present|absent (the operator's word)."""
    if nvswitch not in NVSWITCH_CHOICES:
        raise DriverPlanError("nvswitch must be one of %s, not %r" % (", ".join(NVSWITCH_CHOICES), nvswitch))
    if nvswitch == "absent":
        return False, "O(nvswitch) is absent"
    if nvswitch == "present":
        return True, "O(nvswitch) declares NVSwitches"
    if switches:
        return True, "%d NVSwitch bridge(s) on the PCI bus (%s)" % (len(switches), switches[0].get("pci_bus_id"))
    return False, "no NVSwitch on the PCI bus"


def needs_nvlsm(branch, gpus):
    """NVLSM is needed from R570 on NVLink 5 boards (Blackwell data-centre GPUs on the PCI bus)."""
    if branch is None or branch < NVLSM_FROM_BRANCH:
        return False
    low, high = BLACKWELL_DC_DEVICE_IDS
    for gpu in gpus or []:
        try:
            if low <= int(str(gpu.get("device_id")), 16) <= high:
                return True
        except (TypeError, ValueError):
            continue
    return False


def fabric_manager_candidates(family, source, branch):
    """Package names that may carry Fabric Manager for ``branch``, preferred first; [] when the source has none."""
    source = effective_source(family, source)
    if family == "debian" and source == "distro":
        return []
    if family == "el":
        return ["nvidia-fabric-manager", "nvidia-fabricmanager-%d" % branch, "nvidia-fabricmanager"]
    if family == "ubuntu" and source == "distro":
        return ["nvidia-fabricmanager-%d" % branch]
    return ["nvidia-fabricmanager-%d" % branch, "nvidia-fabricmanager"]


def fabric_manager_choice(candidates, available, driver_version, family_label):
    """(name, package version) of the first candidate offered at exactly ``driver_version``; raises otherwise.

    ``available``: {name: [package versions]} as the package sources list them.
    """
    if not candidates:
        raise DriverPlanError(
            "%s ships no NVIDIA Fabric Manager, which this NVSwitch system needs at the driver's version %s: use "
            "O(source): cuda_repo, or set O(nvswitch): absent if the board has no NVSwitch"
            % (family_label, driver_version))
    offered = []
    for name in candidates:
        for text in available.get(name) or []:
            try:
                if normalize_driver_version(text) == driver_version:
                    return name, text
            except CudaCompatError:
                continue
            offered.append("%s %s" % (name, text))
    raise DriverPlanError(
        "%s offers no Fabric Manager at the driver's version %s (%s): pin O(version) to a version that "
        "both the driver and %s offer, or set O(nvswitch): absent if the board has no NVSwitch"
        % (family_label, driver_version, "it offers " + ", ".join(offered[:4]) if offered else "none of "
           + ", ".join(candidates) + " is offered", candidates[0]))

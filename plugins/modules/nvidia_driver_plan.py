#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_driver_plan
short_description: Pre-flight for the NVIDIA driver, which branch, packages and holds, and can the repositories satisfy it
version_added: 0.1.0
description:
  - Resolves the minimum driver for O(cuda_version) from NVIDIA's CUDA table, reads the versions the package
    sources offer (C(apt-cache policy) or C(dnf repoquery)), chooses the branch, the kernel module flavour
    (open or proprietary, by the GPUs' PCI device ids on V(auto)) and the package list, hold list and dnf
    module stream, and says whether the candidate satisfies the CUDA version.
  - On Debian and Ubuntu it also reads the host's own APT sources and returns the stanzas of a sources file
    that adds the missing components (contrib, non-free, non-free-firmware on Debian; restricted and
    universe on Ubuntu) for the same mirrors and suites. With O(refresh_cache), the candidate lookup uses a
    private, temporary package index that already includes that file (and NVIDIA's CUDA repository for
    O(source=cuda_repo)), so the host's own index, sources and packages are left untouched.
  - It never changes the host; it runs the same in check mode.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  cuda_version:
    description:
      - CUDA version the workloads need (V(12), V(12.4), V(12.4.1)); quote it in YAML.
      - One of O(cuda_version) and O(branch) is required.
      - A release the built-in table does not know yet can be given its minimum driver or branch in O(cuda_table).
    type: str
  branch:
    description: Driver branch to install (e.g. V(535), V(570)); with O(cuda_version) it must also satisfy it.
    type: int
  version:
    description:
      - Exact driver version to install (V(535.309.01) or a full package version); it must be offered by the
        package sources and satisfy O(cuda_version).
    type: str
  kernel_module:
    description:
      - V(open) or V(proprietary) kernel module packages. V(auto) chooses open when every NVIDIA GPU on the PCI
        bus is Turing or newer and the branch is R560 or later, proprietary when any GPU is older, and the
        branch's default when no GPU is present.
    type: str
    choices: [auto, open, proprietary]
    default: auto
  source:
    description:
      - V(distro) uses the distribution's own archive; V(cuda_repo) NVIDIA's CUDA repository. EL has no
        distribution driver and always uses the CUDA repository.
    type: str
    choices: [distro, cuda_repo]
    default: distro
  compatibility:
    description: V(toolkit) or V(minor) compatibility, as in M(gpuhost.provision.driver_version_check).
    type: str
    choices: [toolkit, minor]
    default: toolkit
  build_module:
    description:
      - Whether the kernel module is built on this host (DKMS); adds kernel headers to the packages, so that DKMS
        builds the module for every installed kernel and for the kernels that updates bring, the headers of
        O(kernel) (required when that kernel is installed on the host), the headers metapackage of each installed
        kernel's flavour (Debian C(linux-headers-amd64), C(linux-headers-cloud-amd64); Ubuntu
        C(linux-headers-generic); EL C(kernel-devel)) and the headers of the other installed kernels. Those of the
        last two that the sources do not offer are left out with a note.
      - V(false) for image builds and containers, where no module can be built or loaded.
    type: bool
    default: true
  nvswitch:
    description:
      - Whether the board has NVSwitches, which need NVIDIA Fabric Manager of exactly the driver's version.
      - V(auto) looks for NVSwitch bridges on the PCI bus (vendor C(0x10de), class C(0x0680)); V(present) declares
        them (the packages are planned even where sysfs does not show them); V(absent) never plans Fabric Manager.
      - When Fabric Manager is needed and the package sources do not offer it at the driver's version (Debian's
        archive ships none), the plan refuses.
    type: str
    choices: [auto, present, absent]
    default: auto
  distribution:
    description:
      - The distribution, as C(ansible_facts.distribution) names it (V(Debian), V(Ubuntu), V(Rocky)).
      - Read from the host (C(/etc/os-release)) when not given; give it only to override what the host says. Roles
        used to pass C(ansible_facts) here, which still works.
    type: str
  distribution_major_version:
    description:
      - C(ansible_facts.distribution_major_version), e.g. V(12). Read from the host when not given (an override).
    type: str
  distribution_release:
    description:
      - C(ansible_facts.distribution_release), the code name, e.g. V(bookworm). Read from the host when not given
        (an override).
    type: str
  os_family:
    description:
      - C(ansible_facts.os_family), e.g. V(Debian) or V(RedHat). Read from the host when not given (an override).
    type: str
  kernel:
    description:
      - Running kernel release, C(ansible_facts.kernel). Read from the host (C(uname -r)) when not given (an
        override, e.g. to plan the headers of another kernel).
    type: str
  architecture:
    description: CUDA repository architecture directory.
    type: str
    default: x86_64
  apt_sources_file:
    description:
      - The sources file the role owns for missing components; it is ignored when reading the host's sources.
    type: path
    default: /etc/apt/sources.list.d/gpuhost-nvidia-driver.sources
  refresh_cache:
    description:
      - Look candidates up in a private, freshly downloaded package index (apt) when the host's own index
        cannot answer (it lacks one of the packages, or components or the CUDA repository are still to be
        added). A host whose index already knows every package (a converged host) answers without a download.
      - V(false) always reads the host's index as it is.
    type: bool
    default: true
  existing:
    description:
      - What to do with a driver that is already there but not from the packages this module plans (installed by
        NVIDIA's C(.run) installer, provided by the image or mounted into a container, or vendor packages of other
        names); see RV(existing_driver).
      - V(adopt) keeps it when it satisfies O(cuda_version), O(branch) and O(version) (RV(adopted), nothing to
        install or hold) and refuses in one line naming its origin when it does not.
      - V(require_packages) refuses while such a driver is there.
      - Either way the module never plans to remove a driver it did not install.
    type: str
    choices: [adopt, require_packages]
    default: adopt
  fail_on_unsatisfied:
    description: Fail with a one-line message when no candidate satisfies the request.
    type: bool
    default: true
  files:
    description:
      - Absolute paths of files the caller will manage; their state (type, SHA-1, mode, owner, group) is returned
        in RV(files), read before any change, so that a role can skip a template whose file is already current.
    type: list
    elements: path
    default: []
  option_prefix:
    description:
      - Put before the option names that messages (RV(msg), RV(notes), the reason in RV(fabric_manager)) name in
        their advice, e.g. V(nvidia_driver_) so that they name a role's variables (C(nvidia_driver_source) rather
        than C(source)). The role C(gpuhost.provision.nvidia_driver) passes V(nvidia_driver_).
    type: str
    default: ""
  driver_check:
    description:
      - Also return RV(driver_check), the answer M(gpuhost.provision.driver_version_check) would give now for the
        resolved CUDA version, O(compatibility) and O(cuda_table). A caller that then installs nothing needs no
        second module call to know the loaded, userspace and installed driver and whether a reboot is required.
    type: bool
    default: false
  gather_facts:
    description:
      - Also return Ansible's V(min) and V(virtual) fact subsets (distribution, OS family, package and service
        manager, machine id, virtualisation, ...) as C(ansible_facts), collected by the same Ansible fact collectors
        M(ansible.builtin.setup) uses. A play that starts with this pre-flight then needs no separate C(setup) call,
        one module execution less per host on every run.
    type: bool
    default: false
attributes:
  idempotent:
    support: full
    description: Read only.
  platform:
    support: full
    platforms: posix
    description: Debian, Ubuntu and RHEL-compatible hosts.
extends_documentation_fragment:
  - gpuhost.provision.read_only
  - gpuhost.provision.cuda_table
notes:
  - The private package index lives in the module's temporary directory and is removed when it exits.
  - Before NVIDIA's signing key is installed, the private lookup of the CUDA repository trusts it for
    reading version lists only; packages are installed later through the host's own APT with the key.
seealso:
  - module: gpuhost.provision.driver_version_check
"""

EXAMPLES = r"""
- name: Pre-flight the driver for CUDA 12.2 (the distribution and kernel are read from the host)
  gpuhost.provision.nvidia_driver_plan:
    cuda_version: "12.2"
  register: __plan

- name: Install what it chose
  ansible.builtin.apt:
    name: "{{ __plan.install }}"
    install_recommends: false
"""

RETURN = r"""
ansible_facts:
  description:
    - With O(gather_facts=true), the facts M(ansible.builtin.setup) returns for the gather subsets C(!all), C(min)
      and C(virtual).
  returned: when O(gather_facts=true)
  type: dict
  sample: {"ansible_distribution": "Debian", "ansible_os_family": "Debian", "ansible_virtualization_type": "podman"}
driver_check:
  description:
    - With O(driver_check=true), what M(gpuhost.provision.driver_version_check) returns for the same CUDA version
      (C(driver_version), C(kernel_module_version), C(userspace_version), C(installed_version), C(mismatch),
      C(reboot_required), C(reboot_reasons), C(kernels_without_module), C(max_cuda_version), C(compatible),
      C(msg) and the rest), read before anything is installed.
  returned: when O(driver_check=true)
  type: dict
  sample: {"driver_version": "535.247.01", "reboot_required": false, "mismatch": false, "compatible": true}
satisfied:
  description: Whether a candidate, or the driver already there (RV(adopted)), satisfies the request.
  returned: always
  type: bool
  sample: true
adopted:
  description: The driver already there satisfies the request and is kept; RV(install) and RV(hold) are empty.
  returned: always
  type: bool
  sample: false
existing_driver:
  description:
    - The userspace driver already on the host and its origin, or null when there is none.
    - C(origin) is V(packages) (packages of the names this collection knows), V(vendor_packages) (a package of
      another name owns the library), V(runfile) (NVIDIA's C(.run) installer traces) or V(image) (no package and
      no installer traces, so provided by the image or mounted into a container).
  returned: always
  type: dict
  sample:
    version: 580.159.04
    origin: runfile
    origin_label: NVIDIA's .run installer
    package: null
    kernel_module_version: 580.159.04
    library_version: 580.159.04
    evidence: [/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.159.04, /usr/bin/nvidia-uninstall]
family:
  description: V(debian), V(ubuntu) or V(el).
  returned: always
  type: str
  sample: debian
source:
  description: The source used (EL always V(cuda_repo)).
  returned: always
  type: str
  sample: distro
cuda_version:
  description: Normalised CUDA version, or null.
  returned: always
  type: str
  sample: "12.2"
required_min_driver:
  description: Minimum driver for RV(cuda_version), or null.
  returned: always
  type: str
  sample: "535.54.03"
branch:
  description: The chosen branch, or null when unsatisfied.
  returned: always
  type: int
  sample: 535
candidate_version:
  description: Package version chosen for install, or null.
  returned: always
  type: str
  sample: "535.309.01-0+deb12u1"
driver_version:
  description: RV(candidate_version) without epoch and revision, or null.
  returned: always
  type: str
  sample: "535.309.01"
best_candidate:
  description: Highest driver version the sources offer, or null.
  returned: always
  type: str
  sample: "535.309.01-0+deb12u1"
kernel_module:
  description: The kernel module flavour chosen, V(open) or V(proprietary).
  returned: always
  type: str
  sample: proprietary
kernel_module_reason:
  description: Why that flavour.
  returned: always
  type: str
  sample: "no GPU on the PCI bus: the default of R535"
packages:
  description: Package names to install.
  returned: always
  type: list
  elements: str
  sample: [nvidia-driver, nvidia-kernel-dkms, nvidia-smi]
install:
  description: RV(packages) with the pinned ones as C(name=version) (apt) or C(name-version) (dnf).
  returned: always
  type: list
  elements: str
  sample: ["nvidia-driver=535.309.01-0+deb12u1", python3-pynvml]
hold:
  description: Packages to hold (C(apt-mark hold), dnf versionlock).
  returned: always
  type: list
  elements: str
  sample: [nvidia-driver, nvidia-kernel-dkms]
stream:
  description: dnf module stream (EL 8/9), or null.
  returned: always
  type: str
  sample: "nvidia-driver:570-open"
apt_sources:
  description: Stanzas of the sources file the role should own (missing components), empty when none is needed.
  returned: always
  type: list
  elements: dict
  sample: [{types: deb, uris: "http://deb.debian.org/debian", suites: ["bookworm"], components: ["non-free"]}]
cuda_repo:
  description: NVIDIA's CUDA repository for this host (id, url, keyring_url); null unless used.
  returned: always
  type: dict
  sample: {id: debian12, url: "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/"}
installed:
  description: The installed version of every package in RV(packages), null for those not installed, as found
    before any change.
  returned: always
  type: dict
  sample: {nvidia-driver: "535.309.01-0+deb12u1", python3-pynvml: null}
held:
  description: Those of RV(hold) that are already on hold (apt, C(dpkg-query) status C(hold)); empty on dnf, where
    the role's versionlock task is idempotent itself.
  returned: always
  type: list
  elements: str
  sample: [nvidia-driver, nvidia-kernel-dkms]
to_install:
  description: The items of RV(install) that the package manager still has to install or move to their pinned
    version; empty when every package is installed at the planned version (the role then skips its install task).
  returned: always
  type: list
  elements: str
  sample: []
files:
  description: The state of each path in O(files), as M(gpuhost.provision.host_snapshot) returns it.
  returned: always
  type: dict
  sample:
    /etc/modprobe.d/gpuhost-blacklist-nouveau.conf: {exists: true, type: file, sha1: 0c1f..., mode: "0644",
                                                     owner: root, group: root, link_target: null}
apt_sources_file_exists:
  description: Whether O(apt_sources_file) exists on the host.
  returned: always
  type: bool
  sample: false
package_manager_ready:
  description: Whether the host's own package manager already knows every planned package at its version
    (and, on apt, python3-apt is present), so that a check-mode install can be simulated.
  returned: always
  type: bool
  sample: false
initramfs_command:
  description: Command that rebuilds the initramfs (C(update-initramfs -u), C(dracut -f)), or null when none exists.
  returned: always
  type: list
  elements: str
  sample: [/usr/sbin/update-initramfs, -u]
pci_devices:
  description: NVIDIA GPUs on the PCI bus (as in M(gpuhost.provision.nvidia_gpu_facts)).
  returned: always
  type: list
  elements: dict
  sample: []
nvswitch_devices:
  description: NVSwitch bridges on the PCI bus (as in M(gpuhost.provision.nvidia_gpu_facts)).
  returned: always
  type: list
  elements: dict
  sample: []
fabric_manager:
  description:
    - Whether Fabric Manager is needed (C(required)) and why (C(reason)); when it is and the plan is satisfied,
      the package (C(package)) and its version (C(version)) that are part of RV(install) and RV(hold), the NVLSM
      package where needed (C(nvlsm)) and the unit to enable and start after the driver (C(service)).
  returned: always
  type: dict
  sample: {required: true, reason: "4 NVSwitch bridge(s) on the PCI bus (00000000:05:00.0)",
           package: nvidia-fabricmanager-570, version: "570.124.06-1", nvlsm: null,
           service: nvidia-fabricmanager.service}
notes:
  description: Notes on the choice.
  returned: always
  type: list
  elements: str
  sample: []
msg:
  description: One-line summary, or the refusal.
  returned: always
  type: str
  sample: "CUDA 12.2 needs >= 535.54.03: nvidia-driver 535.309.01-0+deb12u1 (R535, proprietary) satisfies it"
"""

import glob
import os
import platform
import re

from ansible.module_utils import distro
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts import ansible_collector, default_collectors
from ansible.module_utils.facts.namespace import PrefixFactNamespace

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import (
    normalize_driver_version,
    CudaCompatError,
    driver_at_least,
    resolve_min_driver,
    table_from,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_packages import (
    CUDA_KEYRING_PACKAGE,
    FABRIC_MANAGER_SERVICE,
    NVLSM_PACKAGE,
    DriverPlanError,
    name_options,
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
)
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_check import DriverCheck
from ansible_collections.gpuhost.provision.plugins.module_utils._host_driver import HostDriver
from ansible_collections.gpuhost.provision.plugins.module_utils._kernels import installed_kernels
from ansible_collections.gpuhost.provision.plugins.module_utils._nvml import one_line, pci_gpus, pci_nvswitches
from ansible_collections.gpuhost.provision.plugins.module_utils._packages import (
    AptPackages,
    DnfPackages,
    PackageQueryError,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_state

# Overridable by tests (module-internal).
APT_SOURCES_LIST = "/etc/apt/sources.list"
APT_SOURCES_DIR = "/etc/apt/sources.list.d"
CUDA_KEYRING_FILE = "/usr/share/keyrings/cuda-archive-keyring.gpg"
WANTED_COMPONENTS = {
    "debian": ("contrib", "non-free", "non-free-firmware"),
    "ubuntu": ("restricted", "universe"),
}
HOST_DRIVER_PATHS = {}   # overridable by tests (module-internal): HostDriver's paths
# What to do about a driver that is not from packages, per origin (the module never removes one).
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


def parse_one_line_sources(text):
    """'deb [signed-by=/k] http://m/debian bookworm main contrib' -> entries."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if not match:
            continue
        kind, opts, uri, suite, comps = match.groups()
        options = dict(o.split("=", 1) for o in (opts or "").split() if "=" in o)
        entries.append({"types": [kind], "uris": [uri], "suites": [suite], "components": comps.split(),
                        "signed_by": options.get("signed-by")})
    return entries


def parse_deb822_sources(text):
    entries = []
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for raw in block.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t") and key:
                fields[key] += "\n" + raw.strip()
                continue
            if ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if not fields.get("uris") or fields.get("enabled", "yes").lower() == "no":
            continue
        signed = fields.get("signed-by", "")
        entries.append({"types": fields.get("types", "deb").split(), "uris": fields["uris"].split(),
                        "suites": fields.get("suites", "").split(), "components": fields.get("components", "").split(),
                        "signed_by": signed if signed and "\n" not in signed else None})
    return entries


def missing_component_stanzas(entries, family, codename, extra=()):
    """Stanzas adding the wanted components (and ``extra`` ones) to every archive suite of this release that lacks them."""
    wanted = WANTED_COMPONENTS.get(family, ()) + tuple(extra)
    suites_of_release = re.compile(r"^%s(-updates|-security|/updates)?$" % re.escape(codename or ""))
    have = {}
    for entry in entries:
        if "deb" not in entry["types"]:
            continue
        for uri in entry["uris"]:
            for suite in entry["suites"]:
                if not suites_of_release.match(suite):
                    continue
                key = (uri, suite)
                slot = have.setdefault(key, {"components": set(), "signed_by": entry["signed_by"]})
                slot["components"].update(entry["components"])
    groups = {}
    for (uri, suite), slot in sorted(have.items()):
        if "main" not in slot["components"]:
            continue
        missing = tuple(c for c in wanted if c not in slot["components"])
        if not missing:
            continue
        groups.setdefault((uri, slot["signed_by"], missing), []).append(suite)
    return [{"types": "deb", "uris": uri, "suites": suites, "components": list(missing), "signed_by": signed}
            for (uri, signed, missing), suites in sorted(groups.items(), key=lambda kv: kv[0][0])]


# distro ids (os-release ID) -> the names ansible_facts uses, where capitalising the id is not it.
DISTRIBUTION_NAMES = {"rhel": "RedHat", "almalinux": "AlmaLinux", "centos": "CentOS", "ol": "OracleLinux"}
EL_IDS = ("rhel", "rocky", "almalinux", "centos", "ol", "fedora")


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


class Unsatisfied(Exception):
    """A refusal that the plan returns as data (RV(satisfied) false, RV(msg)), not as a module failure."""


def initramfs_command(module):
    tool = module.get_bin_path("update-initramfs")
    if tool:
        return [tool, "-u"]
    tool = module.get_bin_path("dracut")
    return [tool, "-f"] if tool else None


# What ansible.builtin.setup collects for gather_subset '!all' (its minimal subset), plus the virtual subset.
MINIMAL_FACT_SUBSET = frozenset(["apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env", "fips",
                                 "local", "lsb", "pkg_mgr", "platform", "python", "selinux", "service_mgr",
                                 "ssh_pub_keys", "user"])


def host_facts(module):
    """setup's facts for ['!all', 'min', 'virtual'], from Ansible's own fact collectors, prefixed as setup returns them.
    The local facts are read from setup's default directory, as setup would (module.params has no fact_path)."""
    module.params.setdefault("fact_path", "/etc/ansible/facts.d")
    collector = ansible_collector.get_ansible_collector(
        all_collector_classes=default_collectors.collectors,
        namespace=PrefixFactNamespace(namespace_name="ansible", prefix="ansible_"), filter_spec=[],
        gather_subset=["!all", "min", "virtual"], gather_timeout=10, minimal_gather_subset=MINIMAL_FACT_SUBSET)
    return collector.collect(module=module)


class Planner(object):
    def __init__(self, module, backend_factory=None, pci_reader=None, host_driver=None):
        self.module = module
        self.params = module.params
        self.backend_factory = backend_factory or self._backend
        self.pci_reader = pci_reader or pci_gpus
        self.host_driver = host_driver or HostDriver(module, **HOST_DRIVER_PATHS)
        self.switch_reader = pci_nvswitches

    def _backend(self, family, codename, stanzas, repo):
        del codename
        if family == "el":
            return DnfPackages(self.module, repo_url=repo["url"] if repo else None)
        return AptPackages(self.module, extra_stanzas=stanzas, trusted_repo_url=repo["url"] if repo else None,
                           exclude_file=self.params["apt_sources_file"], private=self.params["refresh_cache"],
                           sources_dir=APT_SOURCES_DIR)

    def host_sources(self):
        own = os.path.realpath(self.params["apt_sources_file"])
        entries = []
        paths = [APT_SOURCES_LIST] + sorted(glob.glob(os.path.join(APT_SOURCES_DIR, "*.list"))
                                            + glob.glob(os.path.join(APT_SOURCES_DIR, "*.sources")))
        for path in paths:
            if os.path.realpath(path) == own or not os.path.isfile(path):
                continue
            with open(path) as handle:
                text = handle.read()
            entries.extend(parse_deb822_sources(text) if path.endswith(".sources") else parse_one_line_sources(text))
        return entries

    def plan(self):
        """The plan, step by step: what is asked, where the packages come from, what the host has, a driver that is
        already there, the candidate, its packages, Fabric Manager, and what is left to install."""
        family, source, resolution, min_driver = self.request()
        switches = self.switch_reader()
        fm_required, fm_reason = nvswitch_required(self.params["nvswitch"], switches)
        stanzas, repo = self.sources(family, source, fm_required)
        backend = self.backend_factory(family, self.params["distribution_release"], stanzas, repo)
        pci = self.pci_reader()
        result = self.skeleton(family, source, resolution, min_driver, stanzas, repo, pci, switches, fm_required,
                               fm_reason)
        existing = result["existing_driver"]
        if existing and existing["origin"] != "packages":
            return self.keep_existing(result, existing, min_driver)
        label = self.label(family, source)
        kernels = installed_kernels()
        try:
            (package_version, driver_version), branch = self.candidate(result, backend, family, source, min_driver,
                                                                       pci, kernels, label)
            flavor, why = choose_kernel_module(self.params["kernel_module"], branch, pci)
            pkgs = self.packages(result, backend, family, source, flavor, branch, package_version, kernels, label)
            pins = dict((n, package_version) for n in pkgs.versioned)
            if fm_required:
                self.add_fabric_manager(result, pkgs, pins, backend, family, source, branch, driver_version, label,
                                        pci)
        except Unsatisfied as exc:
            result["msg"] = one_line(exc)
            return result
        install, pinned = self.install_items(pkgs, pins, backend, family, driver_version)
        result.update(branch=branch, candidate_version=package_version, driver_version=driver_version,
                      kernel_module=flavor, kernel_module_reason=why, packages=pkgs.packages, install=install,
                      hold=pkgs.hold, stream=pkgs.stream, satisfied=True)
        result["notes"].extend(pkgs.notes)
        self.host_state(result, backend, family, pkgs, install, pinned, pins)
        result["package_manager_ready"] = bool(not stanzas and not repo and backend.host_ready(pinned))
        need = "CUDA %s needs >= %s" % (result["cuda_version"], min_driver) if min_driver else "branch R%s" % branch
        result["msg"] = "%s: %s %s (R%s, %s) from %s satisfies it" % (
            need, pkgs.version_package, package_version, branch, flavor, label)
        return result

    def request(self):
        """(family, source, CUDA resolution or None, minimum driver or None); raises for a contradictory request."""
        p = self.params
        if p["cuda_version"] is None and p["branch"] is None:
            raise DriverPlanError("set O(cuda_version) (what the workloads need) or O(branch)")
        family = family_of(p["distribution"], p["os_family"])
        source = effective_source(family, p["source"])
        table = table_from(p["cuda_table"])
        resolution = resolve_min_driver(p["cuda_version"], p["compatibility"], table) if p["cuda_version"] else None
        min_driver = resolution.min_driver if resolution else None
        if min_driver and p["branch"] is not None and not driver_at_least("%d.999.99" % p["branch"], min_driver):
            raise DriverPlanError("branch R%d is older than the minimum driver %s for CUDA %s: raise "
                                  "O(branch) or lower O(cuda_version)"
                                  % (p["branch"], min_driver, resolution.cuda_version))
        return family, source, resolution, min_driver

    def sources(self, family, source, fm_required):
        """(APT stanzas that add missing components, NVIDIA's CUDA repository or None) for this family and source."""
        p = self.params
        stanzas = []
        if family in WANTED_COMPONENTS and source == "distro":
            # Ubuntu's Fabric Manager packages are in multiverse
            extra = ("multiverse",) if fm_required and family == "ubuntu" else ()
            stanzas = missing_component_stanzas(self.host_sources(), family, p["distribution_release"], extra)
        repo = None
        if source == "cuda_repo":
            repo_id = cuda_repo_id(family, p["distribution"], p["distribution_major_version"])
            repo = {"id": repo_id, "url": cuda_repo_url(repo_id, p["architecture"]),
                    "keyring_url": cuda_keyring_url(repo_id, p["architecture"]) if family != "el" else None,
                    "keyring_file": CUDA_KEYRING_FILE if family != "el" else None,
                    "gpgkey_url": "%sD42D0685.pub" % cuda_repo_url(repo_id, p["architecture"]) if family == "el" else None}
        return stanzas, repo

    def skeleton(self, family, source, resolution, min_driver, stanzas, repo, pci, switches, fm_required, fm_reason):
        """The result before a candidate is chosen: unsatisfied, with what was read from the host."""
        p = self.params
        result = {"family": family, "source": source, "cuda_version": resolution.cuda_version if resolution else None,
                  "required_min_driver": min_driver, "compatibility": p["compatibility"], "apt_sources": stanzas,
                  "cuda_repo": repo, "pci_devices": pci, "initramfs_command": initramfs_command(self.module),
                  "branch": None, "candidate_version": None, "driver_version": None, "best_candidate": None,
                  "kernel_module": None, "kernel_module_reason": None, "packages": [], "install": [], "hold": [],
                  "stream": None, "notes": [], "package_manager_ready": False, "satisfied": False,
                  "installed": {}, "held": [], "to_install": [], "nvswitch_devices": switches,
                  "fabric_manager": {"required": fm_required, "reason": fm_reason, "package": None, "version": None,
                                     "nvlsm": None, "service": FABRIC_MANAGER_SERVICE if fm_required else None},
                  "apt_sources_file_exists": os.path.exists(p["apt_sources_file"]),
                  "existing_driver": self.host_driver.existing_driver(), "adopted": False}
        if resolution and resolution.warnings:
            result["notes"].extend(resolution.warnings)
        return result

    def label(self, family, source):
        """'Debian 12 (distribution archive)', 'EL 9 (CUDA repository)': how messages name the package sources."""
        text = "%s %s" % ({"debian": "Debian", "ubuntu": "Ubuntu", "el": "EL"}[family],
                          self.params["distribution_major_version"])
        return text + " (%s)" % ("distribution archive" if source == "distro" else "CUDA repository")

    def package_set(self, family, source, flavor, branch, kernels, precompiled_available=True):
        p = self.params
        return package_set(family, source, flavor, branch, p["build_module"], p["kernel"], p["distribution_major_version"],
                           precompiled_available=precompiled_available, kernels=kernels)

    def candidate(self, result, backend, family, source, min_driver, pci, kernels, label):
        """((package version, driver version), branch) of the lowest branch that has a fitting version; sets
        RV(best_candidate); raises Unsatisfied with the refusal when no branch has one."""
        p = self.params
        sets = []
        for branch in branch_candidates(family, source, p["branch"], min_driver):
            flavor, _why = choose_kernel_module(p["kernel_module"], branch, pci) if branch is not None else ("proprietary", "")
            sets.append((branch, self.package_set(family, source, flavor, branch, kernels)))
        backend.prefetch(sorted({name for _b, s in sets for name in [s.version_package] + list(s.packages)
                                 if not name.startswith("@") and name != CUDA_KEYRING_PACKAGE}))
        available = backend.available(sorted({s.version_package for _b, s in sets}))
        best_overall = None
        chosen = None
        for branch, pkgs in sets:
            pick, best = pick_version(available.get(pkgs.version_package, []), p["version"], min_driver, branch)
            if best and (best_overall is None or driver_at_least(best[1], best_overall[1])):
                best_overall = best
            if pick and chosen is None:
                chosen = (pick, branch)
        result["best_candidate"] = best_overall[0] if best_overall else None
        if chosen is None:
            raise Unsatisfied(refusal_message(result["cuda_version"], min_driver, result["best_candidate"], label,
                                              source, p["compatibility"], p["branch"], p["version"]))
        pick, branch = chosen
        return pick, (branch if branch is not None else branch_of(pick[1]))

    def packages(self, result, backend, family, source, flavor, branch, package_version, kernels, label):
        """The PackageSet for the chosen candidate, with what the sources do not offer dropped (optional headers)
        or refused (Unsatisfied: a versioned package at another version, a package not offered at all)."""
        pkgs = self.package_set(family, source, flavor, branch, kernels)
        details = backend.available(pkgs.packages) if family != "el" else {}
        if family == "ubuntu" and source == "distro" and pkgs.modules_package and not details.get(pkgs.modules_package):
            pkgs = self.package_set(family, source, flavor, branch, kernels, precompiled_available=False)
            details = backend.available(pkgs.packages)
        if pkgs.optional:
            offered = details if family != "el" else backend.available(pkgs.optional)
            dropped = [name for name in pkgs.optional if not offered.get(name)]
            if dropped:
                pkgs.packages = [name for name in pkgs.packages if name not in dropped]
                result["notes"].append("not offered by the package sources, left out: %s (DKMS cannot build the "
                                       "module for those kernels without their headers)" % ", ".join(dropped))
        if family == "el":
            return pkgs
        for name in pkgs.versioned:
            if package_version not in details.get(name, []):
                raise Unsatisfied(
                    "%s does not offer %s %s to match %s %s (it offers %s): set O(kernel_module) to %s "
                    "or use O(source): cuda_repo" % (
                        label, name, package_version, pkgs.version_package, package_version,
                        ", ".join(details.get(name) or []) or "none", "proprietary" if flavor == "open" else "open"))
        missing = [name for name in pkgs.packages if not name.startswith("@")
                   and name != CUDA_KEYRING_PACKAGE and not details.get(name)]
        if missing:
            headers = any(m.startswith(("linux-headers", "kernel-devel", "kernel-headers")) for m in missing)
            raise Unsatisfied("%s offers no %s: install or enable the repository that has them (%s)" % (
                label, ", ".join(missing), "headers for the running kernel; or set O(build_module): false where "
                "no kernel module is built here, as in containers and image builds" if headers
                else "check the components"))
        return pkgs

    def add_fabric_manager(self, result, pkgs, pins, backend, family, source, branch, driver_version, label, pci):
        """Fabric Manager (and NVLSM) at the driver's version, added to the packages, pins and holds."""
        try:
            fm = self.fabric_manager(backend, family, source, branch, driver_version, label, pci)
        except DriverPlanError as exc:
            raise Unsatisfied(str(exc))
        result["fabric_manager"].update(fm)
        pins[fm["package"]] = fm["version"]
        extra = [fm["package"]] + ([fm["nvlsm"]] if fm["nvlsm"] else [])
        pkgs.packages = pkgs.packages + extra
        pkgs.hold = pkgs.hold + extra

    @staticmethod
    def install_items(pkgs, pins, backend, family, driver_version):
        """(install items with pins, [(name, pinned version or None)] of the real packages)."""
        pin = backend.pin_separator
        install = [("%s%s%s" % (n, pin, pins[n] if pin == "=" else driver_version)) if n in pins else n
                   for n in pkgs.packages]
        pinned = [(n, pins.get(n) if family != "el" else None) for n in pkgs.packages
                  if not n.startswith("@") and n != CUDA_KEYRING_PACKAGE]
        return install, pinned

    @staticmethod
    def host_state(result, backend, family, pkgs, install, pinned, pins):
        """RV(installed), RV(held) and RV(to_install), as the package manager's database has them before any change."""
        names = [n for n, _v in pinned]
        state = backend.installed(names) if names else {}
        result["installed"] = dict((n, state.get(n, (None, False))[0]) for n in names)
        result["held"] = [n for n in pkgs.hold if state.get(n, (None, False))[1]]
        wanted = dict(pinned)
        result["to_install"] = [item for name, item in zip(pkgs.packages, install)
                                if name not in wanted or result["installed"].get(name) is None
                                or (family == "el" and name in pins)
                                or (wanted[name] is not None and result["installed"][name] != wanted[name])]

    def keep_existing(self, result, existing, min_driver):
        """A driver that is not from the planned packages: keep it when it satisfies the request, else refuse."""
        p = self.params
        version = existing["version"]
        found = "driver %s from %s (%s)" % (version, existing["origin_label"], ", ".join(existing["evidence"]))
        if p["existing"] == "require_packages":
            result["msg"] = one_line(
                "%s is installed and O(existing) is require_packages: %s; the plan never removes a driver "
                "it did not install" % (found, EXISTING_REMOVE[existing["origin"]]))
            return result
        unmet = []
        if min_driver and not driver_at_least(version, min_driver):
            unmet.append("CUDA %s needs >= %s" % (result["cuda_version"], min_driver))
        if p["branch"] is not None and branch_of(version) != p["branch"]:
            unmet.append("branch R%d was requested" % p["branch"])
        if p["version"] and normalize_driver_version(p["version"]) != version:
            unmet.append("version %s was requested" % p["version"])
        if unmet:
            result["msg"] = one_line("%s does not satisfy the request (%s): %s; the plan never removes a driver it "
                                     "did not install" % (found, "; ".join(unmet), EXISTING_FIX[existing["origin"]]))
            return result
        flavor = self.host_driver.kernel_module_flavor()
        what = "CUDA %s" % result["cuda_version"] if result["cuda_version"] else "branch R%s" % p["branch"]
        result.update(adopted=True, satisfied=True, driver_version=version, branch=branch_of(version),
                      kernel_module=flavor, kernel_module_reason="the loaded module of the driver kept"
                      if flavor else "no module loaded", apt_sources=[])
        result["msg"] = "kept driver %s (%s), satisfies %s" % (version, existing["origin_label"], what)
        if result["fabric_manager"]["required"]:
            # Fabric Manager must match the driver exactly; for a driver this module did not plan, it comes the same way
            result["notes"].append("NVSwitch board with a driver kept as it is: install nvidia-fabricmanager %s the way "
                                   "the driver was installed; the plan does not manage it" % version)
        return result

    @staticmethod
    def fabric_manager(backend, family, source, branch, driver_version, label, pci):
        """The Fabric Manager package at exactly the driver's version (+ NVLSM on NVLink 5 boards); raises."""
        candidates = fabric_manager_candidates(family, source, branch)
        available = backend.available(candidates) if candidates else {}
        name, version = fabric_manager_choice(candidates, available, driver_version, label)
        nvlsm = NVLSM_PACKAGE if needs_nvlsm(branch, pci) else None
        if nvlsm and not backend.available([nvlsm]).get(nvlsm):
            raise DriverPlanError("this NVLink 5 (Blackwell) board needs NVIDIA's NVLink Subnet Manager from R%d, but "
                                  "%s offers no %s: use O(source): cuda_repo" % (branch, label, nvlsm))
        return {"package": name, "version": version, "nvlsm": nvlsm}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cuda_version=dict(type="str"),
            branch=dict(type="int"),
            version=dict(type="str"),
            kernel_module=dict(type="str", default="auto", choices=["auto", "open", "proprietary"]),
            source=dict(type="str", default="distro", choices=["distro", "cuda_repo"]),
            compatibility=dict(type="str", default="toolkit", choices=["toolkit", "minor"]),
            build_module=dict(type="bool", default=True),
            distribution=dict(type="str"),
            distribution_major_version=dict(type="str"),
            distribution_release=dict(type="str"),
            os_family=dict(type="str"),
            kernel=dict(type="str"),
            architecture=dict(type="str", default="x86_64"),
            apt_sources_file=dict(type="path", default="/etc/apt/sources.list.d/gpuhost-nvidia-driver.sources"),
            refresh_cache=dict(type="bool", default=True),
            existing=dict(type="str", default="adopt", choices=["adopt", "require_packages"]),
            fail_on_unsatisfied=dict(type="bool", default=True),
            nvswitch=dict(type="str", default="auto", choices=["auto", "present", "absent"]),
            files=dict(type="list", elements="path", default=[]),
            cuda_table=dict(type="dict"),
            option_prefix=dict(type="str", default=""),
            driver_check=dict(type="bool", default=False),
            gather_facts=dict(type="bool", default=False),
        ),
        required_one_of=[["cuda_version", "branch"]],
        supports_check_mode=True,
    )
    relative = [path for path in module.params["files"] if not path.startswith("/")]
    if relative:
        module.fail_json(msg="files: %r is not an absolute path" % relative[0])
    for key, value in read_host_release().items():
        if module.params[key] is None:
            module.params[key] = value
    prefix = module.params["option_prefix"]
    planner = Planner(module)
    try:
        result = planner.plan()
        if module.params["driver_check"]:
            result["driver_check"] = DriverCheck(planner.host_driver, cuda_version=result["cuda_version"],
                                                 compatibility=module.params["compatibility"],
                                                 cuda_table=module.params["cuda_table"]).run()[0]
    except (DriverPlanError, CudaCompatError, PackageQueryError) as exc:
        module.fail_json(msg=one_line(name_options(exc, prefix)))
    result["msg"] = name_options(result["msg"], prefix)
    result["notes"] = [name_options(note, prefix) for note in result["notes"]]
    result["fabric_manager"]["reason"] = name_options(result["fabric_manager"]["reason"], prefix)
    result["files"] = dict((path, file_state(path)) for path in module.params["files"])
    if module.params["gather_facts"]:
        result["ansible_facts"] = host_facts(module)
    if not result["satisfied"] and module.params["fail_on_unsatisfied"]:
        module.fail_json(changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

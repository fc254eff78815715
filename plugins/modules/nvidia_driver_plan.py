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
      - V(distro) uses the distribution's own archive; V(cuda_repo) NVIDIA's CUDA repository (or a mirror of it,
        O(cuda_repo_url)); V(mirror) an APT repository of the site's own (O(apt_repo)). EL has no distribution driver
        and always uses the CUDA repository.
    type: str
    choices: [distro, cuda_repo, mirror]
    default: distro
  cuda_repo_url:
    description:
      - The base URL of NVIDIA's CUDA repository, under which C(<distribution id>/<architecture>/) lives (C(debian12),
        C(ubuntu2204), C(rhel9)); a site's mirror of that tree works the same.
      - With NVIDIA's own URL and no O(cuda_repo_key_url), APT hosts install NVIDIA's C(cuda-keyring) package from it
        (the key and a source naming NVIDIA's host). Otherwise the plan returns the source and key to write
        (RV(apt_repo)), the key from O(cuda_repo_key_url) or the repository directory's C(3bf863cc.pub); EL reads the
        key from O(cuda_repo_key_url) or the directory's C(D42D0685.pub).
    type: str
    default: https://developer.download.nvidia.com/compute/cuda/repos
  cuda_repo_key_url:
    description:
      - The CUDA repository's signing key (http, https or file URL, or a path on the host); empty, the key the
        repository publishes (see O(cuda_repo_url)).
    type: str
    default: ""
  apt_repo:
    description:
      - With O(source=mirror), the APT repository the driver comes from; no other source is needed for the driver's
        packages. The plan reads its key, looks the driver up in it (the driver's packages must come from this
        repository, by apt-cache policy's origins) and refuses in one line naming this option when the repository
        does not answer, its signature does not verify with the key, or it lacks the driver at the wanted version.
      - RV(apt_repo) says what to write (a deb822 source with C(Signed-By), the key under C(/etc/apt/keyrings)).
    type: dict
    suboptions:
      url:
        description: The repository's URL (http, https or file), as C(URIs) in a deb822 source.
        type: str
        required: true
      suites:
        description: Its suites, or V(/) alone for a flat repository (no components then).
        type: list
        elements: str
        default: ["/"]
      components:
        description: Its components (e.g. V(main), V(non-free)); empty for a flat repository.
        type: list
        elements: str
        default: []
      key_url:
        description: Its signing key, ASCII-armored or binary (http, https or file URL, or a path on the host).
        type: str
        required: true
      packages:
        description:
          - Whose package names it carries - V(distro) the distribution's (Debian's C(nvidia-driver), C(libcuda1)...,
            Ubuntu's C(nvidia-driver-<branch>-server)...), V(cuda_repo) NVIDIA's CUDA repository's (C(cuda-drivers-<branch>)).
        type: str
        choices: [distro, cuda_repo]
        default: distro
  package_flavour:
    description:
      - V(compute) installs only what a server without a display needs - the kernel module, C(nvidia-smi), NVML,
        C(nvidia-persistenced) and CUDA's user-space library (Debian C(libcuda1) instead of the C(nvidia-driver)
        metapackage; Ubuntu C(nvidia-headless-<branch>-server) or, beside a precompiled module,
        C(nvidia-headless-no-dkms-<branch>-server); EL 10 from R560 C(nvidia-driver-cuda) and the kmod package).
      - V(full) the whole driver with the X, OpenGL, Vulkan and video libraries (Debian C(nvidia-driver), Ubuntu
        C(nvidia-driver-<branch>-server), the CUDA repository's C(cuda-drivers-<branch>)).
      - Where a source has no compute-only set (NVIDIA's CUDA repository on APT hosts, EL 8/9 module streams, EL before
        R560) the whole driver is planned, with a note.
    type: str
    choices: [compute, full]
    default: full
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
      - The download (C(apt-get update) into that index) has 300 seconds a try, and a second try when the first runs
        out (a download can hang where a proxy closed the connection); two that run out fail the module.
      - V(false) always reads the host's index as it is.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait, before reading the host's own package index, while another process holds its lock
        (C(/var/lib/apt/lists/lock), an index refresh rewriting it); the module fails naming the process when
        the time is up. V(0) reads at once. APT only.
    type: int
    default: 0
  keep_index:
    description:
      - APT only. When a private index was downloaded (O(refresh_cache)) and a real run will install (not in check
        mode, the plan satisfied, RV(to_install) not empty), keep its lists in Ansible's temporary area on the host
        and return where (RV(index_lists)), so that the install takes them instead of downloading the index again;
        in every other case it is removed before the module returns.
    type: bool
    default: false
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
  cuda_request:
    description:
      - The answer of M(gpuhost.provision.driver_request) for the same O(cuda_version), O(compatibility) and
        O(cuda_table) (its RV(gpuhost.provision.driver_request#module:request)). The module takes the minimum driver
        from it instead of resolving O(cuda_version) again, so that a run resolves the CUDA request once per host.
        The role C(gpuhost.provision.nvidia_driver) passes it.
      - An answer for another CUDA version or compatibility is ignored (the module resolves O(cuda_version) itself).
    type: dict
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
  hold:
    description:
      - Whether the caller holds the driver's packages; decides the C(hold) section of RV(todo) and RV(hold_now)
        (V(false) holds again only what the install releases).
    type: bool
    default: true
  nouveau_file:
    description:
      - The nouveau blacklist the caller writes from a template, or unset when it writes none; its SHA-1 is in
        O(rendered).
    type: path
  rendered:
    description:
      - Files the caller writes from templates, as C({path - SHA-1 of the rendered content}). RV(todo) counts such a
        file as current when it is a regular file with that SHA-1, mode C(0644), owner and group C(root); its state is
        returned in RV(files) as for O(files).
    type: dict
    default: {}
  module_signing:
    description:
      - Whether the caller signs the modules DKMS builds (a MOK key is set); RV(sections_due) is then true unless the
        driver is adopted (RV(adopted)).
    type: bool
    default: false
  module_params:
    description:
      - Whether the caller sets kernel module parameters; RV(sections_due) is then true.
    type: bool
    default: false
  module_params_file:
    description:
      - The module parameters file the caller writes; while it exists, RV(sections_due) is true (the caller removes
        it when no parameter is left). Unset where the caller writes none.
    type: path
  local_fact:
    description:
      - The local fact file whose C(driver.version) records the driver the caller installed last
        (M(gpuhost.provision.driver_local_fact)); with O(driver_check=true), RV(sections_due) is true while it differs
        from the installed driver.
    type: path
    default: /etc/ansible/facts.d/gpuhost.fact
attributes:
  platform:
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
cuda_request_taken:
  description:
    - Whether the minimum driver came from O(cuda_request) (the controller resolved the CUDA version) rather than
      from resolving O(cuda_version) here.
  returned: always
  type: bool
  sample: true
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
  description:
    - Package names to install. On APT hosts they include every package that the driver's packages pull in at the
      driver's own version (the binaries of the driver's source package, e.g. C(nvidia-driver-libs) and
      C(nvidia-alternative) on Debian), read from the package index or, on a host that has them installed already,
      from dpkg's database; all of them are pinned in RV(install) and held.
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
apt_repo:
  description:
    - The APT repository the role writes (O(source=mirror), or a mirror of the CUDA repository), null otherwise -
      C(url), C(suites), C(components), C(key_url), C(packages), C(key_file) (under C(/etc/apt/keyrings), C(.asc) or
      C(.gpg) by the key's form), C(key_sha1), C(key_current), C(sources_file), C(sources_content) (the deb822 source
      with C(Signed-By)) and C(sources_current).
  returned: always
  type: dict
  sample: {url: "http://127.0.0.1:8080/debian", suites: [gpuhost], components: [main],
           key_file: /etc/apt/keyrings/gpuhost-nvidia-driver.asc, key_current: false,
           sources_file: /etc/apt/sources.list.d/gpuhost-nvidia-driver-repo.sources, sources_current: false}
apt_repo_stale:
  description: Files of an APT repository the role wrote before that the current plan does not use (to remove).
  returned: always
  type: list
  elements: str
  sample: []
package_flavour:
  description: O(package_flavour) as planned.
  returned: always
  type: str
  sample: compute
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
index_lists:
  description: Where the private index's lists were kept for the install (O(keep_index)); the install copies them
    into C(/var/lib/apt/lists) and removes the directory.
  returned: when O(keep_index) kept them
  type: str
  sample: /root/.ansible/tmp/gpuhost-apt-index/lists
todo:
  description:
    - What each section of the C(gpuhost.provision.nvidia_driver) role has to do, C(sources) (components file, CUDA
      repository), C(install), C(clients), C(nouveau), C(initramfs), C(hold) and C(fabric_manager).
    - C(clients) is true where C(install) is and the host has some driver (a loaded module, an NVML library or a
      package, from RV(driver_check)), so the role first waits for the GPU's compute processes and stops the services
      that hold it. A host with no driver at all has no such client.
    - C(initramfs) is true where the blacklist O(nouveau_file) is current but the newest initramfs image
      (C(/boot/initrd.img-*), C(/boot/initramfs-*.img)) is older than it, and RV(initramfs_command) exists (an
      earlier run wrote the file and stopped before the rebuild).
  returned: always
  type: dict
  sample: {sources: false, install: true, clients: false, nouveau: true, initramfs: false, hold: true,
           fabric_manager: false}
sections_due:
  description:
    - Whether any section of the C(gpuhost.provision.nvidia_driver) role has anything to do or to look at on this run;
      true for a section of RV(todo), a kept private index (RV(index_lists)), O(module_signing) (not for an adopted
      driver), O(module_params), an O(module_params_file) that exists, or (with O(driver_check=true)) an
      O(local_fact) that does not record the installed driver. A converged host has none, and the role skips all its
      sections with one condition.
  returned: always
  type: bool
  sample: false
hold_now:
  description: The packages to hold after the install; RV(to_hold), or RV(release) with O(hold=false).
  returned: always
  type: list
  elements: str
  sample: [nvidia-driver, nvidia-driver-libs]
install_holds:
  description:
    - On APT hosts where C(install) of RV(todo) is due, RV(hold_now), which the install holds itself (C(apt-mark hold)
      right after C(apt-get install), in the same job on the host); C(hold) of RV(todo) is then false. Empty otherwise.
    - No moment has the packages installed and not held, also when the controller is gone before the next task.
  returned: always
  type: list
  elements: str
  sample: [nvidia-driver, nvidia-driver-libs]
would_change:
  description: What a run would change, one line each (a check-mode run reports these).
  returned: always
  type: list
  elements: str
  sample: ["install 23 package(s), driver 535.261.03 → 535.309.01; release the holds of 21 of them for it"]
summary:
  description: What the pre-flight chose on one line (the plan, the kernel module and why, Fabric Manager, components),
    or the refusal.
  returned: always
  type: str
  sample: "CUDA 12.2 needs >= 535.54.03: nvidia-driver 535.309.01-0+deb12u1 (R535, proprietary) from Debian 12
    (distribution archive) satisfies it; kernel module proprietary (no GPU on the PCI bus: the default of R535)"
report:
  description: The plan's part of the caller's report (C(msg), C(adopted), C(existing_driver), C(installed),
    C(driver_change), C(fabric_manager), C(to_install)).
  returned: always
  type: dict
  sample: {msg: "...", adopted: false, driver_change: null, to_install: []}
release:
  description:
    - The held packages of the driver's set that the install moves to another version (an upgrade or a downgrade).
      The role releases these holds, and only these, for the install and sets them again after it.
  returned: always
  type: list
  elements: str
  sample: [nvidia-driver, nvidia-driver-libs]
to_hold:
  description: The items of RV(hold) that are not held yet, or that RV(release) releases for the install.
  returned: always
  type: list
  elements: str
  sample: []
driver_change:
  description:
    - When the driver is installed at another version than the planned one, C(from) and C(to) (driver versions) and
      C(from_package) and C(to_package) (package versions); null otherwise.
  returned: always
  type: dict
  sample: {from: 535.261.03, to: 535.309.01, from_package: 535.261.03-1, to_package: 535.309.01-0+deb12u1}
simulation:
  description:
    - When there is something to install, what the package manager itself resolved for RV(install), read-only
      (C(apt-get -s install), C(dnf install --assumeno)) against the package index the plan read; C(changes) (name,
      from, to) and C(removals) (name, version). A transaction the package manager would refuse makes the plan
      unsatisfied, with its reason in RV(msg). Null when there is nothing to install.
  returned: always
  type: dict
  sample: {changes: [{name: nvidia-driver, from: null, to: 535.261.03-1}], removals: []}
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpuhost.provision.plugins.module_utils._cuda_compat import CudaCompatError
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_check import DriverCheck
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_packages import DriverPlanError, name_options
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_plan import Planner, PlanRequest, host_facts
from ansible_collections.gpuhost.provision.plugins.module_utils._driver_sections import (
    initramfs_stale,
    preflight_line,
    sections,
)
from ansible_collections.gpuhost.provision.plugins.module_utils._local_fact import FACT_PATH, LocalFactError, parse_fact
from ansible_collections.gpuhost.provision.plugins.module_utils._messages import one_line
from ansible_collections.gpuhost.provision.plugins.module_utils._packages import PackageQueryError
from ansible_collections.gpuhost.provision.plugins.module_utils._snapshot import file_state

# What RV(report) carries for the caller's report: the plan's own part of it.
REPORTED = ("msg", "adopted", "existing_driver", "installed", "driver_change", "fabric_manager", "to_install")


# The initramfs images update-initramfs (Debian, Ubuntu) and dracut (EL) write; kdump's own images are not booted.
INITRAMFS_IMAGES = ("/boot/initrd.img-*", "/boot/initramfs-*.img")


def modified(path):
    """A file's modification time, None when it cannot be read."""
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def initramfs_images():
    """The modification times of the host's initramfs images."""
    found = [modified(path) for pattern in INITRAMFS_IMAGES for path in glob.glob(pattern)
             if not path.endswith("kdump.img")]
    return [mtime for mtime in found if mtime is not None]


def recorded_driver(path):
    """The driver version the local fact file records, None without one (a file that is not the role's JSON records
    none: the role's local fact section rewrites it)."""
    try:
        with open(path) as handle:
            fact = parse_fact(handle.read())
    except (OSError, LocalFactError):
        return None
    driver = fact.get("driver")
    return driver.get("version") if isinstance(driver, dict) else None


def sections_due(result, params):
    """RV(sections_due): whether any section of the role has anything to do or to look at on this run."""
    if any(result["todo"].values()) or result.get("index_lists") or params["module_params"]:
        return True
    if params["module_signing"] and not result["adopted"]:
        return True
    params_file = params["module_params_file"]
    if params_file and os.path.lexists(params_file):
        return True
    if "driver_check" not in result:
        return True
    return result["driver_check"].get("installed_version") != recorded_driver(params["local_fact"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cuda_version=dict(type="str"),
            branch=dict(type="int"),
            version=dict(type="str"),
            kernel_module=dict(type="str", default="auto", choices=["auto", "open", "proprietary"]),
            source=dict(type="str", default="distro", choices=["distro", "cuda_repo", "mirror"]),
            cuda_repo_url=dict(type="str", default="https://developer.download.nvidia.com/compute/cuda/repos"),
            cuda_repo_key_url=dict(type="str", default="", no_log=False),
            apt_repo=dict(type="dict", options=dict(
                url=dict(type="str", required=True),
                suites=dict(type="list", elements="str", default=["/"]),
                components=dict(type="list", elements="str", default=[]),
                key_url=dict(type="str", required=True, no_log=False),
                packages=dict(type="str", default="distro", choices=["distro", "cuda_repo"]),
            )),
            package_flavour=dict(type="str", default="full", choices=["compute", "full"]),
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
            lock_timeout=dict(type="int", default=0),
            keep_index=dict(type="bool", default=False),
            existing=dict(type="str", default="adopt", choices=["adopt", "require_packages"]),
            fail_on_unsatisfied=dict(type="bool", default=True),
            nvswitch=dict(type="str", default="auto", choices=["auto", "present", "absent"]),
            files=dict(type="list", elements="path", default=[]),
            cuda_table=dict(type="dict"),
            cuda_request=dict(type="dict"),
            option_prefix=dict(type="str", default=""),
            driver_check=dict(type="bool", default=False),
            gather_facts=dict(type="bool", default=False),
            hold=dict(type="bool", default=True),
            nouveau_file=dict(type="path"),
            rendered=dict(type="dict", default={}),
            module_signing=dict(type="bool", default=False),
            module_params=dict(type="bool", default=False),
            module_params_file=dict(type="path"),
            local_fact=dict(type="path", default=FACT_PATH),
        ),
        required_one_of=[["cuda_version", "branch"]],
        required_if=[["source", "mirror", ["apt_repo"]]],
        supports_check_mode=True,
    )
    params = module.params
    relative = [path for path in params["files"] + list(params["rendered"]) if not path.startswith("/")]
    if relative:
        module.fail_json(msg="files: %r is not an absolute path" % relative[0])
    prefix = params["option_prefix"]
    try:
        planner = Planner(module, PlanRequest.from_params(params))
        result = planner.plan()
        if params["driver_check"]:
            # the request the planner resolved, passed on: resolved once per module execution
            result["driver_check"] = DriverCheck(planner.host_driver, cuda_version=result["cuda_version"],
                                                 compatibility=params["compatibility"],
                                                 resolved=(planner.table, planner.resolution)).run()[0]
    except (DriverPlanError, CudaCompatError, PackageQueryError) as exc:
        module.fail_json(msg=one_line(name_options(exc, prefix)))
    result["msg"] = name_options(result["msg"], prefix)
    result["notes"] = [name_options(note, prefix) for note in result["notes"]]
    result["fabric_manager"]["reason"] = name_options(result["fabric_manager"]["reason"], prefix)
    rendered = params["rendered"]
    result["files"] = dict((path, file_state(path)) for path in params["files"] + sorted(rendered))
    nouveau = params["nouveau_file"]
    stale = bool(nouveau and result.get("initramfs_command") and initramfs_stale(modified(nouveau), initramfs_images()))
    result.update(sections(result, result["files"], rendered, params["apt_sources_file"], hold=params["hold"],
                           nouveau_file=nouveau, stale_initramfs=stale))
    result["sections_due"] = sections_due(result, params)
    result["summary"] = preflight_line(result) if result["satisfied"] else result["msg"]
    result["report"] = dict((key, result[key]) for key in REPORTED)
    if params["gather_facts"]:
        result["ansible_facts"] = host_facts(module)
    if not result["satisfied"] and params["fail_on_unsatisfied"]:
        module.fail_json(changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

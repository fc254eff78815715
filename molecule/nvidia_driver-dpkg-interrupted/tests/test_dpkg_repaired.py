# SPDX-License-Identifier: GPL-3.0-or-later
"""After the role on a host whose dpkg run had been killed: dpkg is whole again and the driver is installed."""
from __future__ import annotations

import molecule_hosts

testinfra_hosts = molecule_hosts.testinfra_hosts


def test_dpkg_has_nothing_pending(host):
    assert host.run("dpkg --audit").stdout.strip() == ""
    assert host.run("ls /var/lib/dpkg/updates").stdout.split() in ([], ["tmp.i"])


def test_the_interrupted_package_was_configured(host):
    assert host.run("dpkg-query -W -f='${db:Status-Abbrev}' gpuhost-killed").stdout.strip() == "ii"


def test_the_driver_was_installed_and_held(host):
    # libcuda1: the compute set's top package (nvidia_driver_package_flavour's default)
    assert host.run("dpkg-query -W -f='${db:Status-Abbrev}' libcuda1").stdout.strip() == "hi"


def test_the_install_that_was_still_running_finished_by_itself(host):
    assert host.run("dpkg-query -W -f='${db:Status-Abbrev}' gpuhost-slow").stdout.strip() == "ii"

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pathlib
import re

import yaml

from ansible_collections.gpuhost.provision.plugins.filter.site import fleet_table

ROOT = pathlib.Path(__file__).resolve().parents[4]


def test_shared_columns_first_then_the_playbook_s_own_and_a_count():
    rows = [{"host": "n1", "result": "ok", "driver": "535.261.03", "gpus": "8/8", "more": ["no", "nothing"]},
            {"host": "n2", "result": "FAILED", "more": [None, "input: bad\n  value"]},
            {"host": "n3", "result": "changed", "driver": "535.261.03", "gpus": "0/0", "more": ["no"]}]
    assert fleet_table(rows, ["reboot", "changed / reason"]) == [
        "host | result | driver | GPUs nvml/pci | reboot | changed / reason",
        "n1 | ok | 535.261.03 | 8/8 | no | nothing",
        "n2 | FAILED | - | - | - | input: bad value",
        "n3 | changed | 535.261.03 | 0/0 | no | -",
        "3 host(s): 2 done, 1 failed or not run",
    ]


def test_no_hosts():
    assert fleet_table([]) == ["host | result | driver | GPUs nvml/pci", "0 host(s): 0 done, 0 failed or not run"]


def test_both_playbooks_print_their_table_with_this_filter():
    # The shared columns come from one place: neither playbook writes a header of its own; each prints its table
    # with a filter built on module_utils/_fleet.py's fleet_table (validate.yml's checks and table are in
    # tasks/validate_host.yml, which driver_change.yml shares).
    for playbook, table in (("site.yml", "site_table"), ("tasks/validate_host.yml", "validate_table")):
        text = (ROOT / "playbooks" / playbook).read_text(encoding="utf-8")
        assert "gpuhost.provision.%s(" % table in text, playbook
        source = (ROOT / "plugins" / "module_utils" / ("_site.py" if table == "site_table" else "_health.py"))
        assert "return fleet_table(" in source.read_text(encoding="utf-8"), table
        assert not re.search(r"GPUs (nvml|pci)/", text), playbook
        yaml.safe_load(text)

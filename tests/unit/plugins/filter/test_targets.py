# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pathlib
import re

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.site import FilterModule, targets

ROOT = pathlib.Path(__file__).resolve().parents[4]


def test_filter_is_registered():
    assert FilterModule().filters()["targets"] is targets


@pytest.mark.parametrize("pattern", ["gpu_nodes", "gpu_nodes:&rack1", "", ["a", "b"]])
def test_the_pattern_comes_back_unchanged(pattern):
    assert targets(pattern) == pattern


@pytest.mark.parametrize("book", ["site.yml", "validate.yml", "driver_change.yml"])
def test_the_first_play_of_each_playbook_templates_it_in_the_controllers_process(book):
    # the hosts line of the first play is templated before any worker starts: the collection's filters are loaded
    # there once (docs/performance.md, P6)
    text = (ROOT / "playbooks" / book).read_text(encoding="utf-8")
    first = re.search(r"^  hosts: (.*)$", text, re.MULTILINE).group(1)
    assert "| gpuhost.provision.targets" in first, first


GROUPS = {"all": ["a", "b", "c"], "gpu_nodes": ["a", "b", "c"], "refused": ["b"], "empty": []}


@pytest.mark.parametrize("pattern, kwargs, expected", [
    # site.yml's provisioning play leaves out the hosts whose input was refused or held back
    ("gpu_nodes", {"without": "refused"}, "gpu_nodes:!refused"),
    (["gpu_nodes", "rack1"], {"without": "refused"}, ["gpu_nodes", "rack1", "!refused"]),
    # a group that no earlier play made (no host refused) is not named: Ansible would warn about an unknown pattern
    ("gpu_nodes", {"without": "missing"}, "gpu_nodes"),
    ("gpu_nodes", {"without": "empty"}, "gpu_nodes"),
    # site.yml's last play runs on the failed hosts only, and on none when no host failed
    ("gpu_nodes", {"within": "refused"}, "gpu_nodes:&refused"),
    ("gpu_nodes", {"within": "missing"}, []),
    ("gpu_nodes", {"within": "empty"}, []),
])
def test_a_group_left_out_or_kept(pattern, kwargs, expected):
    assert targets(pattern, GROUPS, **kwargs) == expected


def test_the_patterns_select_those_hosts_in_ansibles_inventory(tmp_path):
    # what the filter returns is read by Ansible's own inventory as intended
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    source = tmp_path / "hosts.yml"
    source.write_text("gpu_nodes:\n  hosts: {a: {}, b: {}, c: {}}\nrefused:\n  hosts: {b: {}}\n", encoding="utf-8")
    inventory = InventoryManager(loader=DataLoader(), sources=[str(source)])
    groups = inventory.get_groups_dict()
    names = [h.name for h in inventory.get_hosts(targets("gpu_nodes", groups, without="refused"))]
    assert names == ["a", "c"]
    assert [h.name for h in inventory.get_hosts(targets("gpu_nodes", groups, within="refused"))] == ["b"]
    assert inventory.get_hosts(targets("gpu_nodes", groups, within="missing")) == []

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

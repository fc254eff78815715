# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.filter.site import (
    FilterModule,
    collection_available,
)


def test_filter_is_registered():
    assert FilterModule().filters()["collection_available"] is collection_available


def test_this_collection_is_available():
    # tests/unit/conftest.py puts .cache/collections (with gpuhost/provision linked in) on sys.path.
    assert collection_available("gpuhost.provision") is True


def test_a_missing_collection_is_not_available():
    assert collection_available("gpuhost.no_such_collection") is False
    assert collection_available("no_such_namespace.core") is False


@pytest.mark.parametrize("name", ["kubernetes", "kubernetes.core.k8s", "", None, 3, "a-b.c"])
def test_bad_names_raise(name):
    with pytest.raises(AnsibleFilterError, match="expected a collection name namespace.name"):
        collection_available(name)

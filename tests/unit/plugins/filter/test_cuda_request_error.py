# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.gpuhost.provision.plugins.filter.nvidia_driver import cuda_request_error


@pytest.mark.parametrize("cuda,table,compat", [
    ("12.4", None, "toolkit"), ("13.4.2", {}, "toolkit"), ("", {"13.6": "630"}, "toolkit"), (None, None, "minor"),
    ("13.6", {"13.6": "630"}, "toolkit"), ("12.8.2", None, "minor"),
])
def test_resolvable_requests_give_no_reason(cuda, table, compat):
    assert cuda_request_error(cuda, table, compat) == ""


@pytest.mark.parametrize("cuda,table,compat,needle", [
    ("13.5", None, "toolkit", "CUDA 13.5 is not a CUDA release in the table"),
    ("twelve", None, "toolkit", "cuda_version 'twelve' is not a CUDA version"),
    ("12.4", {"13.6": "63x"}, "toolkit", "cuda_table entry '13.6': '63x' is not a driver version or branch"),
    ("", {"13": "630"}, "toolkit", "cuda_table entry '13': the key must be a CUDA release"),
    ("12.4", None, "forward", "compatibility must be 'toolkit' or 'minor'"),
])
def test_unresolvable_requests_give_the_modules_one_line_reason(cuda, table, compat, needle):
    why = cuda_request_error(cuda, table, compat)
    assert needle in why and "\n" not in why

# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpuhost.provision.plugins.plugin_utils._filter_errors import refuses


class Refusal(Exception):
    pass


def _decide(value):
    """Refuses a negative value."""
    if value < 0:
        raise Refusal("value %d is negative; give 0 or more" % value)
    if value == 13:
        raise KeyError(value)
    return value * 2


def test_a_refusal_becomes_one_line_named_after_the_filter():
    decide = refuses("decide", Refusal)(_decide)
    assert decide(2) == 4
    with pytest.raises(AnsibleFilterError) as caught:
        decide(-1)
    assert caught.value.message == "decide: value -1 is negative; give 0 or more"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert decide.__name__ == "_decide" and decide.__doc__ == _decide.__doc__


def test_without_a_name_the_reason_alone_and_other_errors_pass():
    decide = refuses(None, Refusal)(_decide)
    with pytest.raises(AnsibleFilterError, match=r"^value -3 is negative; give 0 or more$"):
        decide(-3)
    with pytest.raises(KeyError):
        decide(13)

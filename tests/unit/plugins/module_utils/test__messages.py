# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible_collections.gpuhost.provision.plugins.module_utils._messages import json_text, plain_types


@pytest.mark.parametrize(("text", "plain"), [
    ("<class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'> cannot be converted to a float",
     "str cannot be converted to a float"),
    ("argument 'x' is of type <class 'int'> and we were unable to convert to list: <class 'int'> cannot be converted "
     "to a list", "argument 'x' is of type int and we were unable to convert to list: int cannot be converted to a list"),
    ("<class 'ansible.module_utils._internal._datatag._AnsibleTaggedDict'> and <class 'NoneType'>", "dict and null"),
    ("<type 'str'>", "str"),
    ("no class here <b>", "no class here <b>"),
])
def test_class_names_become_type_names(text, plain):
    assert plain_types(text) == plain


def test_json_text_quotes_what_was_given():
    assert json_text({"b": 1, "a": [True, None]}) == '{"a": [true, null], "b": 1}'
    # the order the user wrote, where a message quotes their mapping
    assert json_text({2: "8G", 0: "1G"}, sort_keys=False) == '{"2": "8G", "0": "1G"}'
    # what JSON cannot hold is quoted as its str()
    assert json_text(object) == json.dumps(str(object))

# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
---
name: collection_available
short_description: Whether a collection is installed on the controller
version_added: 0.1.0
description:
  - Answers V(true) when Ansible on the controller can load the named collection (from the configured
    collections paths or from Python's path, where the C(ansible) package installs its collections).
  - Lets a role check for an optional collection in its pre-flight and fail with its own one-line message,
    instead of failing later on an unresolvable module name after it has changed something.
author:
  - gpuhost.provision developers (@gpuhost)
options:
  _input:
    description: The collection name, C(namespace.name).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Fail early when kubernetes.core is missing
  ansible.builtin.assert:
    that: "'kubernetes.core' | gpuhost.provision.collection_available"
    fail_msg: install the kubernetes.core collection (ansible-galaxy collection install kubernetes.core)
"""

RETURN = r"""
_value:
  description: V(true) when the collection can be loaded on the controller, otherwise V(false).
  type: bool
"""

import importlib.util
import re

from ansible.errors import AnsibleFilterError

_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$", re.IGNORECASE)


def collection_available(name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise AnsibleFilterError("collection_available: expected a collection name namespace.name, got %r" % (name,))
    # Ansible's collection loader answers for the ansible_collections package on the controller.
    try:
        return importlib.util.find_spec("ansible_collections.%s" % name) is not None
    except ImportError:
        return False


class FilterModule(object):
    def filters(self):
        return {"collection_available": collection_available}

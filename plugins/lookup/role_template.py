# -*- coding: utf-8 -*-
# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: role_template
author:
  - gpuhost.provision developers (@gpuhost)
version_added: 0.2.0
short_description: Render a template file as ansible.builtin.template writes it, without copying the host's variables
description:
  - Renders each named file, found in the C(templates) search path of the role or play, with the task's variables plus
    the variables a template gets (C(ansible_managed) unless it is set, C(template_path), C(template_host) and the
    others), and returns the text, the same text that M(ansible.builtin.template) writes.
  - The roles hash that text in their read-only pre-flight, once per host, to tell whether the file they manage is
    current without a call on the host.
  - The C(ansible.builtin.template) lookup deep-copies every variable of the host before each render (in
    ansible-core 2.19 to 2.21), which costs more controller time per host than the rest of a no-op task; this lookup
    puts the template variables in front of the host's variables (a chain of mappings) and copies nothing.
    docs/performance.md (P6) has the measurement.
options:
  _terms:
    description: File names, searched as the C(ansible.builtin.template) lookup searches them.
    required: true
    type: list
    elements: str
notes:
  - Only plain rendering; the C(ansible.builtin.template) lookup's options (other delimiters, C(template_vars),
    C(convert_data)) are not offered.
seealso:
  - plugin: ansible.builtin.template
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Hash what the role would write (no call on the host)
  ansible.builtin.set_fact:
    unit_sha1: "{{ lookup('gpuhost.provision.role_template', 'nvidia-persistenced.service.j2') | hash('sha1') }}"
"""

RETURN = r"""
_raw:
  description: The rendered text of each file.
  type: list
  elements: str
"""

import collections
import os

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.template import trust_as_template

try:  # ansible-core 2.19 to 2.22; the builtin template action and lookup use the same function
    from ansible.template import generate_ansible_template_vars as _template_vars
except ImportError:  # pragma: no cover - a later ansible-core: ansible_managed is the configured string
    _template_vars = None


def template_variables(path: str, fullpath: str) -> dict:
    """The variables ansible.builtin.template adds for a template file (ansible_managed included)."""
    if _template_vars is not None:
        return dict(_template_vars(path, fullpath=fullpath))
    from ansible import constants as C  # pylint: disable=import-outside-toplevel
    return {"ansible_managed": C.config.get_config_value("DEFAULT_MANAGED_STR"), "template_path": path,
            "template_fullpath": fullpath, "template_host": os.uname()[1]}


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        variables = variables if variables is not None else {}
        self.set_options(var_options=variables, direct=kwargs)
        rendered = []
        for term in terms:
            fullpath = self.find_file_in_search_path(variables, "templates", term)
            if not fullpath:
                raise AnsibleError("the template file %s could not be found for the lookup" % term)
            text = trust_as_template(self._loader.get_text_file_contents(fullpath))
            extra = template_variables(term, fullpath)
            if "ansible_managed" in variables:  # as the template action does: a value the user set wins
                extra.pop("ansible_managed", None)
            templar = self._templar.copy_with_new_env(available_variables=collections.ChainMap(extra, variables),
                                                      searchpath=[os.path.dirname(fullpath)])
            rendered.append(templar.template(text, escape_backslashes=False, preserve_trailing_newlines=True))
        return rendered

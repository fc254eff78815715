# Copyright (c) 2026, gpuhost.provision developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Jinja expressions of roles/ and playbooks/ and the source lines each spans.

An expression is a YAML string that holds a template (``{{``/``{%``) or is a bare condition (the values of
``when``, ``that``, ``changed_when``, ``failed_when``, ``until``). Its length is the number of source lines its
value takes in the file (a block scalar's indicator line not counted, trailing blank lines neither).

    python3 scripts/jinja_length.py [--limit N]   # every expression longer than N lines (default 5), then a summary
"""
from __future__ import annotations

import argparse
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
TREES = ("roles", "playbooks")
CONDITIONS = frozenset(("when", "that", "changed_when", "failed_when", "until"))
LIMIT = 5


class _Loader(yaml.SafeLoader):
    """A loader that accepts Ansible's tags (!unsafe, !vault) as plain strings."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _span(node, text_lines):
    start, end = node.start_mark.line, node.end_mark.line
    if node.style in ("|", ">"):
        start += 1  # the indicator line
        last = min(end, len(text_lines)) - 1
        while last >= start and not text_lines[last].strip():
            last -= 1
        return max(last - start + 1, 1)
    if end > start and node.end_mark.column == 0:
        end -= 1
    return end - start + 1


def _walk(node, key, found, text_lines):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _walk(v, k.value if isinstance(k, yaml.ScalarNode) else None, found, text_lines)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, key, found, text_lines)
    elif isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
        if "{{" in node.value or "{%" in node.value or (key in CONDITIONS and node.tag.endswith(":str")):
            found.append((node.start_mark.line + 1, _span(node, text_lines)))


def expressions(root=ROOT):
    """(path relative to root, first line, lines) for every expression of roles/ and playbooks/."""
    result = []
    for tree in TREES:
        for path in sorted((root / tree).rglob("*.y*ml")):
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            for document in yaml.compose_all(text, Loader=_Loader):
                found = []
                if document is not None:
                    _walk(document, None, found, lines)
                result.extend((str(path.relative_to(root)), line, span) for line, span in found)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args(argv)
    found = expressions()
    over = sorted((e for e in found if e[2] > args.limit), key=lambda e: -e[2])
    for path, line, span in over:
        print("%s:%d: %d lines" % (path, line, span))
    longest = max((e[2] for e in found), default=0)
    print("%d expressions, the longest %d lines, %d over %d lines" % (len(found), longest, len(over), args.limit))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

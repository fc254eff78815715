# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the repository importable as ``ansible_collections.gpuhost.provision`` for plain pytest runs.

The repository root is the collection root; Python needs it under an ``ansible_collections/<ns>/<name>``
tree. We keep one symlink for that in ``.cache/collections`` (git-ignored) and put it on ``sys.path``.
"""
from __future__ import annotations

import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TREE = os.path.join(_ROOT, ".cache", "collections")
_LINK = os.path.join(_TREE, "ansible_collections", "gpuhost", "provision")

if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(_ROOT, _LINK)
if _TREE not in sys.path:
    sys.path.insert(0, _TREE)

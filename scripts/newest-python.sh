#!/usr/bin/env bash
# Print the path of the newest Python >= 3.12 on this machine (plain PATH or pyenv), or nothing.
set -uo pipefail
for v in 3.14 3.13 3.12; do
  if command -v "python$v" > /dev/null 2>&1 && "python$v" -c 'import sys' > /dev/null 2>&1; then
    command -v "python$v"; exit 0
  fi
  if command -v pyenv > /dev/null 2>&1; then
    for full in $(pyenv versions --bare 2>/dev/null | grep -E "^${v//./\\.}\.[0-9]+$" | sort -V -r); do
      p="$(pyenv root)/versions/$full/bin/python$v"
      [ -x "$p" ] && "$p" -c 'import ensurepip' > /dev/null 2>&1 && { echo "$p"; exit 0; }
    done
  fi
done
exit 0

#!/usr/bin/env bash
# Create or refresh a virtual environment with pinned tools.
#   venv.sh DIR PYTHON REQUIREMENT...   (a stamp file holds the hash of what was installed)
set -euo pipefail
dir=$1 python=$2; shift 2
stamp=$(printf '%s\n' "$python" "$@" | cat - "$(dirname "$0")/../requirements-dev.txt" | sha256sum | cut -c1-16)
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then exit 0; fi
echo "venv: $dir ($("$python" --version 2>&1))"
rm -rf "$dir"
"$python" -m venv "$dir"
"$dir/bin/python" -m pip install -q "$@" > "$dir.log" 2>&1 || { tail -n 30 "$dir.log" >&2; exit 1; }
echo "$stamp" > "$dir/.stamp"

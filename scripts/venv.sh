#!/usr/bin/env bash
# Create or refresh a virtual environment from a lock file (scripts/lock.sh makes them: `make lock`).
#   venv.sh DIR PYTHON LOCKFILE
# pip installs in hash-checking mode, so every package, transitive ones included, must be in the lock with its
# hashes; afterwards `pip freeze` must list exactly the lock's packages and versions. A stamp file holds the hash
# of the interpreter, the lock and this script: an unchanged environment is kept.
set -euo pipefail
dir=$1 python=$2 lock=$3
[ -f "$lock" ] || { echo "venv: no lock file $lock (make lock)" >&2; exit 1; }
stamp=$( (command -v "$python"; cat "$lock" "$0") | sha256sum | cut -c1-16)
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then exit 0; fi
echo "venv: $dir ($("$python" --version 2>&1)) from $lock, about a minute"
rm -rf "$dir"
"$python" -m venv "$dir"
"$dir/bin/python" -m pip install -q --require-hashes -r "$lock" > "$dir.log" 2>&1 || { tail -n 30 "$dir.log" >&2; exit 1; }
# pip freeze leaves out pip, setuptools, wheel and distribute; so does the comparison
# (names normalised as PEP 503 does: lower case, a run of "-", "_" and "." as one "-")
pins() { grep -oE '^[A-Za-z0-9_.-]+==[^ ;\\]+' | sed -E 's/^([^=]+)==/\L\1==/' \
         | awk -F'==' '{ gsub(/[-_.]+/, "-", $1); print $1 "==" $2 }' \
         | grep -vE '^(pip|setuptools|wheel|distribute)==' | sort -u; }
if ! diff <(pins < "$lock") <("$dir/bin/python" -m pip freeze | pins) > "$dir.freeze.diff"; then
  echo "venv: $dir differs from $lock (< lock, > installed):" >&2
  cat "$dir.freeze.diff" >&2
  exit 1
fi
rm -f "$dir.freeze.diff"
echo "$stamp" > "$dir/.stamp"

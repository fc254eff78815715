#!/usr/bin/env bash
# The Python dependency lock: every environment the scripts create installs from a lock file made here from the
# human-edited requirement files, with exact versions of every package, transitive ones included, and hashes
# where the installer allows.
#
#   lock.sh lock       regenerate the locks after an input changed (versions already locked stay where they are)
#   lock.sh upgrade    regenerate them with the newest versions the inputs admit (then run `make test`)
#   lock.sh outdated   list locked packages that have newer releases (inputs' == pins relaxed), change nothing
#
# Input → lock (Python version it is resolved for):
#   requirements-dev.txt          → requirements/dev.lock          (3.11, the controller venv .venv)
#   requirements/core-<v>.in      → requirements/core-<v>.lock     (3.12+, sanity of the newer ansible-cores)
#   requirements/collections.in   → requirements/collections.lock  (the `ansible` wheel, downloaded without deps)
#   requirements/tools.in         → requirements/tools.lock        (uv, the resolver this script runs)
#   awx/ee/requirements.in        → awx/ee/requirements.txt        (3.12, the execution environments; no hashes)
# ansible-test's own sanity environments install the requirement files ansible-test ships, which pin every
# package exactly for each ansible-core release, so locking ansible-core locks them too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=${1:-lock}
tools="$root/.venv-lock"

# uv from its own lock (hash-checked), in a venv of its own
if [ ! -x "$tools/bin/uv" ] || ! cmp -s requirements/tools.lock "$tools/.lock"; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q --require-hashes -r requirements/tools.lock
  cp requirements/tools.lock "$tools/.lock"
fi
uv="$tools/bin/uv"

# input output python-version extra-options
specs=(
  "requirements-dev.txt requirements/dev.lock 3.11 --generate-hashes"
  "requirements/collections.in requirements/collections.lock 3.11 --generate-hashes --no-deps"
  "requirements/tools.in requirements/tools.lock 3.11 --generate-hashes"
  "awx/ee/requirements.in awx/ee/requirements.txt 3.12 "
)
for f in requirements/core-*.in; do specs+=("$f ${f%.in}.lock 3.12 --generate-hashes --universal"); done

compile() {  # input output python-version options... 
  local in=$1 out=$2 py=$3; shift 3
  "$uv" pip compile -q "$in" -o "$out" --python-version "$py" --custom-compile-command "make lock" \
    --no-emit-index-url "$@"
}

pins() {  # lock file → "name==version" lines, names normalised
  grep -oE '^[A-Za-z0-9_.-]+==[^ ;\\]+' "$1" | tr 'A-Z_' 'a-z-' | sort -u
}

case "$mode" in
  lock|upgrade)
    extra=()
    [ "$mode" = upgrade ] && extra=(--upgrade)
    for spec in "${specs[@]}"; do
      read -r in out py opts <<<"$spec"
      # shellcheck disable=SC2086  # opts is a list of words
      compile "$in" "$out" "$py" $opts "${extra[@]}"
      echo "lock: $out ($(pins "$out" | wc -l) packages)"
    done
    ;;
  outdated)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    found=0
    for spec in "${specs[@]}"; do
      read -r in out py opts <<<"$spec"
      # the newest versions that resolve together once the exact pins are relaxed (other bounds are kept)
      sed -E 's/^([][A-Za-z0-9_.-]+)==/\1>=/' "$in" > "$tmp/in.txt"
      # shellcheck disable=SC2086
      compile "$tmp/in.txt" "$tmp/out.txt" "$py" $opts --upgrade 2>/dev/null || { echo "outdated: $in does not resolve relaxed"; continue; }
      while IFS='=' read -r name _ new; do
        old=$(pins "$out" | grep -E "^${name}==" | cut -d= -f3)
        if [ -n "$old" ] && [ "$old" != "$new" ]; then
          printf '%-28s %-14s %-12s -> %s\n' "$out" "$name" "$old" "$new"; found=1
        fi
      done < <(pins "$tmp/out.txt")
    done
    [ "$found" = 1 ] || echo "outdated: every locked package is at its newest release"
    ;;
  *) echo "usage: lock.sh lock|upgrade|outdated" >&2; exit 2 ;;
esac

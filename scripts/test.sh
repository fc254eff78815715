#!/usr/bin/env bash
# The whole suite, in order: ansible-lint, ansible-test sanity (ansible-core 2.19 on Python 3.11, 2.20 and 2.21
# on the newest Python >= 3.12 present), unit tests, the roles' integration tests (tests/integration), every
# molecule scenario, packaging (galaxy-importer on the built tarball, ansible-builder), and the playbooks through
# ansible-runner.
# Every step runs even when an earlier one failed, so one run shows everything; the failing steps are named
# at the end, followed by one line `N passed, N failed` (unit tests count one each, every other step one).
#   test.sh [lint|sanity|units|integration|molecule|packaging|runner ...]   (default: all, in that order)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
logs="$root/.cache/logs"
mkdir -p "$logs"
export PATH="$root/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/scripts/containers.conf}"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
export PYTHONPATH="$root/molecule/_shared${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1

passed=0 failed=0 failures=()
record() {  # name rc seconds
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "== PASS $1 (${3}s)"
  else failed=$((failed + 1)); failures+=("$1"); echo "== FAIL $1 (${3}s): see $logs/$1.log"; fi
}
step() {  # name command...: run, log, show the tail on failure
  local name=$1 start rc; shift
  echo "== $name"
  start=$(date +%s)
  "$@" > "$logs/$name.log" 2>&1; rc=$?
  [ "$rc" -eq 0 ] || tail -n 40 "$logs/$name.log" | sed "s/^/   $name| /"
  record "$name" "$rc" "$(( $(date +%s) - start ))"
}

# ansible-lint installs the linted checkout into ~/.ansible/collections itself (ansible-compat) and lints
# that copy; everything else here uses .cache/collections, where the checkout is linked in.
do_lint() { step ansible-lint ansible-lint --offline; }

# Sanity on every ansible-core that meta/runtime.yml admits: 2.19 in .venv on Python 3.11, and the newer cores
# (which need Python >= 3.12) each in .venv-core-<version> on the newest Python >= 3.12 present, installed from
# requirements/core-<version>.lock.
do_sanity() {
  step sanity-core2.19-py3.11 bash scripts/sanity.sh .venv 3.11
  local newest ver lock core
  newest=$(bash scripts/newest-python.sh)
  if [ -z "$newest" ]; then
    echo "== sanity of the newer ansible-cores skipped: no Python >= 3.12 here"; return
  fi
  ver=$("$newest" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  for lock in requirements/core-*.lock; do
    core=$(basename "$lock" .lock); core=${core#core-}
    if bash scripts/venv.sh ".venv-core-$core" "$newest" "$lock" > "$logs/venv-core-$core.log" 2>&1; then
      step "sanity-core$core-py$ver" bash scripts/sanity.sh ".venv-core-$core" "$ver"
    else
      cat "$logs/venv-core-$core.log"; record "sanity-core$core" 1 0
    fi
  done
}

pytest_step() {  # name path...: pytest counts one per test
  local name=$1 start rc line p f; shift
  echo "== $name"
  start=$(date +%s)
  python -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "$logs/$name.log" | tail -n 25
  rc=${PIPESTATUS[0]}
  line=$(tail -n 1 "$logs/$name.log")
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
  f=$(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | awk '{s += $1} END {print s + 0}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
  [ "$rc" -eq 0 ] || failures+=("$name")
  echo "== $name: rc $rc ($(( $(date +%s) - start ))s)"
}

do_units() { pytest_step units tests/unit; }

# The roles and their templates run by ansible-playbook on localhost or rendered and run (tests/integration)
do_integration() { pytest_step integration tests/integration; }

# site.yml and validate.yml through ansible-runner against a test container (tests/runner)
do_runner() {
  bash scripts/build-images.sh debian12 || { record images 1 0; return; }
  pytest_step runner tests/runner
}

# The built tarball through galaxy-importer, the changelog lint, and ansible-builder rendering the execution
# environment definitions (scripts/packaging.sh)
do_packaging() { step packaging bash scripts/packaging.sh; }

do_molecule() {
  local scenario
  bash scripts/build-images.sh debian12 debian13 || { record images 1 0; return; }
  bash scripts/build-nvidia-image.sh || { record images-nvidia 1 0; return; }
  for scenario in $(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | grep -v '^_' | sort); do
    step "molecule-$scenario" molecule --base-config molecule/base.yml test -s "$scenario"
  done
}

bash scripts/install-deps.sh || { echo "FAIL: installing system packages (scripts/install-deps.sh)"; exit 1; }
bash scripts/venv.sh .venv python3 requirements/dev.lock || { echo "FAIL: creating .venv"; exit 1; }
bash scripts/collections.sh .venv > /dev/null || { echo "FAIL: containers.podman collection (scripts/collections.sh)"; exit 1; }

[ "$#" -gt 0 ] || set -- lint sanity units integration molecule packaging runner
for what in "$@"; do "do_$what"; done

echo
if [ "${#failures[@]}" -gt 0 ]; then printf 'failed steps: %s\n' "$(IFS=,; echo "${failures[*]}")"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

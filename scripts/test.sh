#!/usr/bin/env bash
# The whole suite, in order: ansible-lint, ansible-test sanity (ansible-core 2.19 on Python 3.11, 2.20 and 2.21
# on the newest Python >= 3.12 present), unit tests, the roles' integration tests (tests/integration), every
# molecule scenario, packaging (galaxy-importer on the built tarball, ansible-builder), and the playbooks through
# ansible-runner.
# Every step runs even when an earlier one failed, so one run shows everything; the failing steps are named
# at the end, followed by one line `N passed, N failed` (unit tests count one each, every other step one).
#   test.sh [lint|sanity|units|integration|molecule|packaging|runner ...]   (default: all, in that order)
# Each step's time goes to bench/results/test-<UTC time>-<commit>.tsv (`step<TAB>rc<TAB>seconds`, git-ignored);
# the slowest five steps are printed at the end. Molecule scenarios run GPUHOST_TEST_JOBS at a time (default 2;
# scripts/molecule_suite.py), GPUHOST_TEST_JOBS_AFTER (default the same) once the steps beside them have ended,
# each into its own log, never two that share a container name or a host port, and
# in the background while the steps without containers run (GPUHOST_TEST_OVERLAP=0: in their place instead); the
# runner test is then one more job of the same pool, its tests counted one each.
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

# what this checkout starts is labelled with it, so that `make clean` removes only that (scripts/checkout-id.sh)
GPUHOST_CHECKOUT_ID=$(bash scripts/checkout-id.sh)
export GPUHOST_CHECKOUT_ID
export MOLECULE_PODMAN_EXECUTABLE="$root/scripts/podman-labelled"
results_dir="$root/bench/results"
mkdir -p "$results_dir"
times="$results_dir/test-$(date -u +%Y%m%dT%H%M%SZ)-$(git rev-parse --short HEAD 2>/dev/null || echo none).tsv"
{ echo "# scripts/test.sh $*"; echo "# $(nproc) CPUs, load at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# GPUHOST_TEST_JOBS=${GPUHOST_TEST_JOBS:-2} GPUHOST_TEST_JOBS_AFTER=${GPUHOST_TEST_JOBS_AFTER:-${GPUHOST_TEST_JOBS:-2}}"; } > "$times"

passed=0 failed=0 failures=()
record() {  # name rc seconds
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$times"
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
# that copy; everything else here uses .cache/collections, where the checkout is linked in. It keeps an installed
# copy of the same version, so a copy left by another checkout (or an older tree) would be linted instead of this
# one: the step gets a HOME of this checkout's own, whose copy is made afresh each run.
do_lint() {
  rm -rf "$root/.cache/lint-home/.ansible/collections"
  mkdir -p "$root/.cache/lint-home"
  HOME="$root/.cache/lint-home" step ansible-lint ansible-lint --offline
}

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
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - start ))" >> "$times"
  echo "== $name: rc $rc ($(( $(date +%s) - start ))s)"
}

do_units() { pytest_step units tests/unit; }

# The roles and their templates run by ansible-playbook on localhost or rendered and run (tests/integration)
do_integration() { pytest_step integration tests/integration; }

# site.yml and validate.yml through ansible-runner against a test container (tests/runner)
do_runner() {
  bash scripts/build-images.sh debian12 || { record images 1 0; return; }
  apt_cache
  pytest_step runner tests/runner
}

# The built tarball through galaxy-importer, the changelog lint, and ansible-builder rendering the execution
# environment definitions (scripts/packaging.sh)
do_packaging() { step packaging bash scripts/packaging.sh; }

# Every scenario (or those named in GPUHOST_SCENARIOS), GPUHOST_TEST_JOBS at a time; the package cache first.
# molecule_start runs them in the background and molecule_finish waits for them and counts them, so that the steps
# without containers (lint, sanity, tests, packaging: CPU-bound) run while the scenarios wait on their hosts
# (package downloads, systemd, sleeps). GPUHOST_TEST_OVERLAP=0 runs them in their place in the order instead.
molecule_pid="" molecule_done="" molecule_t0=0 molecule_extra=()
# made when the steps without containers that run beside the pool have ended: from then on the pool runs
# GPUHOST_TEST_JOBS_AFTER scenarios at a time (default: GPUHOST_TEST_JOBS, the same), for the cores those steps used
# (GPUHOST_TEST_OVERLAP=0: the pool never sees it). Three at a time on the 2-core machine ended 47 s sooner, and the
# persistenced scenario's idempotence run then missed a restarting daemon's reason in its journal once.
foreground_done="$logs/.foreground-done"
rm -f "$foreground_done"
molecule_start() {
  molecule_t0=$(date +%s)
  molecule_done=$(mktemp)
  (
    start=$(date +%s)
    bash scripts/build-images.sh debian12 debian13 || { printf 'images\t1\t0\n' >> "$molecule_done"; exit; }
    bash scripts/build-nvidia-image.sh || { printf 'images-nvidia\t1\t0\n' >> "$molecule_done"; exit; }
    printf '%s\t%s\t%s\n' images 0 "$(( $(date +%s) - start ))" >> "$times"  # timed, not counted as a test
    apt_cache
    # shellcheck disable=SC2086  # GPUHOST_SCENARIOS is a list of names
    python scripts/molecule_suite.py run --jobs "${GPUHOST_TEST_JOBS:-2}" --logs "$logs" --results "$molecule_done" \
      --more-jobs "${GPUHOST_TEST_JOBS_AFTER:-${GPUHOST_TEST_JOBS:-2}}" --more-jobs-when "$foreground_done" \
      "${molecule_extra[@]}" ${GPUHOST_SCENARIOS:-}
  ) &
  molecule_pid=$!
}
molecule_finish() {
  local name rc seconds line p f
  [ -n "$molecule_pid" ] || return 0
  wait "$molecule_pid"
  molecule_pid=""
  while IFS=$'\t' read -r name rc seconds; do
    printf '%s\t%s\t%s\n' "$name" "$rc" "$seconds" >> "$times"
    if [[ "$name" != molecule-* ]]; then  # a pytest job in the pool (the runner test): its tests count one each
      line=$(tail -n 1 "$logs/$name.log")
      p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
      f=$(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | awk '{s += $1} END {print s + 0}')
      passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
      if [ "$rc" -ne 0 ]; then failures+=("$name"); [ "${f:-0}" -gt 0 ] || failed=$((failed + 1)); fi
      continue
    fi
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
  done < "$molecule_done"
  rm -f "$molecule_done"
  printf '%s\t%s\t%s\n' "molecule (all, wall)" 0 "$(( $(date +%s) - molecule_t0 ))" >> "$times"
  echo "== molecule: $(( $(date +%s) - molecule_t0 ))s wall"
}
do_molecule() { [ -n "$molecule_pid" ] || { molecule_start; molecule_finish; }; }

# The machine's APT package cache (apt-cacher-ng, scripts/apt-cache.sh): test hosts use it as their APT proxy
# (molecule/_shared/prepare.yml), so each package is downloaded once per machine. GPUHOST_APT_CACHE=0: none.
apt_cache() {
  [ -n "${GPUHOST_APT_PROXY+set}" ] && return
  GPUHOST_APT_PROXY=""
  if [ "${GPUHOST_APT_CACHE:-1}" = 1 ]; then
    GPUHOST_APT_PROXY=$(bash scripts/apt-cache.sh) || { echo "== package cache not started: downloading directly"; GPUHOST_APT_PROXY=""; }
  fi
  export GPUHOST_APT_PROXY
  [ -z "$GPUHOST_APT_PROXY" ] || echo "== package cache: $GPUHOST_APT_PROXY"
}

bash scripts/install-deps.sh || { echo "FAIL: installing system packages (scripts/install-deps.sh)"; exit 1; }
bash scripts/venv.sh .venv python3 requirements/dev.lock || { echo "FAIL: creating .venv"; exit 1; }
bash scripts/collections.sh .venv > /dev/null || { echo "FAIL: containers.podman collection (scripts/collections.sh)"; exit 1; }

[ "$#" -gt 0 ] || set -- lint sanity units integration molecule packaging runner
overlap=0
if [ "${GPUHOST_TEST_OVERLAP:-1}" = 1 ] && [[ " $* " == *" molecule "* ]]; then
  overlap=1
  echo "== molecule scenarios in the background (GPUHOST_TEST_OVERLAP=0: in order)"
  # the runner test starts a container of its own: one more job of the scenarios' pool, not a third beside them
  if [[ " $* " == *" runner "* ]]; then
    molecule_extra=(--extra "runner=python -m pytest -q -p no:cacheprovider tests/runner")
  fi
  molecule_start
fi
for what in "$@"; do
  if [ "$overlap" = 1 ] && [ "$what" = runner ]; then continue; fi
  "do_$what"
done
touch "$foreground_done"
molecule_finish

echo
echo "slowest steps (all times: $times):"
grep -v '^#' "$times" | grep -v '^molecule (all' | sort -t$'\t' -k3,3nr | head -n 5 | awk -F'\t' '{printf "  %6ss  %s\n", $3, $1}'
if [ "${#failures[@]}" -gt 0 ]; then
  printf 'failed steps: %s\n' "$(IFS=,; echo "${failures[*]}")"
  # Once more at the very end, where a reader of only the output's tail (a CI page) sees it: each failed step's
  # lines that say why (a failed task and the two lines after it, an assertion, a failed test, a sanity error, an
  # ansible-lint rule and its file), the last 20, each cut to 400 characters.
  for name in "${failures[@]}"; do
    [ -f "$logs/$name.log" ] || continue
    echo "why $name failed ($logs/$name.log):"
    why='fatal: |failed: \[|FAILED|CRITICAL|AssertionError|^E  |^ERROR: |Error: |^[a-z][a-z0-9-]*\[[a-z0-9-]+\]: '
    grep -v 'RETRYING' "$logs/$name.log" | grep -E -A2 "$why" \
      | tail -n 20 | cut -c1-400 | sed 's/^/  | /'
  done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

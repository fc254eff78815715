#!/usr/bin/env bash
# progress.sh LABEL COMMAND...: run COMMAND (its output passes through); while it runs, print
# "LABEL: still running (N s)" every GPUHOST_PROGRESS_EVERY seconds (default 15), so that a long silent step
# (pip installing the virtual environment, debootstrap building an image) does not look like a hang.
# Exits with COMMAND's status.
set -euo pipefail
label=$1
shift
every=${GPUHOST_PROGRESS_EVERY:-15}
start=$(date +%s)
"$@" &
pid=$!
(
  # one-second naps, so that this loop ends within a second of the command
  next=$((start + every))
  while kill -0 "$pid" 2> /dev/null; do
    now=$(date +%s)
    if [ "$now" -ge "$next" ]; then
      echo "$label: still running ($((now - start)) s)"
      next=$((next + every))
    fi
    sleep 1
  done
) &
ticker=$!
rc=0
wait "$pid" || rc=$?
wait "$ticker" 2> /dev/null || true
exit "$rc"

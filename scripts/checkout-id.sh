#!/usr/bin/env bash
# The id of this checkout: the first 12 hex digits of the SHA-256 of its absolute physical path. Containers that the
# suite, the demo and the runner tests start carry it as the label gpuhost.checkout=<id>; `make clean` removes
# only containers and images with this checkout's label, and `make demo` names its container with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
printf '%s' "$root" | sha256sum | cut -c1-12

#!/usr/bin/env bash
# ansible-test sanity for the collection, with every test ansible-test selects and no ignores.
#
#   sanity.sh VENV_DIR PYTHON   e.g. sanity.sh .venv 3.11
#
# ansible-test wants the collection under ansible_collections/<ns>/<name>; we copy the files git knows
# (tracked and untracked-not-ignored) into .cache/sanity/… so that build output never reaches it.
# Its --venv mode bootstraps pip with a get-pip script downloaded from a host CI cannot reach; ansible-test
# uses a cached copy when one exists, so we put a small bootstrap there that uses the interpreter's own
# ensurepip and then lets pip install the pinned pip version from the package index.
set -euo pipefail
venv=$1 py=$2
root=$(cd "$(dirname "$0")/.." && pwd)
tree="$root/.cache/sanity/ansible_collections/gpuhost/provision"

at_dir=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(grep -oE "pip='[0-9.]+'" "$at_dir/_internal/python_requirements.py" | head -n1 | tr -dc '0-9.')
[ -n "$pip_version" ] || { echo "sanity: cannot find the pip version ansible-test pins in $at_dir" >&2; exit 1; }
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -s "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  cat > "$cache" <<'PY'
# Local stand-in for get-pip.py (written by gpuhost.provision scripts/sanity.sh): ensurepip, then pip
# installs the requested packages (ansible-test passes the pinned pip version) from the package index.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
fi

mkdir -p "$tree"
# Mirror the files git knows; tests/output (ansible-test's own venvs and results) is kept between runs.
(cd "$root" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
   [ -e "$f" ] && printf '%s\0' "$f"; done) > "$root/.cache/sanity/files"
find "$tree" -mindepth 1 -maxdepth 1 ! -name tests ! -name .git -exec rm -rf {} +
find "$tree/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} + 2>/dev/null || true
rsync -a --from0 --files-from="$root/.cache/sanity/files" "$root/" "$tree/"
cd "$tree"
# ansible-test reads the file list from git when the tree is a repository: index exactly these files.
[ -d .git ] || git init -q .
git add -A >/dev/null
PATH="$root/$venv/bin:$PATH" ansible-test sanity --venv --python "$py" --color no 2>&1

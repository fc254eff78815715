#!/usr/bin/env bash
# The collection as users get it, checked the way Galaxy and automation hub check it:
#   1. ansible-galaxy builds the tarball; only the allowed top-level entries may be in it (build_ignore keeps
#      virtual environments, logs, caches and test harness out);
#   2. antsibull-changelog lints the changelog and its fragments;
#   3. galaxy-importer imports the tarball (metadata, docs through ansible-doc, ansible-lint) and must print no
#      warning or error;
#   4. ansible-builder renders both execution environment definitions (awx/ee/) with that tarball.
# Runs in the repository's .venv (requirements-dev.txt pins galaxy-importer and ansible-builder).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.cache/packaging"
rm -rf "$out"
mkdir -p "$out"
cd "$root"

version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
tarball="$out/gpuhost-provision-$version.tar.gz"
ansible-galaxy collection build --force --output-path "$out" > "$out/build.log"
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

# 1. What ships: the collection's content and nothing else.
allowed='^(MANIFEST\.json|FILES\.json|README\.md|LICENSE|CHANGELOG\.rst|requirements\.txt|bindep\.txt|meta|plugins|roles|playbooks|docs|changelogs|tests/unit|tests/sanity|tests)(/|$)'
unexpected=$(tar -tzf "$tarball" | grep -vE "$allowed" || true)
if [ -n "$unexpected" ]; then
  echo "packaging: files that must not ship (add them to build_ignore in galaxy.yml):" >&2
  echo "$unexpected" >&2
  exit 1
fi

# 2. Changelog
antsibull-changelog lint

# 3. galaxy-importer, as Galaxy runs it (ansible-test is off there by default too); its warnings fail the step.
# Its ansible-lint resolves collections from ~/.ansible (where it installs the tarball's collection itself): a HOME of
# its own, holding only kubernetes.core (the k8s modules the roles call; scripts/collections.sh unpacks it), so that
# neither a stale copy of this collection nor a missing dependency decides the result.
imp_home="$root/.cache/importer-home"
rm -rf "$imp_home"
mkdir -p "$imp_home/.ansible/collections/ansible_collections"
ln -s "$root/.cache/collections/ansible_collections/kubernetes" "$imp_home/.ansible/collections/ansible_collections/kubernetes"
(cd "$out" && HOME="$imp_home" GALAXY_IMPORTER_RUN_ANSIBLE_TEST=False python -m galaxy_importer.main "$(basename "$tarball")") \
  > "$out/importer.log" 2>&1 || { cat "$out/importer.log"; exit 1; }
if grep -E '^(WARNING|ERROR)' "$out/importer.log"; then
  echo "packaging: galaxy-importer reported the lines above ($out/importer.log)" >&2
  exit 1
fi
tail -n 1 "$out/importer.log"

# 4. Execution environments: ansible-core and ansible-runner pinned at the versions of their lock
for def in awx/ee/execution-environment.yml awx/ee/execution-environment-hub.yml; do
  for pkg in ansible-core ansible-runner; do
    locked=$(grep -oE "^$pkg==[^ ]+" awx/ee/requirements.txt)
    grep -q "package_pip: $locked\$" "$def" || {
      echo "packaging: $def does not pin $locked (awx/ee/requirements.txt, make lock)" >&2; exit 1; }
  done
done
# the local-tarball variant must name the tarball just built.
grep -q "collections/$(basename "$tarball")" awx/ee/requirements-local.yml || {
  echo "packaging: awx/ee/requirements-local.yml does not name $(basename "$tarball") (galaxy.yml version $version)" >&2
  exit 1
}
ee_src="$out/ee-src"
cp -r awx/ee "$ee_src"
rm -f "$ee_src"/collections/*.tar.gz
cp "$tarball" "$ee_src/collections/"
for def in execution-environment.yml execution-environment-hub.yml; do
  ctx="$out/context-${def%.yml}"
  ansible-builder create -f "$ee_src/$def" -c "$ctx" --output-filename Containerfile > "$out/builder-${def%.yml}.log" 2>&1 \
    || { cat "$out/builder-${def%.yml}.log"; exit 1; }
  if grep -iE 'warn|deprecat' "$out/builder-${def%.yml}.log"; then
    echo "packaging: ansible-builder warned for awx/ee/$def" >&2
    exit 1
  fi
  # a named base image, Python 3.12 for ansible-core >= 2.19, and kubernetes.core's library for k8s_gpu_sharing
  for want in "Containerfile:^ARG EE_BASE_IMAGE=\"[^\"]+\"" "Containerfile:^ARG PYCMD=\"/usr/bin/python3.12\"" \
              "_build/requirements.txt:^kubernetes=="; do
    grep -qE "${want#*:}" "$ctx/${want%%:*}" || { echo "packaging: $ctx/${want%%:*} lacks ${want#*:}" >&2; exit 1; }
  done
  echo "awx/ee/$def: rendered $ctx/Containerfile"
done
[ -f "$out/context-execution-environment/_build/collections/$(basename "$tarball")" ] || {
  echo "packaging: the build context of the local-tarball variant lacks $(basename "$tarball")" >&2
  exit 1
}

#!/usr/bin/env bash
# Fill awx/ee/collections/ with the tarballs that awx/ee/execution-environment.yml installs (no Galaxy needed):
# gpuhost.provision built from this checkout, and kubernetes.core as the community `ansible` package on PyPI bundles
# it (the same package and version scripts/collections.sh takes containers.podman from). The hub definition
# (awx/ee/requirements-hub.yml) names the same two collections.
#   bash scripts/ee-collections.sh [VENV]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.venv}
ansible_pkg=${ANSIBLE_PACKAGE_VERSION:-12.3.0}
cache="${GPUHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuhost-provision}"
out="$root/awx/ee/collections"
mkdir -p "$out" "$cache/wheels"
"$venv/bin/ansible-galaxy" collection build --force --output-path "$out" "$root" > /dev/null
wheel=$(find "$cache/wheels" -name "ansible-$ansible_pkg-*.whl" | head -n1)
if [ -z "$wheel" ]; then
  echo "ee-collections: downloading ansible==$ansible_pkg from PyPI for kubernetes.core"
  "$venv/bin/python" -m pip download -q --no-deps --only-binary=:all: -d "$cache/wheels" "ansible==$ansible_pkg"
  wheel=$(find "$cache/wheels" -name "ansible-$ansible_pkg-*.whl" | head -n1)
fi
# A collection tarball is the collection's directory as a gzipped tar, with MANIFEST.json and FILES.json (every
# directory and file with its SHA-256) at its top. The `ansible` package leaves some of the collection's files out
# (.github, tests), so FILES.json is written again for the files it has, and MANIFEST.json's checksum of it.
"$venv/bin/python" - "$wheel" "$out" <<'PY'
import hashlib, io, json, sys, tarfile, zipfile
wheel, out = sys.argv[1:]
prefix = "ansible_collections/kubernetes/core/"
with zipfile.ZipFile(wheel) as zf:
    content = {n[len(prefix):]: zf.read(n) for n in zf.namelist() if n.startswith(prefix) and not n.endswith("/")}
manifest = json.loads(content.pop("MANIFEST.json"))
content.pop("FILES.json")
dirs = sorted({"/".join(name.split("/")[:i]) for name in content for i in range(1, name.count("/") + 1)})
entries = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
entries += [{"name": d, "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1} for d in dirs]
entries += [{"name": n, "ftype": "file", "chksum_type": "sha256", "chksum_sha256": hashlib.sha256(data).hexdigest(),
             "format": 1} for n, data in sorted(content.items())]
files_json = json.dumps({"files": entries, "format": 1}, indent=4).encode()
manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
content["FILES.json"] = files_json
content["MANIFEST.json"] = json.dumps(manifest, indent=4).encode()
version = manifest["collection_info"]["version"]
path = "%s/kubernetes-core-%s.tar.gz" % (out, version)
with tarfile.open(path, "w:gz") as tar:
    for d in dirs:
        info = tarfile.TarInfo(d)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    for name, data in sorted(content.items()):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
print("ee-collections: %s" % path)
PY
ls "$out"/*.tar.gz

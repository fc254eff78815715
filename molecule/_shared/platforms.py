# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and remove a scenario's test containers: molecule's create and destroy steps (create.yml, destroy.yml).

    platforms.py create '<platforms as JSON>'     podman run -d each platform (removed first if it is there)
    platforms.py destroy '<platforms as JSON>'    podman rm -f each platform, without waiting for a clean stop

The podman driver's own playbooks start each container as an async job and poll it (a 5 s wait at least, twice a
scenario), template a Dockerfile that a pre-built image never uses, and stop systemd hosts gracefully (up to 10 s)
before removing them; these containers are thrown away, so one synchronous `podman` call each is enough. The keys
read are the ones molecule/*/molecule.yml use: name, image, command, systemd, published_ports, hostname,
volumes, env. podman is $MOLECULE_PODMAN_EXECUTABLE (the checkout-labelling wrapper in make test), else `podman`.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

KNOWN = {"name", "image", "pre_build_image", "command", "systemd", "published_ports", "groups", "hostname",
         "volumes", "env"}


def podman() -> str:
    return os.environ.get("MOLECULE_PODMAN_EXECUTABLE") or "podman"


def run_argv(platform: dict) -> list[str]:
    unknown = sorted(set(platform) - KNOWN)
    if unknown:
        raise SystemExit(f"platform {platform.get('name')}: keys this create step does not read: {', '.join(unknown)}")
    if not platform.get("pre_build_image", False):
        raise SystemExit(f"platform {platform['name']}: only pre-built images (pre_build_image: true)")
    argv = [podman(), "run", "-d", "--name", platform["name"], "--hostname", platform.get("hostname", platform["name"]),
            "--label", "owner=molecule"]
    if platform.get("systemd") is not None:
        argv.append(f"--systemd={str(platform['systemd']).lower()}")
    argv += [f"--publish={port}" for port in platform.get("published_ports") or []]
    argv += [f"--volume={volume}" for volume in platform.get("volumes") or []]
    argv += [f"--env={key}={value}" for key, value in (platform.get("env") or {}).items()]
    argv.append(platform["image"])
    command = platform.get("command")
    argv += shlex.split(command) if isinstance(command, str) else list(command or [])
    return argv


def remove(names: list[str]) -> None:
    if names:
        subprocess.run([podman(), "rm", "--force", "--time", "0", "--ignore", *names], check=True,
                       stdout=subprocess.DEVNULL)


def main() -> int:
    action, platforms = sys.argv[1], json.loads(sys.argv[2])
    names = [p["name"] for p in platforms]
    if action == "destroy":
        remove(names)
        return 0
    if action != "create":
        raise SystemExit(f"unknown action {action}: create or destroy")
    argvs = [run_argv(p) for p in platforms]  # every platform checked before any container starts
    for platform in platforms:  # a bind mount's host directory is made when missing (podman refuses a missing one)
        for volume in platform.get("volumes") or []:
            if volume.startswith("/"):
                os.makedirs(volume.split(":", 1)[0], exist_ok=True)
    remove(names)
    for argv in argvs:
        started = subprocess.run(argv, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise SystemExit(f"{shlex.join(argv)}: {started.stderr.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

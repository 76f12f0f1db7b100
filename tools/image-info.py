#!/usr/bin/env python3
"""What a built image holds, read from the image itself, as jupyter/docker-stacks tags and describes its images.

usage: tools/image-info.py tag IMAGE:TAG          (python-X.Y.Z, lab-, notebook-, hub-, htmap-)
       tools/image-info.py manifest IMAGE:TAG DIR (DIR/NAME.md: versions, size, apt and Python packages)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

# Run inside the image (its entrypoint bypassed: no pool starts).
PROBE = r"""
import json, platform, subprocess
from importlib import metadata
dists = {d.metadata["Name"].lower(): d.version for d in metadata.distributions()}
apt = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\n"], capture_output=True, text=True)
print(json.dumps({"python": platform.python_version(), "dists": dists, "apt": apt.stdout.splitlines()}))
"""
# Tag prefix -> Python distribution, as docker-stacks names its version tags.
VERSION_TAGS = {"lab": "jupyterlab", "notebook": "notebook", "hub": "jupyterhub", "htmap": "htmap"}


def run(*argv: str) -> str:
    """A command's output; it must succeed."""
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def facts(image: str) -> dict:
    """Versions and packages of `image`."""
    # QEMU_CPU: the CPU model when the image is another platform's, run under emulation.
    emulated = ["-e", f"QEMU_CPU={os.environ['QEMU_CPU']}"] if os.environ.get("QEMU_CPU") else []
    return json.loads(run("docker", "run", "--rm", *emulated, "--entrypoint", "python", image, "-c", PROBE))


def tags(image: str, found: dict) -> list[str]:
    """docker-stacks' version tags for `image` (the build tags it with its commit).

    Another platform's image (latest-arm64) gets its tags with the same suffix.
    """
    repo, tag = image.rsplit(":", 1)
    suffix = tag.removeprefix("latest")
    names = [f"python-{found['python']}"]
    names += [f"{prefix}-{found['dists'][dist]}" for prefix, dist in VERSION_TAGS.items() if dist in found["dists"]]
    return [f"{repo}:{name}{suffix}" for name in names]


def manifest(image: str, found: dict) -> str:
    """A Markdown page describing `image`."""
    size = int(run("docker", "image", "inspect", "-f", "{{.Size}}", image)) // 10**6
    labels = json.loads(run("docker", "image", "inspect", "-f", "{{json .Config.Labels}}", image)) or {}
    lines = [f"# {image}", "", f"- size: {size} MB", f"- Python {found['python']}"]
    lines += [f"- {key}: {value}" for key, value in sorted(labels.items()) if key.startswith("org.")]
    lines += ["", "## Python packages", "", "| package | version |", "| --- | --- |"]
    lines += [f"| {name} | {version} |" for name, version in sorted(found["dists"].items())]
    lines += ["", "## Debian packages", "", "| package | version |", "| --- | --- |"]
    lines += [f"| {entry.replace(chr(9), ' | ')} |" for entry in sorted(found["apt"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    """Tag an image, or write its manifest."""
    if len(argv) < 2 or argv[0] not in ("tag", "manifest") or (argv[0] == "manifest" and len(argv) != 3):
        raise SystemExit(__doc__)
    image = argv[1]
    found = facts(image)
    if argv[0] == "tag":
        names = tags(image, found)
        for name in names:
            run("docker", "tag", image, name)
        print(f"tagged {image.rsplit(':', 1)[0]}:", " ".join(name.rsplit(":", 1)[1] for name in names))
    else:
        out = Path(argv[2]) / f"{image.rsplit('/', 1)[-1].split(':')[0]}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(manifest(image, found))
        print(out)


if __name__ == "__main__":
    main(sys.argv[1:])

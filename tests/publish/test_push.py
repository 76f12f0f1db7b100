"""`make push`: both platforms' base images to a real registry, each pulled back by digest.

The registry is Debian's docker-registry on loopback; one manifest list per tag.

Runs with `--platform` (it needs another platform's image beside the engine's own):
`make test-arm64`.
"""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.containers import docker, engine_platform
from tests.registry import loopback_registry

ROOT = Path(__file__).parents[2]
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """A registry on loopback: host:port."""
    with loopback_registry() as address:
        yield address


@pytest.mark.smoke
def test_push_makes_one_list_per_tag_and_each_platform_pulls_back(registry: str, pytestconfig: pytest.Config) -> None:
    platforms = f"{engine_platform()} {pytestconfig.getoption('--platform')}"
    done = subprocess.run(
        ["make", "push", f"REGISTRY={registry}", f"PLATFORMS={platforms}", "IMAGES=base-notebook"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    repo = f"{registry}/htcondor/htc-base-notebook"
    assert f"pushed {repo}:latest ({platforms})" in done.stdout
    assert f"its jobs' image: HTC_JOB_IMAGE=docker://{repo}@sha256:" in done.stdout
    raw = docker("buildx", "imagetools", "inspect", "--raw", f"{repo}:latest").stdout
    manifests = json.loads(raw)["manifests"]
    found = {m["platform"]["architecture"]: m["digest"] for m in manifests}
    assert sorted(found) == ["amd64", "arm64"], raw
    for arch, digest in found.items():
        pulled = f"{repo}@{digest}"
        docker("pull", "--quiet", pulled)
        try:
            uname = docker("run", "--rm", "--platform", f"linux/{arch}", "--entrypoint", "uname", pulled, "-m")
            assert uname.stdout.strip() == MACHINES[arch]
        finally:
            docker("rmi", pulled, check=False)

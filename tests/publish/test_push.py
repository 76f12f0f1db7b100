"""`make push`: both platforms' base images to a real registry, each pulled back by digest.

The registry is Debian's docker-registry on loopback; one manifest list per tag.

Runs with `--platform` (it needs another platform's image beside the engine's own):
`make test-arm64`.
"""

import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.containers import docker, engine_platform

ROOT = Path(__file__).parents[2]
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """A registry on loopback, with its storage in a temporary folder: host:port."""
    with tempfile.TemporaryDirectory() as storage:
        address = f"127.0.0.1:{free_port()}"
        config = Path(storage) / "config.yml"
        config.write_text(
            f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {storage}/data\nhttp:\n  addr: {address}\n"
        )
        # Its log to a file: it logs every request, and a full pipe would stop it.
        log = (Path(storage) / "registry.log").open("w")
        server = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://{address}/v2/", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    assert server.poll() is None, (Path(storage) / "registry.log").read_text()
                    assert time.monotonic() < deadline, "the registry did not answer in 30 s"
                    time.sleep(0.2)
            yield address
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


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

"""A registry on loopback (Debian's docker-registry, `make registry`): for `make push` and the sites' images."""

import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.containers import docker


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def loopback_registry() -> Iterator[str]:
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


def push(image: str, registry: str) -> str:
    """Push `image` (its commit's tag) to `registry`; its name there by digest, as a site pins it."""
    own = docker("image", "inspect", "-f", '{{index .Config.Labels "org.htcondor.notebook.image"}}', image).stdout
    there = f"{registry}/{own.strip()}"
    docker("tag", image, there)
    try:
        pushed = docker("push", there, timeout=900).stdout
    finally:
        docker("rmi", there, check=False)
    digest = pushed.split("digest: ")[-1].split()[0]
    assert digest.startswith("sha256:"), pushed
    return f"{there.rsplit(':', 1)[0]}@{digest}"

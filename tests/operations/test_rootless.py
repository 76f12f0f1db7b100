"""Under rootless Podman, as an ordinary host user: the pool, the seed map, Jupyter, and NB_USER=root.

`tools/host-tools.sh podman` (run by `make test`) installs Debian's podman and makes the user.
This host's /dev/net/tun is root's alone, so containers here use no network or the host's
(slirp4netns, behind `-p`, needs it); the image does not care which.
"""

import os
import shlex
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.containers import docker

PODMAN_USER = os.environ.get("PODMAN_USER", "htc-podman")
MAP = "import htmap; print(list(htmap.map(str, range(3))))"


def podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run podman as the ordinary user, in a login shell (its own HOME and storage)."""
    command = shlex.join(["podman", *args])
    return subprocess.run(
        ["runuser", "-l", PODMAN_USER, "-c", command], capture_output=True, text=True, check=check, timeout=timeout
    )


@pytest.fixture(scope="module")
def rootless_image(image: str) -> Iterator[str]:
    """The image under test, copied into the user's rootless store; removed from it afterwards."""
    if shutil.which("podman") is None or subprocess.run(["id", PODMAN_USER], capture_output=True).returncode:
        message = f"rootless Podman or user {PODMAN_USER} missing: run tools/host-tools.sh podman as root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    archive = f"/tmp/htc-rootless-{os.getpid()}.tar"
    try:
        docker("save", "-o", archive, image, timeout=600)
        os.chmod(archive, 0o644)
        podman("load", "-i", archive, timeout=600)
    finally:
        if os.path.exists(archive):
            os.unlink(archive)
    yield image
    podman("rmi", "-f", image, check=False)


def answers(url: str) -> bool:
    """Whether Jupyter answers 200 at `url`."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (http to the test's container)
            return answer.status == 200
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_pool_map_and_jupyter_under_rootless_podman(rootless_image: str) -> None:
    done = podman("run", "--rm", "--network=none", rootless_image, "python", "-c", MAP)
    assert done.stdout.strip().splitlines()[-1] == "['0', '1', '2']", done.stdout + done.stderr
    assert "started the personal pool as uid 1000" in done.stderr and "ERROR[" not in done.stderr
    port = free_port()
    name = f"htc-rootless-{port}"
    podman(
        "run", "-d", "--network=host", "--name", name, rootless_image,
        "start-notebook.py", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not answers(f"http://127.0.0.1:{port}/api"):
            assert time.monotonic() < deadline, podman("logs", name, check=False).stderr
            time.sleep(0.2)
        # No systemd here to run Podman's health timer: the check itself, by hand.
        assert podman("healthcheck", "run", name, check=False).returncode == 0
    finally:
        podman("rm", "-f", name, check=False)


def test_nb_user_root_under_rootless_podman(rootless_image: str) -> None:
    """docker-stacks' rootless setting: root in the container (the host user outside), home /home/root."""
    env = ("-e", "NB_USER=root", "-e", "NB_UID=0", "-e", "NB_GID=0")
    done = podman(
        "run", "--rm", "--network=none", "--user", "root", *env, rootless_image, "sh", "-c", 'id -u; echo "$HOME"'
    )
    assert done.stdout.split() == ["0", "/home/root"], done.stderr
    assert "HTCondor runs no job as root" in done.stderr

"""Start-up of the base image: modes, Jupyter's token, a mounted home, health, stop."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.containers import Container, Containers, docker

MAP_TEN = "import htmap; print(list(htmap.map(lambda x: 2 * x, range(10))))"


@pytest.mark.smoke
def test_jupyter_requires_its_token(container: Container) -> None:
    assert container.http_status("/api/contents") == 403
    assert container.http_status("/api/contents", token=container.token()) == 200


@pytest.mark.smoke
@pytest.mark.parametrize("variable", ["_CONDOR_SCHEDD_HOST", "_condor_SCHEDD_HOST"])
def test_remote_mode_starts_no_daemon(containers: Containers, variable: str) -> None:
    box = containers.start(env={variable: "somewhere"}, wait="jupyter")
    assert f"remote mode: {variable}=somewhere" in box.logs()
    assert [name for _, name in box.processes() if name.startswith("condor_")] == []
    # What is missing is reported, and Jupyter serves all the same.
    box.wait_for_log("_CONDOR_COLLECTOR_HOST is not set")
    assert box.http_status("/api") == 200


@pytest.fixture
def empty_home() -> Iterator[Path]:
    """An empty host directory owned by the notebook user, as a laptop user's own folder is."""
    with tempfile.TemporaryDirectory() as folder:
        os.chown(folder, 1000, 100)
        yield Path(folder)
        # The container's user wrote files the host user may not remove.
        docker(
            "run",
            "--rm",
            "-u",
            "0",
            "-v",
            f"{folder}:/h",
            "--entrypoint",
            "sh",
            "debian:trixie-slim",
            "-c",
            "rm -rf /h/* /h/.[!.]*",
            check=False,
        )


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_pool_works_on_an_empty_mounted_home(containers: Containers, empty_home: Path) -> None:
    box = containers.start(options=("-v", f"{empty_home}:/home/jovyan"), wait="healthy")
    assert box.python(MAP_TEN).splitlines()[-1] == "[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]"
    assert (empty_home / ".condor" / "state" / "spool").is_dir()


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_cpu_override_and_cgroup_limit(containers: Containers) -> None:
    override = containers.start(env={"_CONDOR_NUM_CPUS": "3"}, wait="healthy")
    limited = containers.start(options=("--cpus", "1", "--memory", "1g"), wait="healthy")
    query = ("condor_status", "-const", "PartitionableSlot", "-af", "TotalSlotCpus", "TotalSlotMemory")
    assert override.exec(*query).stdout.split()[0] == "3"
    assert limited.exec(*query).stdout.split() == ["1", "1024"]


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_docker_stacks_variables(containers: Containers) -> None:
    box = containers.start(
        env={
            "JUPYTER_PORT": "9999",
            "DOCKER_STACKS_JUPYTER_CMD": "server",
            "NOTEBOOK_ARGS": "--ServerApp.base_url=/x/",
        },
        options=("-p", "127.0.0.1::9999"),
    )
    box.wait_for(lambda: box.http_status("/x/api", private=9999) == 200, "Jupyter server on 9999 under /x/")
    assert "Executing the command: jupyter server --ServerApp.ip= --ServerApp.port=9999" in box.logs()


def test_a_users_htmaprc_wins(container: Container) -> None:
    assert container.python("import htmap; print(htmap.settings['DELIVERY_METHOD'])").strip() == "shared"
    container.exec("sh", "-c", "printf 'DELIVERY_METHOD = \"assume\"\\n' > ~/.htmaprc")
    try:
        assert container.python("import htmap; print(htmap.settings['DELIVERY_METHOD'])").strip() == "assume"
    finally:
        container.exec("rm", "-f", "/home/jovyan/.htmaprc")


def test_jupyterhub_singleuser_is_installed(container: Container) -> None:
    assert container.exec("jupyterhub-singleuser", "--version", check=False).returncode == 0

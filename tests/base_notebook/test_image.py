"""What the base image holds: user, versions, labels, packages."""

import json

from tests.containers import Container, Containers, docker


def test_notebook_user(container: Container) -> None:
    user = container.host.user("jovyan")
    assert (user.uid, user.gid, user.home) == (1000, 100, "/home/jovyan")
    assert container.host.file("/home/jovyan/work").is_directory


def test_condor_and_bindings_versions(container: Container) -> None:
    out = container.python(
        "import htcondor, htmap, sys; print(htcondor.version()); print(htmap.version()); print(sys.version)"
    )
    assert "$CondorVersion: 23.9.6 " in out
    assert "0.6.1" in out
    assert "3.13." in out


def test_pip_check(container: Container) -> None:
    done = container.exec("pip", "check", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_htmap_cli(container: Container) -> None:
    assert "Usage" in container.exec("htmap", "--help").stdout
    assert container.exec("htmap", "status", check=False).returncode == 0


def test_labels(image: str) -> None:
    labels = json.loads(docker("image", "inspect", image).stdout)[0]["Config"]["Labels"]
    for key in ("title", "description", "source", "version", "created"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.htcondor.condor.version"] == "23.9.6"
    assert labels["org.htcondor.htmap.version"] == "0.6.1"
    assert labels["org.htcondor.python.version"] == "3.13"


def test_tags(image: str) -> None:
    tags = json.loads(docker("image", "inspect", image).stdout)[0]["RepoTags"]
    repo = image.rsplit(":", 1)[0]
    assert f"{repo}:condor-23.9.6" in tags
    assert any(tag.startswith(f"{repo}:20") for tag in tags), tags


def test_commands_run_with_the_pool_up(containers: Containers) -> None:
    done = containers.run("condor_q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Total for query" in done.stdout
    done = containers.run("bash", "-c", 'python -c "import htmap"')
    assert done.returncode == 0, done.stderr

"""What the base image holds: user, versions, labels, packages."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.containers import Container, Containers, docker, engine_platform
from tests.images import version

ROOT = Path(__file__).parents[2]
CONDOR = version("CONDOR_VERSION")


@pytest.mark.smoke
def test_the_platform_under_test_is_healthy(container: Container, pytestconfig: pytest.Config) -> None:
    platform = pytestconfig.getoption("--platform") or engine_platform()
    machine = {"linux/arm64": "aarch64", "linux/amd64": "x86_64"}[platform]
    assert container.exec("uname", "-m").stdout.strip() == machine
    assert container.health() == "healthy"


def test_notebook_user(container: Container) -> None:
    user = container.host.user("jovyan")
    assert (user.uid, user.gid, user.home) == (1000, 100, "/home/jovyan")
    assert container.host.file("/home/jovyan/work").is_directory


def test_condor_and_bindings_versions(container: Container) -> None:
    assert f"$CondorVersion: {CONDOR} " in container.exec("condor_version").stdout
    out = container.python(
        "import htcondor2, classad2, htmap, sys; print(htcondor2.version()); print(htmap.version()); print(sys.version)"
    )
    assert f"$CondorVersion: {CONDOR} " in out
    assert version("HTMAP_VERSION") in out
    assert f"{version('PYTHON_VERSION')}." in out


def test_no_version_1_bindings_remain(container: Container) -> None:
    """HTCondor 25 has only the version-2 API; no Debian 23.x module lingers for any Python."""
    for python in ("python", "python3", "/usr/bin/python3"):
        done = container.exec(python, "-c", "import htcondor", check=False)
        assert "No module named 'htcondor'" in done.stderr, (python, done.stderr)
    v1 = "ls -d /usr/lib/python3/dist-packages/htcondor /usr/lib/python3/dist-packages/classad"
    assert container.exec("sh", "-c", v1, check=False).stdout == ""


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
    assert labels["org.htcondor.condor.version"] == CONDOR
    assert labels["org.htcondor.htmap.version"] == version("HTMAP_VERSION")
    assert labels["org.htcondor.python.version"] == version("PYTHON_VERSION")


def test_the_image_knows_its_own_name(container: Container, image: str) -> None:
    """Its commit's tag names it, in a label and in the environment: the image its jobs run in."""
    inspected = json.loads(docker("image", "inspect", image).stdout)[0]
    own = inspected["Config"]["Labels"]["org.htcondor.notebook.image"]
    repo, tag = image.rsplit(":", 1)
    revision = inspected["Config"]["Labels"]["org.opencontainers.image.revision"]
    # Another platform's local tags end in -ARCH; its registry name (a manifest list's) does not.
    assert re.fullmatch(r"[0-9a-f]{12}", revision) and own == f"{repo}:{revision}"
    assert f"{own}{tag.removeprefix('latest')}" in inspected["RepoTags"]
    assert container.exec("printenv", "HTC_NOTEBOOK_IMAGE").stdout.strip() == own


def test_tags(image: str) -> None:
    tags = json.loads(docker("image", "inspect", image).stdout)[0]["RepoTags"]
    repo = image.rsplit(":", 1)[0]
    assert f"{repo}:condor-{CONDOR}" in tags
    assert any(tag.startswith(f"{repo}:20") for tag in tags), tags


def test_commands_run_with_the_pool_up(containers: Containers) -> None:
    done = containers.run("condor_q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Total for query" in done.stdout
    done = containers.run("bash", "-c", 'python -c "import htmap"')
    assert done.returncode == 0, done.stderr


def test_version_tags_and_manifest(container: Container, image: str, tmp_path: Path) -> None:
    """docker-stacks' version tags on the built image, and `make manifests`' page for it."""
    repo = image.rsplit(":", 1)[0]
    tags = set(json.loads(docker("image", "inspect", "-f", "{{json .RepoTags}}", image).stdout))
    python = container.python("import platform; print(platform.python_version())").strip()
    lab = container.python("import jupyterlab; print(jupyterlab.__version__)").strip()
    assert {f"{repo}:python-{python}", f"{repo}:lab-{lab}", f"{repo}:htmap-{version('HTMAP_VERSION')}"} <= tags
    assert any(tag.startswith(f"{repo}:hub-") for tag in tags) and any(
        tag.startswith(f"{repo}:notebook-") for tag in tags
    )
    sha = [tag for tag in tags if re.fullmatch(rf"{re.escape(repo)}:[0-9a-f]{{12}}", tag)]
    assert len(sha) == 1, tags
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools/image-info.py"), "manifest", image, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / f"{repo.rsplit('/', 1)[-1]}.md").read_text()
    assert f"- Python {python}" in page and f"| jupyterlab | {lab} |" in page
    assert f"| htmap | {version('HTMAP_VERSION')} |" in page and "| condor | " in page
    assert re.search(r"^- size: \d+ MB$", page, re.MULTILINE)

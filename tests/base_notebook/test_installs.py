"""Run-time installs as the notebook user, as on docker-stacks: pip, %pip and uv into the image's environment.

The packages are wheels made in the container (no network needed): a module, a console script.
"""

import json
import shlex

import pytest

from tests.containers import Container, Containers

MAKE_WHEEL = """
import base64, hashlib, sys, zipfile
name, version, value, out = sys.argv[1:]
dist = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VALUE = {value!r}\\ndef main():\\n    print(VALUE)\\n",
    f"{dist}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{dist}/WHEEL": "Wheel-Version: 1.0\\nGenerator: htc-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    f"{dist}/entry_points.txt": f"[console_scripts]\\n{name.replace('_', '-')} = {name}:main\\n",
}
record = [
    f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},{len(text)}"
    for path, text in files.items()
]
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as wheel:
    for path, text in files.items():
        wheel.writestr(path, text)
    wheel.writestr(f"{dist}/RECORD", "\\n".join([*record, f"{dist}/RECORD,,"]) + "\\n")
"""


def wheel(box: Container, name: str, version: str = "1.0", value: str = "") -> str:
    """Make a wheel of `name` in the container (as the notebook user); its path."""
    box.exec("mkdir", "-p", "/tmp/wheels")
    box.exec("python", "-c", MAKE_WHEEL, name, version, value or f"{name} {version}", "/tmp/wheels")
    return f"/tmp/wheels/{name}-{version}-py3-none-any.whl"


def test_environment_belongs_to_the_notebook_user(container: Container) -> None:
    """Every file of the venv, in every image of the family: the user's, group-writable."""
    done = container.exec("find", "/opt/venv", "(", "!", "-user", "jovyan", "-o", "!", "-group", "users", ")")
    assert done.stdout == "", "not the notebook user's:\n" + done.stdout[:2000]
    done = container.exec("find", "/opt/venv", "!", "-type", "l", "!", "-perm", "-g+w")
    assert done.stdout == "", "not group-writable:\n" + done.stdout[:2000]


STALE_PYC = """
import importlib.util, os, pathlib
for source in pathlib.Path("/opt/venv").rglob("*.py"):
    try:
        with open(importlib.util.cache_from_source(str(source)), "rb") as pyc:
            header = pyc.read(12)
    except FileNotFoundError:
        continue
    if header[4:8] == bytes(4) and int.from_bytes(header[8:12], "little") != int(source.stat().st_mtime):
        print(source)
"""


def test_compiled_files_match_their_sources(container: Container) -> None:
    """A stale .pyc would be rewritten by the first import, as whoever imports (see compile-python)."""
    assert container.python(STALE_PYC) == ""


def test_pip_install_reaches_jobs_at_once(container: Container) -> None:
    """`pip install` as the user: into the venv, its console script on PATH, and a map's jobs import it."""
    done = container.exec("pip", "install", "--no-index", wheel(container, "htc_probe_pip"), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert container.exec("htc-probe-pip").stdout.strip() == "htc_probe_pip 1.0"
    where = container.python("import htc_probe_pip; print(htc_probe_pip.__file__)")
    assert where.startswith("/opt/venv/")
    out = container.map_script(
        "import htmap\n"
        "def probe(x):\n"
        "    import htc_probe_pip\n"
        "    return f'{htc_probe_pip.VALUE} {x}'\n"
        "print(list(htmap.map(probe, [1, 2], tag='installs-pip')))\n"
        "htmap.load('installs-pip').remove()\n"
    )
    assert out[-1] == str(["htc_probe_pip 1.0 1", "htc_probe_pip 1.0 2"])


def test_percent_pip_in_a_notebook(container: Container) -> None:
    path = wheel(container, "htc_probe_nb")
    outputs = container.run_notebook([f"%pip install --no-index {path}", "import htc_probe_nb\nhtc_probe_nb.VALUE"])
    text = json.dumps(outputs)
    assert "Successfully installed htc_probe_nb-1.0" in text or "Successfully installed htc-probe-nb-1.0" in text
    assert outputs[1][0]["data"]["text/plain"] == "'htc_probe_nb 1.0'"


def test_uv_installs_into_the_venv(container: Container) -> None:
    done = container.exec("uv", "pip", "install", "--offline", wheel(container, "htc_probe_uv"), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert container.python("import htc_probe_uv; print(htc_probe_uv.__file__)").startswith("/opt/venv/")


def test_upgrade_of_a_package_the_image_has(containers: Containers) -> None:
    """`pip install -U` over a package built into the image (its files written at build time, as root)."""
    box = containers.start(wait="healthy")
    # A leaf package of Jupyter's: nothing in this test imports it.
    before = box.exec("pip", "show", "webcolors").stdout
    assert "Version:" in before
    done = box.exec("pip", "install", "-U", "--no-deps", "--no-index", wheel(box, "webcolors", "99.0"), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Version: 99.0" in box.exec("pip", "show", "webcolors").stdout


def test_login_shell_path(container: Container) -> None:
    """Jupyter's terminals are login shells: the environment's tools, then the user's own (`uv tool install`)."""
    for shell in (["bash", "-lc"], ["bash", "-c"]):
        path = container.exec(*shell, "echo $PATH").stdout.strip().split(":")
        assert path.index("/opt/venv/bin") < path.index("/home/jovyan/.local/bin"), (shell, path)
        found = container.exec(*shell, "command -v python pip htmap condor_q").stdout.split()
        assert found == ["/opt/venv/bin/python", "/opt/venv/bin/pip", "/opt/venv/bin/htmap", "/usr/bin/condor_q"]


@pytest.mark.parametrize(
    "options",
    [("--user", "5000:5000", "--group-add", "users"), ("--user", "12345:0")],
    ids=["group-add-users", "gid-0"],
)
def test_an_arbitrary_uid_gets_a_home_a_pool_and_installs(containers: Containers, options: tuple[str, ...]) -> None:
    """docker-stacks' `--user 5000 --group-add users`, and OpenShift's uid with gid 0."""
    script = (
        f"python -c {shlex.quote(MAKE_WHEEL)} webcolors 99.0 v99 /tmp"
        " && pip install -q -U --no-deps --no-index /tmp/webcolors-99.0-py3-none-any.whl"
        " && python -c 'import webcolors; print(webcolors.VALUE)' && touch ~/written && echo home"
        " && python -c 'import htmap; print(list(htmap.map(str, range(2))))'"
    )
    done = containers.run("sh", "-c", script, options=options)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if not line.startswith("Created map")]
    assert lines == ["v99", "home", "['0', '1']"], done.stdout + done.stderr
    assert "ERROR" not in done.stderr, done.stderr

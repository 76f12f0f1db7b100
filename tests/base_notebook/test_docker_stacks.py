"""jupyter/docker-stacks' start-up contract: its start scripts, hooks and variables, with the pool."""

import re
import shlex
from pathlib import Path

import pytest

from tests.base_notebook.test_installs import MAKE_WHEEL
from tests.containers import Container, Containers
from tests.site_pool import build_test_image

MAP = "import htmap; print(list(htmap.map(str, range(3))))"
# What MAP prints after HTMap's own "Created map ..." line.
MAPPED = "['0', '1', '2']"
START_SCRIPTS = ("start.sh", "start-notebook.py", "start-notebook.sh", "start-singleuser.py", "start-singleuser.sh")
# jupyter-nbclassic's command name, as the kernel cuts it (15 characters).
NBCLASSIC = "jupyter-nbclass"
HOOK_DIRS = "/usr/local/bin/start-notebook.d", "/usr/local/bin/before-notebook.d"


def test_start_sh_runs_a_command_beside_the_pool_and_the_scripts_exist(containers: Containers) -> None:
    done = containers.run(
        "start.sh",
        "bash",
        "-c",
        f"python -c {MAP!r}; echo started=$_START_SH_EXECUTED; start.sh echo nested; "
        f"for s in {' '.join(START_SCRIPTS)}; do [ -x /usr/local/bin/$s ] && echo has $s; done",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()[1:]
    assert lines[:3] == [MAPPED, "started=1", "nested"], done.stdout
    assert lines[3:] == [f"has {name}" for name in START_SCRIPTS]
    # The nested start.sh ran its command without a second start-up (no second pool).
    assert done.stderr.count("started the personal pool") == 1, done.stderr
    assert "Executing: echo nested (start-up already done in this container)" in done.stderr


@pytest.fixture
def hook_dirs(tmp_path: Path) -> tuple[str, ...]:
    """start-notebook.d and before-notebook.d, each with a sourced, an executed and a failing hook."""
    mounts: list[str] = []
    for folder in HOOK_DIRS:
        name = Path(folder).name
        local = tmp_path / name
        local.mkdir()
        (local / "10-env.sh").write_text(f'export FROM_{name[:5].upper()}="$(id -u) $SECRET"\n')
        (local / "20-run").write_text(f"#!/bin/sh\necho {name} ran as $(id -un) >&2\n")
        (local / "30-fails.sh").write_text("false\n")
        (local / "20-run").chmod(0o755)
        local.chmod(0o755)
        mounts += ["-v", f"{local}:{folder}:ro"]
    return tuple(mounts)


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
@pytest.mark.parametrize("root", [True, False])
def test_hooks_run_at_docker_stacks_moments(containers: Containers, hook_dirs: tuple[str, ...], root: bool) -> None:
    options = (*hook_dirs, "-e", "SECRET=s3", "-e", "JUPYTER_ENV_VARS_TO_UNSET=SECRET")
    if root:
        options += ("--user", "root", "-e", "NB_USER=alice")
    done = containers.run("bash", "-c", 'echo "$FROM_START|$FROM_BEFOR|${SECRET-unset}|$(id -un)"', options=options)
    assert done.returncode == 0, done.stderr
    # start-notebook.d runs as the starting user; before-notebook.d still as root on a root start,
    # after NB_USER exists; both see SECRET, which the command does not.
    uid = "0" if root else "1000"
    assert done.stdout.strip() == f"{uid} s3|{uid} s3|unset|{'alice' if root else 'jovyan'}", done.stderr
    user = "root" if root else "jovyan"
    assert f"start-notebook.d ran as {user}" in done.stderr and f"before-notebook.d ran as {user}" in done.stderr
    for folder in HOOK_DIRS:
        failed = [line for line in done.stderr.splitlines() if "ERROR" in line and folder in line]
        assert len(failed) == 1 and f"{folder}/30-fails.sh has failed, continuing execution" in failed[0], done.stderr


def test_a_root_start_honours_docker_stacks_variables(containers: Containers) -> None:
    env = {
        "NB_USER": "alice",
        "NB_UID": "1010",
        "NB_GID": "1020",
        "NB_GROUP": "science",
        "NB_UMASK": "002",
        "CHOWN_EXTRA": "/srv/a,/srv/b",
        "CHOWN_EXTRA_OPTS": "-R",
        "GRANT_SUDO": "yes",
    }
    options = ["--user", "root", "--tmpfs", "/srv/a", "--tmpfs", "/srv/b"]
    for key, value in env.items():
        options += ["-e", f"{key}={value}"]
    script = (
        'echo "$(id -un) $(id -gn) $(id -G)"; umask; stat -c %u:%g /srv/a /srv/b; '
        "sudo -n sh -c 'for c in jupyter pip python; do command -v $c; done'; "
        f"touch ~/made && stat -c %a ~/made; python -c {MAP!r}"
    )
    done = containers.run("start.sh", "bash", "-c", script, options=tuple(options))
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr and "WARNING" not in done.stderr, done.stderr
    who, umask, *rest = [line for line in done.stdout.splitlines() if not line.startswith("Created map")]
    # A changed NB_GID keeps group users (100), which owns the image's environment.
    assert who.split()[:2] == ["alice", "science"] and "100" in who.split()[2:], who
    assert umask == "0002"
    assert rest == [
        "1010:1020",
        "1010:1020",
        "/opt/venv/bin/jupyter",
        "/opt/venv/bin/pip",
        "/opt/venv/bin/python",
        "664",
        MAPPED,
    ], done.stdout


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_root_only_variables_without_a_root_start_are_one_warning(containers: Containers) -> None:
    options = ("-e", "NB_UID=1234", "-e", "GRANT_SUDO=yes", "-e", "CHOWN_HOME=yes")
    done = containers.run("id", "-u", options=options)
    assert done.stdout.strip() == "1000"
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, done.stderr
    assert "NB_UID, GRANT_SUDO, CHOWN_HOME need a root start" in warnings[0]


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_restartable_nbclassic_comes_back(containers: Containers) -> None:
    box = containers.start(env={"DOCKER_STACKS_JUPYTER_CMD": "nbclassic", "RESTARTABLE": "yes"}, wait="jupyter")
    assert box.http_status("/tree", token=box.token()) == 200
    first = box.pids(NBCLASSIC)
    assert first, box.processes()
    box.kill(NBCLASSIC)
    box.wait_for(lambda: box.pids(NBCLASSIC) not in ([], first), "a new jupyter-nbclassic")
    box.wait_for(lambda: box.http_status("/api") == 200, "Jupyter answering again")
    assert "starting it again (RESTARTABLE=yes)" in box.logs()


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_health_follows_jupyters_port_over_https_and_ignores_proxies_and_jupyter_has_ipv6(
    containers: Containers,
) -> None:
    env = {
        "GEN_CERT": "yes",
        "NOTEBOOK_ARGS": "--ServerApp.port=9999",
        # Nothing listens there: a health check through it would never pass.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    # Docker gives a container IPv6 only when asked.
    box = containers.start(env=env, options=("--sysctl", "net.ipv6.conf.all.disable_ipv6=0"), wait="healthy")
    for host in ("127.0.0.1", "[::1]"):
        code = (
            "import ssl, urllib.request as u; "
            "o = u.build_opener(u.ProxyHandler({}), u.HTTPSHandler(context=ssl._create_unverified_context())); "
            f"print(o.open('https://{host}:9999/api').status)"
        )
        assert box.python(code).strip() == "200", host
    assert "GEN_CERT: Jupyter serves https" in box.logs()


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_nb_user_root_runs_jupyter_as_root_in_home_root_and_says_why_no_pool(containers: Containers) -> None:
    """docker-stacks' rootless-engine setting: Jupyter as root with /home/root; HTCondor runs no job as root."""
    env = {"NB_USER": "root", "NB_UID": "0", "NB_GID": "0"}
    box = containers.start(env=env, options=("--user", "root"), wait="jupyter")
    box.wait_for(lambda: box.health() == "healthy", "healthy status")
    assert {user for user, name in box.processes() if name.startswith("jupyter")} == {"root"}
    assert not [name for _, name in box.processes() if name.startswith("condor_")]
    logs = box.logs()
    assert "NB_USER=root: running as root, home /home/root" in logs
    warnings = [line for line in logs.splitlines() if line.startswith(("WARNING[", "ERROR["))]
    assert len(warnings) == 1 and "HTCondor runs no job as root" in warnings[0], logs
    assert box.exec("test", "-f", "/home/root/.profile", user="root", check=False).returncode == 0


# A derived image as docker-stacks' recipes write one: root installs into ${CONDA_DIR} and runs
# fix-permissions; its own hook folder runs through run-hooks.sh from a before-notebook.d hook.
DERIVED_DOCKERFILE = """
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
COPY my-hooks.d/ /usr/local/bin/my-hooks.d/
COPY 50-my-hooks.sh /usr/local/bin/before-notebook.d/
COPY make-wheel.py /tmp/
RUN python /tmp/make-wheel.py htc_derived 1.0 built /tmp \\
    && "${CONDA_DIR}/bin/pip" install --no-cache-dir --no-index /tmp/htc_derived-1.0-py3-none-any.whl \\
    && fix-permissions "${CONDA_DIR}" \\
    && fix-permissions "/home/${NB_USER}"
USER ${NB_UID}
"""
MY_HOOKS = {
    "10-mine.sh": 'export FROM_MINE="mine as $(id -un)"\n_log_info "hello from a hook"\n',
    "20-run": "#!/bin/bash\nsource /usr/local/bin/_docker_stacks_log.sh\n_log_warn executable hook\n",
    "30-fails": "#!/bin/sh\nexit 3\n",
    "40-notes.txt": "not a hook\n",
}
# Lines of docker-stacks' format, coloured or not: (escape, level, message).
LOG_LINE = re.compile(
    r"^(\x1b\[[;0-9]*m)?(INFO|WARNING|ERROR|FATAL)\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (.*?)(?:\x1b\[0m)?$"
)


@pytest.fixture(scope="module")
def derived_image(own_image_only: None, image: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The derived image, tagged after the image under test (another org's runs cannot take it).

    With the base image only: run-hooks.sh, fix-permissions and CONDA_DIR are its layers, and each
    image's own folders are checked below (test_the_images_folders_are_group_users_and_setgid).
    """
    context = tmp_path_factory.mktemp("derived")
    (context / "Dockerfile").write_text(DERIVED_DOCKERFILE)
    (context / "make-wheel.py").write_text(MAKE_WHEEL)
    (context / "50-my-hooks.sh").write_text("source /usr/local/bin/run-hooks.sh /usr/local/bin/my-hooks.d\n")
    (context / "my-hooks.d").mkdir()
    for name, text in MY_HOOKS.items():
        (context / "my-hooks.d" / name).write_text(text)
        (context / "my-hooks.d" / name).chmod(0o644 if name.endswith((".sh", ".txt")) else 0o755)
    name = image.split(":")[0].replace("/", "-")
    return build_test_image(f"htc-test-{name}-derived:latest", context, "--build-arg", f"BASE_IMAGE={image}")


def log_lines(output: str) -> list[tuple[str, str, str]]:
    """(colour escape, level, message) of every line in docker-stacks' format."""
    found = (LOG_LINE.match(line.rstrip("\r")) for line in output.splitlines())
    return [(m[1] or "", m[2], m[3]) for m in found if m]


def test_a_derived_image_runs_its_hooks_with_run_hooks_sh_and_its_user_installs(derived_image: str) -> None:
    """On a terminal (-t): hooks' own log lines, coloured warnings; pip over what root installed at build."""
    script = (
        'echo "$FROM_MINE"; bash /usr/local/bin/run-hooks.sh /usr/local/bin/my-hooks.d 2>&1 | grep -c Sourcing; '
        "python /tmp/make-wheel.py htc_derived 2.0 upgraded /tmp"
        " && pip install -q -U --no-index /tmp/htc_derived-2.0-py3-none-any.whl"
        " && python -c 'import htc_derived; print(htc_derived.VALUE)'"
    )
    done = Containers(derived_image).run("bash", "-c", script, options=("-t", "-e", "NB_UID=1234"))
    assert done.returncode == 0, done.stdout
    out = [line.rstrip("\r") for line in done.stdout.splitlines()]
    # The exports of a hook the derived image's own folder holds reach the command.
    assert [line for line in out if not LOG_LINE.match(line)] == ["mine as jovyan", "1", "upgraded"], out
    lines = log_lines(done.stdout)
    folder = "/usr/local/bin/my-hooks.d"
    assert ("", "INFO", f"Sourcing shell script: {folder}/10-mine.sh") in lines
    assert ("", "INFO", "hello from a hook") in lines
    assert ("\x1b[0;33m", "WARNING", "executable hook") in lines
    assert ("\x1b[0;31m", "ERROR", f"{folder}/30-fails has failed, continuing execution (exit code 3)") in lines
    assert ("", "INFO", f"Ignoring non-executable: {folder}/40-notes.txt") in lines
    # Every line of ours on a terminal is in docker-stacks' format; a warning is yellow.
    assert [level for _, level, _ in lines if level != "INFO"].count("WARNING") == 2, out
    assert all(colour == "\x1b[0;33m" for colour, level, _ in lines if level == "WARNING"), out
    assert lines[0][2].startswith("Entered start.sh with args: bash -c"), lines


@pytest.mark.usefixtures("own_image_only")  # the entrypoint's logic: base's layers in every image
def test_no_color_and_quiet_mode(containers: Containers) -> None:
    """NO_COLOR on a terminal: no colour; JUPYTER_DOCKER_STACKS_QUIET: warnings only (ours and hooks')."""
    options = ("-t", "-e", "NO_COLOR=1", "-e", "JUPYTER_DOCKER_STACKS_QUIET=1", "-e", "NB_UID=1234")
    done = containers.run(
        "bash", "-c", "source /usr/local/bin/_docker_stacks_log.sh; _log_info hidden; echo ran", options=options
    )
    assert done.returncode == 0, done.stdout
    out = [line.rstrip("\r") for line in done.stdout.splitlines()]
    assert "\x1b[" not in done.stdout, out
    assert [level for _, level, _ in log_lines(done.stdout)] == ["WARNING"], out
    assert out[-1] == "ran", out


def test_two_users_of_group_users_share_the_environment(containers: Containers, own_image_only: None) -> None:
    """`--user 1010:1010 --group-add users` installs; the next such user upgrades it (docker-stacks' setgid)."""
    site = "$(python -c 'import sysconfig; print(sysconfig.get_path(\"purelib\"))')"
    script = (
        'as() { setpriv --reuid "$1" --regid "$1" --groups 100 -- env HOME=/tmp "${@:2}"; }; '
        f"python -c {shlex.quote(MAKE_WHEEL)} htc_shared 1.0 one /tmp"
        f" && python -c {shlex.quote(MAKE_WHEEL)} htc_shared 2.0 two /tmp"
        " && as 1010 pip install -q --no-cache-dir --no-index /tmp/htc_shared-1.0-py3-none-any.whl"
        f" && stat -c '%u %G %A' {site}/htc_shared"
        " && as 1020 pip install -q -U --no-cache-dir --no-index /tmp/htc_shared-2.0-py3-none-any.whl"
        " && as 1020 python -c 'import htc_shared; print(htc_shared.VALUE)'"
    )
    # The environment on a volume (a copy of the image's): fuse-overlayfs, the engine CI's tests share,
    # gives a new folder neither its parent's group (setgid) nor its default ACL.
    done = containers.run("-c", script, options=("--user", "root", "--entrypoint", "bash", "-v", "/opt/venv"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["1010 users drwxrwsr-x", "two"], done.stdout + done.stderr


def test_procps_conda_dir_fix_permissions_and_a_home_with_jupyter(container: Container) -> None:
    """docker-stacks' base: ps, CONDA_DIR, fix-permissions, run-hooks.sh; ~/.jupyter."""
    script = "ps -o comm= -p 1; echo $CONDA_DIR; command -v fix-permissions run-hooks.sh; touch ~/.jupyter/mine"
    done = container.exec("bash", "-c", script)
    assert done.stdout.splitlines() == [
        "tini",
        "/opt/venv",
        "/usr/local/bin/fix-permissions",
        "/usr/local/bin/run-hooks.sh",
    ]


def test_the_images_folders_are_group_users_and_setgid(containers: Containers) -> None:
    """As docker-stacks' (fix-permissions): group users, group-writable, setgid; group 0 by an ACL."""
    folders = ("/home/jovyan", "/home/jovyan/work", "/home/jovyan/.jupyter", "/opt/venv/lib")
    done = containers.run("-c", "%U %G %A %n", *folders, options=("--entrypoint", "stat"))
    assert done.stdout.split("\n")[:-1] == [
        f"jovyan users drwxrws{'---' if f == folders[0] else 'r-x'} {f}" for f in folders
    ]
    done = containers.run(
        "-c", "getfacl -cp $0 $1 | grep -c -x group:root:rwx", *folders[:2], options=("--entrypoint", "bash")
    )
    assert done.stdout.strip() == "2", done.stdout + done.stderr

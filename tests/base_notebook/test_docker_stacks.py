"""jupyter/docker-stacks' start-up contract: its start scripts, hooks and variables, with the pool."""

from pathlib import Path

import pytest

from tests.containers import Containers

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
    assert "start-up already done in this container: running echo nested" in done.stderr


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
        assert len(failed) == 1 and f"{folder}/30-fails.sh failed" in failed[0], done.stderr


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


def test_root_only_variables_without_a_root_start_are_one_warning(containers: Containers) -> None:
    options = ("-e", "NB_UID=1234", "-e", "GRANT_SUDO=yes", "-e", "CHOWN_HOME=yes")
    done = containers.run("id", "-u", options=options)
    assert done.stdout.strip() == "1000"
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, done.stderr
    assert "NB_UID, GRANT_SUDO, CHOWN_HOME need a root start" in warnings[0]


def test_restartable_nbclassic_comes_back(containers: Containers) -> None:
    box = containers.start(env={"DOCKER_STACKS_JUPYTER_CMD": "nbclassic", "RESTARTABLE": "yes"}, wait="jupyter")
    assert box.http_status("/tree", token=box.token()) == 200
    first = box.pids(NBCLASSIC)
    assert first, box.processes()
    box.kill(NBCLASSIC)
    box.wait_for(lambda: box.pids(NBCLASSIC) not in ([], first), "a new jupyter-nbclassic")
    box.wait_for(lambda: box.http_status("/api") == 200, "Jupyter answering again")
    assert "starting it again (RESTARTABLE=yes)" in box.logs()


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


def test_nb_user_root_runs_jupyter_as_root_in_home_root_and_says_why_no_pool(containers: Containers) -> None:
    """docker-stacks' rootless-engine setting: Jupyter as root with /home/root; HTCondor runs no job as root."""
    env = {"NB_USER": "root", "NB_UID": "0", "NB_GID": "0"}
    box = containers.start(env=env, options=("--user", "root"), wait="jupyter")
    box.wait_for(lambda: box.health() == "healthy", "healthy status")
    assert {user for user, name in box.processes() if name.startswith("jupyter")} == {"root"}
    assert not [name for _, name in box.processes() if name.startswith("condor_")]
    logs = box.logs()
    assert "NB_USER=root: running as root, home /home/root" in logs
    ours = [line for line in logs.splitlines() if line.startswith("[htc-notebook]")]
    warnings = [line for line in ours if "WARNING" in line or "ERROR" in line]
    assert len(warnings) == 1 and "HTCondor runs no job as root" in warnings[0], logs
    assert box.exec("test", "-f", "/home/root/.profile", user="root", check=False).returncode == 0

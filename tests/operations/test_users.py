"""Odd users: an arbitrary uid, root handing over to NB_USER, sudo only when granted, a home that cannot be written."""

import os
from pathlib import Path

import pytest

from tests.containers import Containers

WHO = "id -un; id -u; getent passwd $(id -u) | cut -d: -f6"
MAP = "import htmap; print(list(htmap.map(str, range(3))))"


def test_an_arbitrary_uid_with_group_0_gets_a_name_a_pool_and_the_map_works(containers: Containers) -> None:
    user = "12345:0"
    # The command runs with the environment the entrypoint gives Jupyter and its kernels.
    done = containers.run("sh", "-c", f"{WHO}; python -c {MAP!r}", options=("--user", user))
    assert done.stdout.split()[:3] == ["jovyan", "12345", "/home/jovyan"], done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['0', '1', '2']", done.stdout + done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    box = containers.start(options=("--user", user), wait="healthy")
    assert {uid for uid, name in box.processes(numeric=True) if name.startswith("condor_")} == {"12345"}
    assert box.http_status("/api/contents") == 403


@pytest.mark.parametrize("grant", ["yes", None])
def test_root_start_hands_over_to_nb_user_and_sudo_only_when_granted(containers: Containers, grant: str | None) -> None:
    env = {"NB_USER": "alice", "NB_UID": "1010", "NB_GID": "1020"}
    if grant:
        env["GRANT_SUDO"] = grant
    box = containers.start(env=env, options=("--user", "root"), wait="healthy")
    owners = {user for user, name in box.processes() if name.startswith(("condor_", "jupyter", "python"))}
    assert owners == {"alice"}, box.processes()
    ids = box.exec("sh", "-c", "id -u alice; id -g alice; echo ~alice", user="alice").stdout.split()
    assert ids == ["1010", "1020", "/home/alice"]
    sudo = box.exec("sudo", "-n", "id", "-u", user="alice", check=False)
    assert (sudo.returncode == 0 and sudo.stdout.strip() == "0") == bool(grant), sudo.stderr
    home = {"HOME": "/home/alice"}
    done = box.exec("python", "-c", MAP, user="alice", env=home, check=False)
    assert done.stdout.strip().splitlines()[-1] == "['0', '1', '2']", done.stderr


@pytest.mark.parametrize("kind", ["not-writable", "read-only"])
def test_a_home_that_cannot_be_written_is_one_line_and_jupyter_serves(
    containers: Containers, tmp_path: Path, kind: str
) -> None:
    if kind == "read-only":
        tmp_path.chmod(0o755)
        os.chown(tmp_path, 1000, 100)
        mount = ("-v", f"{tmp_path}:/home/jovyan:ro")
    else:  # root's, not the user's
        mount = ("--mount", "type=tmpfs,destination=/home/jovyan,tmpfs-mode=0755")
    box = containers.start(options=mount, wait="jupyter")
    errors = [line for line in box.logs().splitlines() if "ERROR" in line]
    assert len(errors) == 1, box.logs()
    assert "home directory /home/jovyan is not writable" in errors[0] and "mount a writable volume" in errors[0]
    assert box.http_status("/api/contents") == 403

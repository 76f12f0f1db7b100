"""The personal pool's warm starter, on the host: the real server, and a job's side in Python.

The job's side in the image is base-notebook/warm-start.c (tested with real jobs in
tests/base_notebook/test_warm_start.py); here a few lines of Python speak its protocol.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from htc_entrypoint import warm_start

ENTRYPOINT = Path(__file__).parents[2] / "entrypoint"


def until(what: str, check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.01)


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warm starter of its own pool directory; its socket's path."""
    pool = tmp_path_factory.mktemp("pool")
    (pool / "run").mkdir()
    env = {**os.environ, "HTC_POOL_DIR": str(pool), "PYTHONPATH": str(ENTRYPOINT)}
    server = subprocess.Popen([sys.executable, "-m", "htc_entrypoint.warm_start"], env=env)
    path = warm_start.socket_path(env)
    until("the starter listens", path.is_socket)
    yield path
    server.terminate()
    assert server.wait(timeout=10) == 0
    assert not path.exists()


class Job:
    """A job's side: sends its request with three files as its streams, reads the wait status."""

    def __init__(self, path: Path, folder: Path, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.out, self.err = folder / "out", folder / "err"
        fields = [str(folder), "22", str(len(argv)), *argv]
        fields += [f"{k}={v}" for k, v in (env or {"PATH": "/usr/bin:/bin"}).items()]
        payload = b"".join(field.encode() + b"\0" for field in fields)
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.connect(str(path))
        with open(os.devnull) as stdin, self.out.open("w") as out, self.err.open("w") as err:
            request = warm_start.HEADER.pack(len(payload)) + payload
            socket.send_fds(self.conn, [request], [stdin.fileno(), out.fileno(), err.fileno()])

    def status(self) -> int:
        data = b""
        while len(data) < warm_start.STATUS.size:
            more = self.conn.recv(4)
            assert more, "the starter closed the connection without a status"
            data += more
        return warm_start.STATUS.unpack(data)[0]


def script(folder: Path, text: str) -> str:
    (folder / "job.py").write_text(text)
    return "job.py"


def test_a_job_runs_in_its_folder_with_its_arguments_environment_and_streams(starter: Path, tmp_path: Path) -> None:
    name = script(
        tmp_path,
        "import os, sys\n"
        "print(os.getcwd(), sys.argv, os.environ['JOB'], sys.path[0] == os.getcwd(), os.getppid() != 1)\n"
        "print('to stderr', file=sys.stderr)\n"
        "open('made', 'w').close()\n"
        "sys.exit(3)\n",
    )
    job = Job(starter, tmp_path, [sys.executable, name, "7"], {"JOB": "mine"})
    status = job.status()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3
    assert job.out.read_text() == f"{tmp_path} ['job.py', '7'] mine True True\n"
    assert job.err.read_text() == "to stderr\n"
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o644  # the job's umask, 022


def test_an_uncaught_exception_reads_as_pythons_own(starter: Path, tmp_path: Path) -> None:
    job = Job(starter, tmp_path, [sys.executable, script(tmp_path, "raise ValueError('no')\n")])
    status = job.status()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1
    assert job.err.read_text().splitlines()[-1] == "ValueError: no"


def test_every_job_draws_its_own_random_numbers(starter: Path, tmp_path: Path) -> None:
    name = script(tmp_path, "import random\nprint(random.random())\n")
    draws = []
    for _ in range(2):
        job = Job(starter, tmp_path, [sys.executable, name])
        assert job.status() == 0
        draws.append(job.out.read_text())
    assert draws[0] != draws[1]


def test_a_signal_the_job_gets_reaches_its_fork(starter: Path, tmp_path: Path) -> None:
    name = script(tmp_path, "import os, time\nopen('pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\n")
    job = Job(starter, tmp_path, [sys.executable, name])
    until("the job runs", (tmp_path / "pid").exists)
    job.conn.sendall(warm_start.STATUS.pack(signal.SIGTERM))
    status = job.status()
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


def test_a_job_killed_outright_takes_its_fork_and_the_forks_children_along(starter: Path, tmp_path: Path) -> None:
    name = script(
        tmp_path,
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "open('pids.tmp', 'w').write(f'{os.getpid()} {child.pid}')\n"
        "os.rename('pids.tmp', 'pids')\n"
        "time.sleep(60)\n",
    )
    job = Job(starter, tmp_path, [sys.executable, name])
    until("the job and its child run", (tmp_path / "pids").exists)
    pids = [int(pid) for pid in (tmp_path / "pids").read_text().split()]
    job.conn.close()  # as when HTCondor kills the job's process
    for pid in pids:
        until(f"process {pid} is gone", lambda pid=pid: not Path(f"/proc/{pid}").exists() or zombie(pid))


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_anything_but_a_script_of_the_starters_python_runs_cold(starter: Path, tmp_path: Path) -> None:
    for argv in (["/bin/true"], [sys.executable, "-c", "pass"], [sys.executable]):
        assert Job(starter, tmp_path, argv).status() == warm_start.COLD


def test_jobs_start_warm_in_the_personal_pool_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(warm_start, "CLIENT", sys.executable)  # any program that can run
    personal = {"HTC_POOL_DIR": str(tmp_path)}
    assert warm_start.job_command(personal) == [sys.executable, str(tmp_path / "run" / "warm-start.sock")]
    assert warm_start.job_command({**personal, "_CONDOR_SCHEDD_HOST": "submit.example.org"}) == []
    assert warm_start.job_command({**personal, "_CONDOR_COLLECTOR_HOST": "cm.example.org"}) == []
    assert warm_start.job_command({"HTC_POOL_DIR": "/home/my pool"}) == []  # one argument of HTCondor's each
    monkeypatch.setattr(warm_start, "CLIENT", str(tmp_path / "absent"))
    assert warm_start.job_command(personal) == []

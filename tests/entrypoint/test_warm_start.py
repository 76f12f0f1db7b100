"""The personal pool's warm starter, on the host: the real server, and a job's side.

The job's side is base-notebook/warm-start.c (built here with the host's C compiler, and tested
with real jobs in tests/base_notebook/test_warm_start.py); a few lines of Python speak the same
protocol where a test needs to stand between the two.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from htc_entrypoint import pool, warm_start

ROOT = Path(__file__).parents[2]
ENTRYPOINT = ROOT / "entrypoint"
# What a job of the pool has: no locale, HTCondor's count of its CPUs for Python.
JOB_ENV = {"PATH": "/usr/bin:/bin", "_CONDOR_JOB_AD": ".job.ad", "PYTHON_CPU_COUNT": "1"}
# A script that prints what a Python started for it would show: `python probe.py a b`.
PROBE = """\
import os, signal, sys
print(sys.argv, sys.orig_argv[1:], __file__, __name__, sys.path[0])
print(sorted(os.environ.items()))
print(os.getcwd(), oct(os.umask(0)))
print(sys.stdin.encoding, sys.stdin.errors, sys.stdout.encoding, sys.stdout.errors, sys.stderr.errors)
print(sys.stdout.line_buffering, sys.stderr.line_buffering, sys.flags)
print([signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD)])
print(sorted(m for m in sys.modules if m.startswith("htc_")), os.cpu_count(), getattr(os, "process_cpu_count", list)())
"""
# A job's script that waits until the test lets it end.
UNTIL_GO = "import os, time\nwhile not os.path.exists('go'):\n    time.sleep(0.01)\n"
PACKAGES = "import sysconfig; print(sysconfig.get_path('purelib'))"


def until(what: str, check: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.01)


def start(pool_dir: Path, python: str = sys.executable) -> tuple[subprocess.Popen[bytes], Path]:
    """A warm starter of its own pool directory, as the master starts it (no standard streams)."""
    (pool_dir / "run").mkdir(parents=True)
    # As the master's, in the image: no locale set (HTCondor passes jobs none either).
    env = {"PATH": os.environ["PATH"], "HTC_POOL_DIR": str(pool_dir), "STARTERS_OWN": "1", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [python, "-m", "htc_entrypoint.warm_start"],
        cwd=ENTRYPOINT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = warm_start.socket_path(env)
    until("the starter listens", path.is_socket)
    return server, path


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module's warm starter; its socket's path. Stopped as the master stops it, it tidies up."""
    server, path = start(tmp_path_factory.mktemp("pool"))
    yield path
    assert server.poll() is None, "the starter ended during the tests"
    server.send_signal(signal.SIGQUIT)
    assert server.wait(timeout=10) == 0
    assert not path.exists()


@dataclass
class OwnStarter:
    server: subprocess.Popen[bytes]
    path: Path  # its socket
    python: str  # its Python, for the jobs to start warm
    packages: str  # that Python's site-packages


@pytest.fixture
def own_starter(tmp_path: Path) -> Iterator[OwnStarter]:
    """A starter of the test's own, in an environment of its own (an install there touches no other test's)."""
    environment = tmp_path / "venv"
    venv.create(environment, symlinks=True)
    python = str(environment / "bin" / "python")
    packages = subprocess.run([python, "-c", PACKAGES], capture_output=True, text=True, check=True).stdout.strip()
    server, path = start(tmp_path / "pool", python)
    yield OwnStarter(server, path, python, packages)
    server.kill()
    server.wait()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base-notebook/warm-start.c, built as the image builds it."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler on this host: the image tests run the job's side")
    built = tmp_path_factory.mktemp("client") / "htc-warm-start"
    subprocess.run([compiler, "-O2", "-Wall", "-Werror", "-o", built, ROOT / "base-notebook/warm-start.c"], check=True)
    return built


class Job:
    """A job's side in Python: sends its request with three files as its streams, reads the replies."""

    def __init__(
        self, path: Path, folder: Path, argv: list[str], env: dict[str, str] | None = None, umask: str = "22"
    ) -> None:
        self.out, self.err = folder / "out", folder / "err"
        fields = [str(folder), umask, str(len(argv)), *argv, *[f"{k}={v}" for k, v in (env or JOB_ENV).items()]]
        payload = b"".join(field.encode() + b"\0" for field in fields)
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.settimeout(30)
        self.conn.connect(str(path))
        with open(os.devnull) as stdin, self.out.open("w") as out, self.err.open("w") as err:
            request = warm_start.HEADER.pack(len(payload)) + payload
            socket.send_fds(self.conn, [request], [stdin.fileno(), out.fileno(), err.fileno()])

    def reply(self) -> int:
        data = b""
        while len(data) < warm_start.INT32.size:
            more = self.conn.recv(4)
            assert more, "the starter closed the connection without a reply"
            data += more
        return warm_start.INT32.unpack(data)[0]

    def status(self) -> int:
        """The wait status (after the fork's pid), or COLD."""
        first = self.reply()
        return first if first == warm_start.COLD else self.reply()


def script(folder: Path, text: str, name: str = "job.py") -> str:
    (folder / name).write_text(text)
    return name


def probe(client: Path, starter: Path, folder: Path, python: str = sys.executable) -> tuple[str, str]:
    """What PROBE prints run warm, and run cold."""
    name = script(folder, PROBE, "probe.py")
    run = {"cwd": folder, "env": JOB_ENV, "capture_output": True, "text": True, "check": True}
    warm = subprocess.run([client, starter, python, name, "a", "b"], **run, stdin=subprocess.DEVNULL)
    cold = subprocess.run([python, name, "a", "b"], **run, stdin=subprocess.DEVNULL)
    assert warm.stderr == cold.stderr == ""
    return warm.stdout, cold.stdout


def test_a_job_sees_what_a_new_python_would_show_it(starter: Path, client: Path, tmp_path: Path) -> None:
    warm, cold = probe(client, starter, tmp_path)
    assert warm == cold


def test_exit_statuses_and_errors_are_pythons_own(starter: Path, client: Path, tmp_path: Path) -> None:
    cases = {
        "import sys; sys.exit(3)": (3, ""),
        "import sys; sys.exit('why')": (1, "why\n"),
        "raise ValueError('no')": (1, "ValueError: no\n"),
        "import os, signal; os.kill(os.getpid(), signal.SIGTERM)": (-signal.SIGTERM, ""),
        "raise KeyboardInterrupt": (-signal.SIGINT, "KeyboardInterrupt\n"),
    }
    for code, (status, stderr_end) in cases.items():
        name = script(tmp_path, code + "\n")
        for argv in ([sys.executable, name], [client, starter, sys.executable, name]):
            done = subprocess.run(argv, cwd=tmp_path, env=JOB_ENV, capture_output=True, text=True)
            assert (done.returncode, done.stderr.endswith(stderr_end)) == (status, True), (code, argv, done.stderr)
            assert "warm_start" not in done.stderr, done.stderr  # no frame of ours in a traceback


def test_a_job_ends_as_python_ends(starter: Path, client: Path, tmp_path: Path) -> None:
    name = script(
        tmp_path,
        "import atexit, threading, time\n"
        "atexit.register(lambda: open('atexit', 'w').close())\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), open('thread', 'w').close())).start()\n"
        "left_open = open('unclosed', 'w')\n"
        "left_open.write('flushed')\n",
    )
    subprocess.run([client, starter, sys.executable, name], cwd=tmp_path, env=JOB_ENV, check=True)
    assert (tmp_path / "atexit").exists() and (tmp_path / "thread").exists()
    assert (tmp_path / "unclosed").read_text() == "flushed"


def test_the_jobs_umask_applies(starter: Path, tmp_path: Path) -> None:
    name = script(tmp_path, "open('made', 'w').close()\n")
    assert Job(starter, tmp_path, [sys.executable, name], umask="77").status() == 0
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o600


def test_a_signal_the_job_gets_reaches_its_fork(starter: Path, client: Path, tmp_path: Path) -> None:
    name = script(
        tmp_path,
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: (open('term', 'w').close(), sys.exit(143)))\n"
        "open('pid', 'w').write(str(os.getpid()))\n"
        "time.sleep(60)\n",
    )
    job = subprocess.Popen([client, starter, sys.executable, name], cwd=tmp_path, env=JOB_ENV)
    until("the job runs", lambda: (tmp_path / "pid").exists())
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=10) == 143
    assert (tmp_path / "term").exists()


def test_a_job_killed_outright_takes_its_fork_and_the_forks_children_along(
    starter: Path, client: Path, tmp_path: Path
) -> None:
    name = script(
        tmp_path,
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "open('pids.tmp', 'w').write(f'{os.getpid()} {child.pid}')\n"
        "os.rename('pids.tmp', 'pids')\n"
        "time.sleep(60)\n",
    )
    job = subprocess.Popen([client, starter, sys.executable, name], cwd=tmp_path, env=JOB_ENV)
    until("the job and its child run", (tmp_path / "pids").exists)
    job.kill()  # as HTCondor's SIGKILL
    job.wait()
    for pid in map(int, (tmp_path / "pids").read_text().split()):
        until(f"process {pid} is gone", lambda pid=pid: not pool.alive(pid))


def test_what_a_job_leaves_running_ends_with_it(starter: Path, client: Path, tmp_path: Path) -> None:
    name = script(tmp_path, "import subprocess\nprint(subprocess.Popen(['sleep', '60']).pid)\n")
    done = subprocess.run([client, starter, sys.executable, name], cwd=tmp_path, env=JOB_ENV, capture_output=True)
    left = int(done.stdout)
    until(f"the job's child {left} is gone", lambda: not pool.alive(left))


def test_anything_but_a_script_of_the_starters_python_runs_cold(starter: Path, client: Path, tmp_path: Path) -> None:
    for argv in (["/bin/true"], [sys.executable, "-c", "pass"], [sys.executable]):
        assert Job(starter, tmp_path, argv).status() == warm_start.COLD
    name = script(tmp_path, "import sys\nprint(sys.flags.dont_write_bytecode)\n")
    # Python settings of the job's own: read as a Python starts, so it runs cold, and they apply.
    assert Job(starter, tmp_path, [sys.executable, name], {"PYTHONDONTWRITEBYTECODE": "1"}).status() == warm_start.COLD
    env = {**JOB_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([client, starter, sys.executable, name], cwd=tmp_path, env=env, capture_output=True)
    assert done.stdout == b"1\n"


def test_a_jobs_pythonpath_comes_after_its_scripts_folder(starter: Path, tmp_path: Path) -> None:
    name = script(tmp_path, "import sys\nprint(sys.path[1:3])\n")
    job = Job(starter, tmp_path, [sys.executable, name], {**JOB_ENV, "PYTHONPATH": "/a:/b"})
    assert job.status() == 0
    assert job.out.read_text() == "['/a', '/b']\n"


def test_bad_requests_and_jobs_that_leave_early_leave_the_starter_serving(starter: Path, tmp_path: Path) -> None:
    for payload in (b"", b"\0\0\0\0", warm_start.HEADER.pack(3) + b"x\0\0", warm_start.HEADER.pack(100) + b"short"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(starter))
            conn.sendall(payload)
    name = script(tmp_path, "import time\ntime.sleep(0.2)\n")
    Job(starter, tmp_path, [sys.executable, name]).conn.close()  # gone before its fork's pid came
    job = Job(starter, tmp_path, [sys.executable, name])
    job.reply()
    job.conn.sendall(warm_start.INT32.pack(9999))  # no signal's number
    assert os.WEXITSTATUS(job.reply()) == 0
    assert Job(starter, tmp_path, [sys.executable, script(tmp_path, "pass\n")]).status() == 0


def listening_since(path: Path) -> int | None:
    """When the starter's socket was made: each time it starts again (None between the two)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def test_after_an_install_the_starter_starts_again_with_the_new_packages(
    own_starter: OwnStarter, client: Path, tmp_path: Path
) -> None:
    name = script(tmp_path, "import os\nprint(os.getppid())\n")

    def parent() -> int:
        """The pid of the process that ran a job's script: the starter's, or the job's own."""
        argv = [client, own_starter.path, own_starter.python, name]
        return int(subprocess.run(argv, cwd=tmp_path, env=JOB_ENV, capture_output=True, check=True).stdout)

    packages = own_starter.packages
    # An install while a fork runs: jobs start cold until that fork ends, then the starter starts again.
    busy = Job(own_starter.path, tmp_path, [own_starter.python, script(tmp_path, UNTIL_GO, "busy.py")])
    busy.reply()
    first = listening_since(own_starter.path)
    os.utime(packages)  # as an install does, adding or removing folders there
    assert parent() == os.getpid()  # run by the job's program itself: the test's child
    (tmp_path / "go").touch()
    assert os.WEXITSTATUS(busy.reply()) == 0
    until("the starter starts again", lambda: listening_since(own_starter.path) not in (None, first))
    assert parent() == own_starter.server.pid
    # An install while it is idle: it starts again on its own, before the next job comes.
    second = listening_since(own_starter.path)
    os.utime(packages)
    until("the idle starter starts again", lambda: listening_since(own_starter.path) not in (None, second))
    assert parent() == own_starter.server.pid
    warm, cold = probe(client, own_starter.path, tmp_path, own_starter.python)  # started as the first time
    assert warm == cold


def test_a_starter_that_dies_takes_its_forks_along(own_starter: OwnStarter, client: Path, tmp_path: Path) -> None:
    name = script(tmp_path, "import os\nopen(f'pid-{os.getpid()}', 'w').close()\n" + UNTIL_GO + "print('done')\n")
    argv = [client, own_starter.path, own_starter.python, name]
    job = subprocess.Popen(argv, cwd=tmp_path, env=JOB_ENV, stdout=subprocess.PIPE)
    until("the job runs", lambda: list(tmp_path.glob("pid-*")))
    fork = int(next(tmp_path.glob("pid-*")).name.split("-")[1])
    own_starter.server.kill()
    until(f"the fork {fork} is gone", lambda: not pool.alive(fork))
    (tmp_path / "go").touch()
    out, _ = job.communicate(timeout=30)
    assert (job.returncode, out) == (0, b"done\n")  # run again by the job's program, cold
    assert len(list(tmp_path.glob("pid-*"))) == 2


def test_jobs_start_warm_in_the_personal_pool_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(warm_start, "CLIENT", sys.executable)  # any program that can run
    personal = {"HTC_POOL_DIR": str(tmp_path)}
    assert warm_start.job_command(personal) == [sys.executable, str(tmp_path / "run" / "warm-start.sock")]
    assert warm_start.job_command({**personal, "_CONDOR_SCHEDD_HOST": "submit.example.org"}) == []
    assert warm_start.job_command({**personal, "_CONDOR_COLLECTOR_HOST": "cm.example.org"}) == []
    assert warm_start.job_command({"HTC_POOL_DIR": "/home/my pool"}) == []  # one argument of HTCondor's each
    monkeypatch.setattr(warm_start, "CLIENT", str(tmp_path / "absent"))
    assert warm_start.job_command(personal) == []

"""The personal pool's warm starter: map components start as forks of a ready interpreter.

A component of an unchunked map held its slot about 0.3 s, half of it a new interpreter and its
imports (cloudpickle alone 50 ms). condor_master runs this module beside the pool's daemons
(personal-pool.conf); HTMap's jobs in the personal pool run `htc-warm-start SOCKET PYTHON
SCRIPT ARGS` (base-notebook/warm-start.c), which sends its folder, umask, arguments, environment
and standard streams here; a fork of this process runs the script in them, as `python SCRIPT
ARGS` would, and its wait status goes back.

Each job stays HTCondor's: the job's process waits for its fork, signals it gets (hold, remove)
are passed to the fork's process group, and when the job's process goes (killed), so does the
fork's group. Anything else (another Python, options before the script) is answered "run it
cold" and runs as before, as does every job when this process is not there.
"""

import ctypes
import os
import random
import runpy
import selectors
import signal
import socket
import struct
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import log, mode, pool

# Imported once here rather than in every component: what HTMap's run scripts import
# (run/_htmap_run.py, and _htmap_run_chunk.py for a chunk).
WARM_IMPORTS = "cloudpickle datetime getpass gzip io pathlib shutil socket subprocess tarfile textwrap zipfile"
# The job's side (base-notebook/warm-start.c).
CLIENT = "/usr/local/libexec/htc-warm-start"
# The reply that tells a job to run its command itself.
COLD = -1
HEADER = struct.Struct("=I")
STATUS = struct.Struct("=i")
MAX_REQUEST = 1 << 20
# A job's program sends its request at once; another process must not hold up the others.
REQUEST_TIMEOUT = 5.0
PR_SET_PDEATHSIG = 1


def socket_path(env: Mapping[str, str]) -> Path:
    """Where the pool's warm starter listens (in the pool's state, which only its user can enter)."""
    return pool.state_dir(env) / "run" / "warm-start.sock"


def job_command(env: Mapping[str, str]) -> list[str]:
    """What a job's Python is prefixed with to start warm: in the personal pool only.

    The job asks when it starts (a map made before the starter listens still starts warm, and
    one made when it has gone starts cold).
    """
    path = str(socket_path(env))
    if not mode.decide(env).personal or not os.access(CLIENT, os.X_OK) or any(c.isspace() for c in path):
        return []
    return [CLIENT, path]


class Request:
    """A job's wish: its folder, umask, arguments and environment, and its standard streams."""

    def __init__(self, data: bytes, fds: list[int]) -> None:
        fields = [field.decode("utf-8", "surrogateescape") for field in data.split(b"\0")[:-1]]
        self.folder, umask, count = fields[0], int(fields[1], 8), int(fields[2])
        self.umask = umask
        self.argv = fields[3 : 3 + count]
        self.env = dict(entry.partition("=")[::2] for entry in fields[3 + count :])
        self.fds = fds

    def runs_warm(self) -> bool:
        """`python SCRIPT ARGS` with this very Python; anything else runs cold."""
        if len(self.argv) < 2 or self.argv[1].startswith("-"):
            return False
        try:
            return os.path.samefile(self.argv[0], sys.executable)
        except OSError:
            return False


def read_request(conn: socket.socket) -> Request | None:
    """One request from a new connection, or None if it is not one (in time)."""
    data, fds = b"", []
    conn.settimeout(REQUEST_TIMEOUT)
    try:
        while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack_from(data)[0]:
            chunk, more, _flags, _addr = socket.recv_fds(conn, 65536, 3)
            fds.extend(more)
            if not chunk or len(data) + len(chunk) > MAX_REQUEST:
                break
            data += chunk
    except OSError:
        pass
    conn.settimeout(None)
    if len(data) < HEADER.size or len(data) != HEADER.size + HEADER.unpack_from(data)[0] or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return None
    return Request(data[HEADER.size :], fds)


def run_in_fork(request: Request, parent: int) -> None:
    """In the fork: become the job's `python SCRIPT ARGS` and run it; never returns."""
    status = 1
    try:
        # If this starter goes, so does the fork: its job then runs cold, and never twice at once.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        os.setpgid(0, 0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(request.fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request.folder)
        os.umask(request.umask)
        os.environ.clear()
        os.environ.update(request.env)
        # A fork shares its parent's random state: every component would draw the same numbers.
        random.seed()
        script = request.argv[1]
        sys.argv = request.argv[1:]
        sys.path[0] = str(Path(script).resolve().parent)
        runpy.run_path(script, run_name="__main__")
        status = 0
    except SystemExit as stop:
        code = stop.code
        if code is None:
            status = 0
        elif isinstance(code, int):
            status = code & 0xFF
        else:
            print(code, file=sys.stderr)
            status = 1
    except BaseException:  # reported as Python would, with the status it gives
        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: S110 - the stream may be gone; exit regardless
                pass
        os._exit(status)


@dataclass
class Job:
    """A job being run: its fork, the job's connection, and the fork's pidfd (readable when it ends)."""

    pid: int
    conn: socket.socket
    pidfd: int
    listening: bool = True


class Starter:
    """The loop: new jobs on the listening socket, then each job's connection and its fork's end."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, self.accept)

    def accept(self, _key: selectors.SelectorKey) -> None:
        """A job's program connected: fork its Python, or tell it to run cold."""
        conn, _ = self.listener.accept()
        request = read_request(conn)
        if request is None:
            conn.close()
            return
        if not request.runs_warm():
            for fd in request.fds:
                os.close(fd)
            conn.sendall(STATUS.pack(COLD))
            conn.close()
            return
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no process to spare: the job runs it itself
            for fd in request.fds:
                os.close(fd)
            conn.sendall(STATUS.pack(COLD))
            conn.close()
            return
        if pid == 0:
            self.listener.close()
            conn.close()
            self.selector.close()
            run_in_fork(request, parent)
        for fd in request.fds:
            os.close(fd)
        job = Job(pid, conn, os.pidfd_open(pid))
        self.selector.register(conn, selectors.EVENT_READ, lambda _key: self.job_says(job))
        self.selector.register(job.pidfd, selectors.EVENT_READ, lambda _key: self.fork_ended(job))

    def job_says(self, job: Job) -> None:
        """A signal to pass on; or the job's process is gone (killed): its fork goes too."""
        try:
            data = job.conn.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(job.conn)
            job.listening = False
            self._signal(job.pid, signal.SIGKILL)
            return
        for (sig,) in STATUS.iter_unpack(data[: len(data) - len(data) % STATUS.size]):
            self._signal(job.pid, sig)

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def fork_ended(self, job: Job) -> None:
        """The fork ended: its wait status to the job, which then ends the same way."""
        _, status = os.waitpid(job.pid, 0)
        self.selector.unregister(job.pidfd)
        os.close(job.pidfd)
        try:
            job.conn.sendall(STATUS.pack(status))
        except OSError:
            pass
        if job.listening:
            self.selector.unregister(job.conn)
        job.conn.close()

    def serve(self) -> None:
        """Run until the master stops this process."""
        while True:
            for key, _ in self.selector.select():
                key.data(key)


def main() -> None:
    """Listen on the pool's socket, with the run scripts' imports done, until stopped."""
    path = socket_path(os.environ)
    for name in WARM_IMPORTS.split():
        try:
            __import__(name)
        except ImportError:  # a component that needs it imports it (and says so) itself
            pass
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    listener.bind(str(path))
    os.umask(old)
    listener.listen(64)
    # The master stops its daemons with SIGTERM (graceful) or SIGQUIT (fast); a reconfig has nothing to do here.
    for sig in (signal.SIGTERM, signal.SIGQUIT):
        signal.signal(sig, lambda *_: sys.exit(0))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    log.info(f"warm starter listening on {path}")
    try:
        Starter(listener).serve()
    finally:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

"""The personal pool's warm starter: map components start as forks of a ready interpreter.

A component of an unchunked map held its slot about 0.3 s, half of it a new interpreter and its
imports (cloudpickle alone 50 ms). condor_master runs this module beside the pool's daemons
(personal-pool.conf); HTMap's jobs in the personal pool run `htc-warm-start SOCKET PYTHON
SCRIPT ARGS` (base-notebook/warm-start.c), which sends its folder, umask, arguments, environment
and standard streams here; a fork of this process runs the script in them, as `python SCRIPT
ARGS` would, and its wait status goes back.

Each job stays HTCondor's: the job's program waits for its fork, signals it gets (hold, remove)
are passed to the fork's process group, and when the job's program goes (killed), so does that
group, as it does when the fork ends (what a job leaves running, HTCondor ends too). Anything
else (another Python, options before the script, Python settings of the job's own) is answered
"run it cold" and runs as before, as does every job when this process is not there.
"""

import atexit
import builtins
import ctypes
import gc
import os
import selectors
import signal
import socket
import struct
import sys
import sysconfig
import threading
import time
import traceback
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from . import log, mode, pool

# Imported once here rather than in every component: what HTMap's run scripts import
# (run/_htmap_run.py, and _htmap_run_chunk.py for a chunk).
WARM_IMPORTS = "cloudpickle datetime getpass gzip io pathlib shutil socket subprocess tarfile textwrap zipfile"
# The job's side (base-notebook/warm-start.c).
CLIENT = "/usr/local/libexec/htc-warm-start"
# The first reply: the fork's pid, or this: the job runs its command itself. Then the wait status.
COLD = -1
HEADER = struct.Struct("=I")
# Pids, signal numbers and wait statuses, both ways.
INT32 = struct.Struct("=i")
MAX_REQUEST = 1 << 20
# A job's program sends its request at once; another process must not hold up the others.
REQUEST_TIMEOUT = 5.0
# What HTCondor sends a job (hold, remove, vacate), passed on to the fork's group.
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
PR_SET_PDEATHSIG = 1
# Python settings a job may have that the fork applies itself; HTCondor gives every job
# PYTHON_CPU_COUNT (its CPUs, for os.cpu_count).
APPLIED_IN_FORK = ("PYTHONPATH", "PYTHON_CPU_COUNT")
# condor_master does not restart a daemon that exits with this.
DAEMON_NO_RESTART = 99
# How often an idle starter looks for an install (two stat calls): a map made a second after
# `pip install` starts warm with the new packages.
IDLE_CHECK = 1.0
# The streams' encoding and errors this interpreter chose as it started, as a job's would (main).
STDIO = (
    getattr(sys.__stdout__, "encoding", None) or "utf-8",
    getattr(sys.__stdout__, "errors", None) or "strict",
)


def socket_path(env: Mapping[str, str]) -> Path:
    """Where the pool's warm starter listens (in the pool's state, which only its user can enter)."""
    return pool.state_dir(env) / "run" / "warm-start.sock"


def job_command(env: Mapping[str, str]) -> list[str]:
    """What a job's Python is prefixed with to start warm: in the personal pool only.

    The job asks when it starts (a map made before the starter listens still starts warm, and
    one made when it has gone starts cold). HTCondor splits arguments at spaces.
    """
    path = str(socket_path(env))
    if not mode.decide(env).personal or not os.access(CLIENT, os.X_OK) or any(c.isspace() for c in path):
        return []
    if any(c.isspace() for c in sys.executable):
        return []
    return [CLIENT, path]


@dataclass
class Request:
    """A job's wish: its folder, umask, arguments and environment, and its standard streams."""

    folder: str
    umask: int
    argv: list[str]
    env: dict[str, str]
    fds: list[int]

    @classmethod
    def parse(cls, data: bytes, fds: list[int]) -> "Request":
        """From the job's NUL-terminated fields; ValueError or IndexError if they are not that."""
        fields = [field.decode("utf-8", "surrogateescape") for field in data.split(b"\0")[:-1]]
        count = int(fields[2])
        argv, entries = fields[3 : 3 + count], fields[3 + count :]
        if count < 0 or len(argv) != count:
            raise ValueError("arguments missing")
        return cls(fields[0], int(fields[1], 8), argv, dict(entry.partition("=")[::2] for entry in entries), fds)

    def runs_warm(self) -> bool:
        """`python SCRIPT ARGS` with this very Python, and no Python settings of the job's own.

        Python reads those as it starts; this process has none (main). The job's PYTHONPATH and
        PYTHON_CPU_COUNT are applied in the fork.
        """
        if len(self.argv) < 2 or self.argv[1].startswith("-"):
            return False
        if python_settings(self.env):
            return False
        return os.path.normpath(os.path.join(self.folder, self.argv[0])) == sys.executable

    def close(self) -> None:
        """Close the job's streams here (the fork has its own)."""
        for fd in self.fds:
            os.close(fd)


def read_request(conn: socket.socket) -> Request | None:
    """One request from a new connection, or None if it is not one (in time)."""
    data, fds = b"", []
    deadline = time.monotonic() + REQUEST_TIMEOUT
    try:
        while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack_from(data)[0]:
            conn.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk, more, _flags, _addr = socket.recv_fds(conn, 65536, 3)
            fds.extend(more)
            if not chunk or len(data) + len(chunk) > MAX_REQUEST:
                break
            data += chunk
        conn.settimeout(None)
        if len(fds) == 3 and len(data) >= HEADER.size and len(data) == HEADER.size + HEADER.unpack_from(data)[0]:
            return Request.parse(data[HEADER.size :], fds)
    except (OSError, ValueError, IndexError):
        pass
    for fd in fds:
        os.close(fd)
    return None


def packages_stamp() -> tuple[int, ...]:
    """When the environment's packages last changed (an install adds or removes folders there)."""
    paths = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    return tuple(os.stat(path).st_mtime_ns for path in paths if os.path.isdir(path))


# The fork: it becomes the job's `python SCRIPT ARGS`.


def run_in_fork(request: Request, parent: int) -> NoReturn:
    """Take the job's folder, streams, environment and arguments, run the script, exit as Python does."""
    status = 1
    try:
        # If this starter goes, so does the fork (its job's program then ends the fork's group).
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        os.setpgid(0, 0)
        for sig in (*FORWARDED, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for target, fd in enumerate(request.fds):
            os.dup2(fd, target)
        # The starter's listener, its other jobs' connections and everything else of its.
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        own_streams()
        os.chdir(request.folder)
        os.umask(request.umask)
        os.environ.clear()
        os.environ.update(request.env)
        os.environ["LC_CTYPE"] = "C.UTF-8"  # as a new Python sets it for its children (PEP 538)
        script = request.argv[1]
        sys.argv = request.argv[1:]
        sys.orig_argv = list(request.argv)
        sys.path[0] = str(Path(script).resolve().parent)
        sys.path[1:1] = [entry for entry in request.env.get("PYTHONPATH", "").split(":") if entry]
        cpus = request.env.get("PYTHON_CPU_COUNT", "")
        if cpus.isdigit() and int(cpus) > 0 and sys.version_info >= (3, 13):  # as Python reads it at its start
            os.cpu_count = os.process_cpu_count = lambda: int(cpus)
        atexit._clear()  # the starter's own
        for name in [name for name in sys.modules if name.split(".")[0] == __package__]:
            del sys.modules[name]  # ours, not the job's (its warm imports stay: they are the point)
        status = run_main(os.path.abspath(script))
    except BaseException:  # the fork's own set-up failed: said on the job's stderr
        traceback.print_exc()
    finish(status)


def own_streams() -> None:
    """sys.stdin, stdout and stderr on the job's files, made as a new interpreter makes them.

    Not the starter's own objects: their buffering was chosen for its files (the master's).
    """
    tty = os.isatty(1)
    sys.stdin = sys.__stdin__ = open(0, encoding=STDIO[0], errors=STDIO[1], closefd=False)
    sys.stdout = sys.__stdout__ = open(
        1, "w", buffering=1 if tty else -1, encoding=STDIO[0], errors=STDIO[1], closefd=False
    )
    sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, encoding=STDIO[0], errors="backslashreplace", closefd=False)


def run_main(path: str) -> int:
    """Run the script as __main__; its exit status (negative: the signal to end by)."""
    main = types.ModuleType("__main__")
    main.__file__, main.__cached__, main.__builtins__ = path, None, builtins
    sys.modules["__main__"] = main
    try:
        with open(path, "rb") as source:
            code = compile(source.read(), path, "exec")
        exec(code, main.__dict__)  # noqa: S102 - running the job's script is this module's job
        return 0
    except SystemExit as stop:
        return exit_status(stop.code)
    except BaseException as error:  # as Python reports it: the hook, without this frame
        error.with_traceback(error.__traceback__.tb_next if error.__traceback__ else None)
        sys.excepthook(type(error), error, error.__traceback__)
        # An uncaught Ctrl-C ends Python by SIGINT itself.
        return -signal.SIGINT if isinstance(error, KeyboardInterrupt) else 1


def exit_status(code: object) -> int:
    """sys.exit's argument as the process's status, as Python turns it into one."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def finish(status: int) -> NoReturn:
    """Python's own exit: threads joined, atexit functions, files left open flushed; then the status."""
    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
        main = sys.modules.get("__main__")
        if main is not None:
            main.__dict__.clear()
        gc.collect()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:  # noqa: S110 - exiting regardless, as Python does
        pass
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.kill(os.getpid(), -status)
    os._exit(status & 0xFF)


# The starter: this process.


@dataclass
class Job:
    """A job being run: its fork, the job's connection, and the fork's pidfd (readable when it ends)."""

    pid: int
    conn: socket.socket
    pidfd: int
    conn_registered: bool = True


class Starter:
    """The loop: new jobs on the listening socket, then each job's connection and its fork's end."""

    def __init__(self, listener: socket.socket, stamp: tuple[int, ...]) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, self.accept)
        self.jobs: dict[int, Job] = {}
        self.stamp = stamp  # the packages' as this process started

    def stale(self) -> bool:
        """Packages installed since this process started: a new interpreter would see them."""
        return packages_stamp() != self.stamp

    def accept(self, _key: selectors.SelectorKey) -> None:
        """A job's program connected: fork its Python, or tell it to run cold."""
        conn, _ = self.listener.accept()
        request = read_request(conn)
        if request is None:
            conn.close()
            return
        if self.stale() or not request.runs_warm():
            self.cold(conn, request)
            return
        parent = os.getpid()
        # Until the fork has its own handlers: a stop now must not run this process's sys.exit there.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGQUIT])
        try:
            pid = os.fork()
        except OSError:  # no process to spare
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            self.cold(conn, request)
            return
        if pid == 0:
            run_in_fork(request, parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        try:
            os.setpgid(pid, pid)  # as the fork does: a signal passed on at once finds its group
        except OSError:
            pass
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # no descriptor to spare: the job runs cold, not twice
            self.end_group(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self.cold(conn, request)
            return
        request.close()
        job = Job(pid, conn, pidfd)
        self.jobs[pid] = job
        self.selector.register(job.pidfd, selectors.EVENT_READ, lambda _key: self.fork_ended(job))
        try:
            conn.sendall(INT32.pack(pid))
        except OSError:  # the job's program is gone already
            job.conn_registered = False
            self.end_group(pid, signal.SIGKILL)
            return
        self.selector.register(conn, selectors.EVENT_READ, lambda _key: self.job_says(job))

    @staticmethod
    def cold(conn: socket.socket, request: Request) -> None:
        """Tell the job's program to run its command itself."""
        request.close()
        try:
            conn.sendall(INT32.pack(COLD))
        except OSError:
            pass
        conn.close()

    def job_says(self, job: Job) -> None:
        """Signals to pass on; or the job's program is gone (killed): its fork's group goes too."""
        try:
            data = job.conn.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(job.conn)
            job.conn_registered = False
            self.end_group(job.pid, signal.SIGKILL)
            return
        for (sig,) in INT32.iter_unpack(data[: len(data) - len(data) % INT32.size]):
            if sig in FORWARDED:
                self.end_group(job.pid, sig)

    @staticmethod
    def end_group(pid: int, sig: int) -> None:
        """Signal a fork's process group, if it is still there."""
        try:
            os.killpg(pid, sig)
        except OSError:  # the group has ended
            pass

    def fork_ended(self, job: Job) -> None:
        """The fork ended: what it left running ends too; its wait status to the job's program."""
        self.end_group(job.pid, signal.SIGKILL)  # before the wait: its zombie keeps the group's id
        _, status = os.waitpid(job.pid, 0)
        self.selector.unregister(job.pidfd)
        os.close(job.pidfd)
        del self.jobs[job.pid]
        if job.conn_registered:
            self.selector.unregister(job.conn)
            try:
                job.conn.sendall(INT32.pack(status))
            except OSError:
                pass
        job.conn.close()

    def serve(self) -> NoReturn:
        """Run until the master stops this process; after an install, start again once idle."""
        while True:
            for key, _ in self.selector.select(timeout=IDLE_CHECK):
                if self.selector.get_map().get(key.fd) is not key:
                    continue  # unregistered by an earlier event of this round
                try:
                    key.data(key)
                except Exception as exc:  # one job's trouble must not end the others'
                    log.warn(f"warm starter: {type(exc).__name__}: {exc}")
            if not self.jobs and self.stale():
                log.info("warm starter: packages changed, starting again")
                start_again()


def python_settings(env: Mapping[str, str]) -> list[str]:
    """The variables a Python reads as it starts: its own (PYTHONPATH aside) and the locale's."""
    own = [name for name in env if name.startswith("PYTHON") and name not in APPLIED_IN_FORK]
    return own + [name for name in env if name in ("LANG", "LANGUAGE") or name.startswith("LC_")]


def start_again() -> NoReturn:
    """Run this program anew, without Python and locale settings, as a job's new Python starts.

    HTCondor passes jobs no environment; the new process makes its own choices as it starts.
    """
    settings = {*python_settings(os.environ), *APPLIED_IN_FORK}
    env = {name: value for name, value in os.environ.items() if name not in settings}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def main() -> None:
    """Listen on the pool's socket, with the run scripts' imports done, until stopped."""
    # Without a locale Python chose C.UTF-8 (PEP 538) and said so in LC_CTYPE: that one is its own
    # (passed on to a new process, it would turn UTF-8 mode off there).
    settings = python_settings(os.environ) + [name for name in APPLIED_IN_FORK if name in os.environ]
    if settings and not (settings == ["LC_CTYPE"] and os.environ["LC_CTYPE"] == "C.UTF-8"):
        start_again()
    stamp = packages_stamp()  # before the imports: an install during them is seen
    for fd in (0, 1, 2):  # so that no socket or job stream of ours is ever one of them
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError) as exc:
        log.warn(f"warm starter not started (no pidfd: {exc}): map components start cold")
        sys.exit(DAEMON_NO_RESTART)
    for name in WARM_IMPORTS.split():
        try:
            __import__(name)
        except ImportError:  # a component that needs it imports it (and says so) itself
            pass
    path = socket_path(os.environ)
    # Made under another name and renamed once listening: a job that finds the socket is answered.
    staging = path.with_name(path.name + ".new")
    staging.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    listener.bind(str(staging))
    os.umask(old)
    listener.listen(64)
    staging.replace(path)
    # The master stops its daemons with SIGTERM (graceful) or SIGQUIT (fast); a reconfig has nothing to do here.
    for sig in (signal.SIGTERM, signal.SIGQUIT):
        signal.signal(sig, lambda *_: sys.exit(0))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    log.info(f"warm starter listening on {path}")
    try:
        Starter(listener, stamp).serve()
    finally:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

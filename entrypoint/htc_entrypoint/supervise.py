"""Run the command beside the personal pool, and shut the pool down cleanly when either ends.

tini (PID 1) exits as soon as its child does, and the kernel then kills whatever is
left; so this process stays the child until condor_master has finished its
shutdown. tini -g passes docker stop's SIGTERM to this process group (the command
gets it from tini directly); condor_master runs in its own session, so it is told
here, once, to shut down. Fast shutdown (SIGQUIT): running jobs are killed and stay
in the queue, to run again at the next start. A graceful one evicts them instead,
and an HTMap job evicted before it made its output folder is held for it.
"""

import os
import signal
import time
from types import FrameType

from . import log

# docker stop waits 10 s before SIGKILL; the pool's own graceful timeout is shorter.
STOP_TIMEOUT = 8.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# RESTARTABLE: a command that keeps failing at once is started again at most once a second.
RESTART_PAUSE = 1.0


def exit_code(status: int) -> int:
    """A wait status as a shell would report it."""
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def describe(status: int) -> str:
    """How a process ended, in words."""
    if os.WIFSIGNALED(status):
        return f"was killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"


class Supervisor:
    """The command and condor_master, both children of this process."""

    def __init__(self, log_dir: str) -> None:
        self.command: int | None = None
        self.master: int | None = None
        self.argv: list[str] = []
        self.env: dict[str, str] = {}
        self.log_dir = log_dir
        self.daemons = "the personal pool"  # what condor_master runs here, as logged
        self.stopping = False
        self.master_signalled = False
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.on_signal)
        # Ctrl-C is the command's (Jupyter asks, a shell ignores it): the pool stays.
        signal.signal(signal.SIGINT, lambda _signum, _frame: None)

    def stop_pool(self) -> None:
        """Ask condor_master, once, for a fast shutdown (jobs stay in the queue)."""
        if self.master is None or self.master_signalled:
            return
        self.master_signalled = True
        try:
            os.kill(self.master, signal.SIGQUIT)
        except ProcessLookupError:
            pass

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        """The container is being stopped: start the pool's shutdown now, beside the command's."""
        self.stopping = True
        self.stop_pool()

    def reap(self, pid: int, status: int) -> None:
        """Note a child's end: condor_master's, as asked or not."""
        if pid != self.master:
            return
        self.master = None
        if not self.master_signalled:
            log.error(
                f"condor_master {describe(status)}: {self.daemons} is down (health: unhealthy); "
                f"see {self.log_dir}/MasterLog, and restart the container to bring it back"
            )
        # Killed by the signal itself: it ended before it could handle it, with nothing started.
        elif exit_code(status) in (0, 128 + signal.SIGQUIT):
            log.info(f"{self.daemons.removeprefix('the ')} shut down")
        else:
            log.warn(f"condor_master {describe(status)} while shutting down: see {self.log_dir}/MasterLog")

    def wait_command(self) -> int:
        """Wait for the command to end (reaping condor_master too, if it ends first)."""
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid == self.command:
                return status
            self.reap(pid, status)

    def wait_master(self) -> None:
        """After the command: shut the pool down, and wait for it (bounded)."""
        if self.master is None:
            return
        self.stop_pool()
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.master is not None and time.monotonic() < deadline:
            pid, status = os.waitpid(self.master, os.WNOHANG)
            if pid:
                self.reap(pid, status)
                return
            time.sleep(0.05)
        log.warn(f"condor_master still running {STOP_TIMEOUT:.0f} s after SIGQUIT: killing the pool")
        os.killpg(self.master, signal.SIGKILL)

    def spawn(self, argv: list[str], env: dict[str, str]) -> int:
        """Start the command as a child; its pid."""
        self.argv, self.env = argv, env
        return os.posix_spawnp(argv[0], argv, env)

    def run(self, command: int, restartable: bool = False) -> int:
        """Supervise until the command ends (RESTARTABLE: until the container stops); its exit code."""
        self.command = command
        status = self.wait_command()
        while restartable and not self.stopping:
            log.warn(f"{self.argv[0]} {describe(status)}: starting it again (RESTARTABLE=yes)")
            time.sleep(RESTART_PAUSE)
            if self.stopping:
                break
            self.command = self.spawn(self.argv, self.env)
            status = self.wait_command()
        self.wait_master()
        return exit_code(status)

"""The container's entrypoint, run by tini: settle the user, decide the mode, start the pool, run the command."""

import os
import sys
import time

from . import background, health, jupyter, log, mode, pool, remote, users
from .supervise import Supervisor


def start_pool(env: dict[str, str]) -> int | None:
    """Start the personal pool's condor_master; its pid, or None (with one line) when it cannot start."""
    try:
        pool.check_overrides(env)
        state = pool.state_dir(env)
        pool.prepare(state)
        master = pool.start_master(env, state)
    except pool.PoolError as exc:
        log.error(f"personal pool not started: {exc}")
        return None
    log.info(f"started the personal pool as uid {os.getuid()}, state in {state}")
    return master


def run(cmd: jupyter.Command, env: dict[str, str], supervisor: Supervisor) -> None:
    """Exec the command; beside a pool, run it as a child and supervise both. Never returns."""
    if supervisor.master is None:
        try:
            os.execvpe(cmd.argv[0], cmd.argv, env)
        except OSError as exc:
            log.error(f"cannot run {cmd.argv[0]!r}: {exc.strerror}")
            sys.exit(127)
    try:
        child = os.posix_spawnp(cmd.argv[0], cmd.argv, env)
    except OSError as exc:
        log.error(f"cannot run {cmd.argv[0]!r}: {exc.strerror}")
        supervisor.wait_master()
        sys.exit(127)
    sys.exit(supervisor.run(child))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the image: never returns."""
    args = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    started = time.monotonic()
    users.settle(env)
    chosen = mode.decide(env)
    if chosen.problem:
        log.error(chosen.problem)
    home_problem = users.home_problem(env)
    if home_problem:
        log.error(home_problem)
        env.setdefault("JUPYTER_RUNTIME_DIR", "/tmp/jupyter-runtime")
    cmd = jupyter.command(args, env)
    supervisor = Supervisor(f"{pool.state_dir(env)}/log")
    if chosen.personal:
        log.info(f"personal mode: {chosen.reason}")
        if not home_problem or env.get("HTC_POOL_DIR"):
            supervisor.master = start_pool(env)
        master = supervisor.master
        if master is not None:
            if cmd.api_url is None:
                # A command of the user's (condor_q, a script) expects a working pool.
                pool.wait_ready(env, master, interval=0.05, stop=lambda: supervisor.stopping)
                if supervisor.stopping:
                    supervisor.wait_master()
                    sys.exit(128 + 15)
            else:
                # Jupyter starts at once; the pool's readiness is logged when it comes.
                pid = master
                background.detach(lambda: 0 if pool.wait_ready(env, pid) else 1)
    else:
        log.info(f"remote mode: {chosen.reason}; no HTCondor daemon starts here")
        if chosen.schedd and not chosen.problem:
            has_token = remote.provide_token(env)
            env.pop(remote.TOKEN_VARIABLE, None)
            schedd = chosen.schedd
            background.detach(lambda: remote.check(env, schedd, has_token))
    try:
        health.record(chosen.personal, cmd.api_url)
    except OSError as exc:
        log.warn(f"cannot write {health.STATE_FILE} for the health check: {exc.strerror}")
    log.info(f"starting {' '.join(cmd.argv)} (after {time.monotonic() - started:.2f} s)")
    run(cmd, env, supervisor)


if __name__ == "__main__":
    main()

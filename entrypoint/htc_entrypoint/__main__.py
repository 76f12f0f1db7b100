"""The container's entrypoint, run by tini: decide the mode, start the pool, exec the command."""

import os
import sys
import time

from . import background, health, jupyter, log, mode, pool, remote


def start_pool(env: dict[str, str], wait: bool) -> bool:
    """Start the personal pool; log readiness in the background, or wait for it when `wait`."""
    try:
        pool.check_overrides(env)
        state = pool.state_dir(env)
        pool.prepare(state)
    except pool.PoolError as exc:
        log.error(f"personal pool not started: {exc}")
        return False
    log.info(f"starting the personal pool as uid {os.getuid()}, state in {state}")

    def supervise() -> int:
        try:
            master = pool.start_master(env, state)
        except pool.PoolError as exc:
            log.error(f"personal pool not started: {exc}")
            return 1
        return 0 if pool.wait_ready(env, master) else 1

    background.detach(supervise)
    return pool.wait_ready(env, None, interval=0.05, report=False) if wait else True


def main(argv: list[str] | None = None) -> None:
    """Entry point of the image: never returns, it execs the command."""
    args = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    started = time.monotonic()
    chosen = mode.decide(env)
    if chosen.problem:
        log.error(chosen.problem)
    cmd = jupyter.command(args, env)
    if chosen.personal:
        log.info(f"personal mode: {chosen.reason}")
        # Jupyter starts at once; a command of the user's (condor_q, a script) expects a working pool.
        start_pool(env, wait=cmd.api_url is None)
    else:
        log.info(f"remote mode: {chosen.reason}; no HTCondor daemon starts here")
        if chosen.schedd and not chosen.problem:
            has_token = remote.provide_token(env)
            schedd = chosen.schedd
            background.detach(lambda: remote.check(env, schedd, has_token))
    try:
        health.record(chosen.personal, cmd.api_url)
    except OSError as exc:
        log.warn(f"cannot write {health.STATE_FILE} for the health check: {exc.strerror}")
    log.info(f"exec {' '.join(cmd.argv)} (after {time.monotonic() - started:.2f} s)")
    try:
        os.execvpe(cmd.argv[0], cmd.argv, env)
    except OSError as exc:
        log.error(f"cannot run {cmd.argv[0]!r}: {exc.strerror}")
        sys.exit(127)


if __name__ == "__main__":
    main()

"""The container's entrypoint, run by tini: hooks, the user, the mode, its daemons, then the command.

A job's container (HTCondor runs a command in this image) skips all of it: the command at once.

The order is jupyter/docker-stacks' start.sh: start-notebook.d hooks as the starting user; a
root start refits NB_USER; before-notebook.d hooks (still root, if root); root dropped.
"""

import os
import sys
import time

from . import access_point, background, dask_site, health, hooks, job, jupyter, log, mode, pool, remote, users
from .supervise import Supervisor

# Set for everything the start-up runs, under docker-stacks' name, which scripts may test.
STARTED = "_START_SH_EXECUTED"
UNSET_LIST = "JUPYTER_ENV_VARS_TO_UNSET"


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


def run(cmd: jupyter.Command, env: dict[str, str], supervisor: Supervisor, restartable: bool = False) -> None:
    """Exec the command; beside a pool (or RESTARTABLE), run it as a child and supervise. Never returns."""
    if supervisor.master is None and not restartable:
        try:
            os.execvpe(cmd.argv[0], cmd.argv, env)
        except OSError as exc:
            log.error(f"cannot run {cmd.argv[0]!r}: {exc.strerror}")
            sys.exit(127)
    try:
        child = supervisor.spawn(cmd.argv, env)
    except OSError as exc:
        log.error(f"cannot run {cmd.argv[0]!r}: {exc.strerror}")
        supervisor.wait_master()
        sys.exit(127)
    sys.exit(supervisor.run(child, restartable))


def unset_listed(env: dict[str, str]) -> None:
    """JUPYTER_ENV_VARS_TO_UNSET: variables the hooks needed but Jupyter and the user must not see."""
    listed = [name.strip() for name in env.pop(UNSET_LIST, "").split(",") if name.strip()]
    for name in listed:
        env.pop(name, None)
    if listed:
        log.info(f"{UNSET_LIST}: unset {', '.join(listed)}")


def apply_umask(env: dict[str, str]) -> None:
    """NB_UMASK (octal) for the pool, Jupyter and everything they start."""
    value = env.get("NB_UMASK", "").strip()
    if not value:
        return
    try:
        mask = int(value, 8)
        if not 0 <= mask <= 0o777:
            raise ValueError
    except ValueError:
        log.error(f"NB_UMASK={value!r} is not an octal umask such as 002: keeping {os.umask(0o022):03o}")
        return
    os.umask(mask)
    log.info(f"NB_UMASK: umask {mask:03o}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the image: never returns."""
    args = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    if mode.is_job(env, jupyter.serves(args)):
        job.run(args, env)
    log.info(f"Entered start.sh with args: {' '.join(args)}")
    if env.get(STARTED) == "1":
        # A start script run again inside this container (a terminal, a hook): no second pool.
        cmd = jupyter.command(args, env)
        log.info(f"Executing: {' '.join(cmd.argv)} (start-up already done in this container)")
        run(cmd, env, Supervisor(""))
    env[STARTED] = "1"
    started = time.monotonic()
    hooks.run(hooks.START_NOTEBOOK, env)
    account = users.settle(env)
    hooks.run(hooks.BEFORE_NOTEBOOK, env)
    unset_listed(env)
    if account is not None:
        users.drop_root(account, env)
    apply_umask(env)
    chosen = mode.decide(env)
    if chosen.problem:
        log.error(chosen.problem)
    home_problem = users.home_problem(env)
    if home_problem:
        log.error(home_problem)
        env.setdefault("JUPYTER_RUNTIME_DIR", "/tmp/jupyter-runtime")
    cmd = jupyter.command(args, env)
    supervisor = Supervisor(f"{pool.state_dir(env)}/log")
    as_root = os.getuid() == 0 and env.get("NB_USER") == "root"
    if (chosen.personal or chosen.access_point) and as_root:
        log.warn(
            "running as root (NB_USER=root): HTCondor runs no job as root, so no "
            f"{'personal pool' if chosen.personal else 'schedd'} starts; "
            "for one, start as a non-root NB_USER (rootless engines map any uid to you)"
        )
    elif chosen.personal:
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
    elif chosen.access_point:
        log.info(f"access-point mode: {chosen.reason}; a schedd of this notebook's joins the site's pool")
        if not chosen.problem:
            supervisor.daemons = "the access point's schedd"
            supervisor.master = access_point.start(env)
        env.pop(remote.TOKEN_VARIABLE, None)  # written where HTCondor reads tokens, if it could be used
        if supervisor.master is not None:
            pid = supervisor.master
            background.detach(lambda: access_point.check(env, pid))
    else:
        log.info(f"remote mode: {chosen.reason}; no HTCondor daemon starts here")
        if chosen.schedd and not chosen.problem:
            has_token = remote.provide_token(env)
            env.pop(remote.TOKEN_VARIABLE, None)
            schedd = chosen.schedd
            background.detach(lambda: remote.check(env, schedd, has_token))
    try:
        daemons_promised = (chosen.personal and not as_root) or supervisor.master is not None
        health.record(daemons_promised, cmd.api_url, jupyter.runtime_dir(env))
    except OSError as exc:
        log.warn(f"cannot write {health.STATE_FILE} for the health check: {exc.strerror}")
    if "GEN_CERT" in env and cmd.api_url:
        jupyter.make_certificate(env)
    if cmd.api_url:
        jupyter.resource_limits(env)
        jupyter.dask_dashboard_link(env)
        if chosen.at_site:
            dask_site.configure(env)
    restartable = env.get("RESTARTABLE", "").strip().lower() == "yes"
    # docker-stacks' words: after a root start, which user runs the command.
    how = f"Running as {account.name}" if account is not None else "Executing the command"
    log.info(f"{how}: {' '.join(cmd.argv)} (after {time.monotonic() - started:.2f} s)")
    run(cmd, env, supervisor, restartable)


if __name__ == "__main__":
    main()

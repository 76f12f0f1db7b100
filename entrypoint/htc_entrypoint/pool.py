"""The personal HTCondor pool: state directories, condor_master as the notebook user, readiness."""

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from . import condor_env, log, resources, users

CONFIG = Path(os.environ.get("HTC_POOL_CONFIG", "/etc/condor/personal-pool.conf"))
# The personal pool's jobs keep no claim idle until this time (epoch seconds): the schedd's first
# pass over idle claims comes 10 s after it starts (see personal-pool.conf's transform).
CLAIMS_KEPT_FROM = "HTC_CLAIMS_KEPT_FROM"
CLAIMS_KEPT_AFTER = 10
SUBDIRS = ("lock", "log", "run", "spool", "execute", "cred_dir", "passwords.d", "tokens.d")
PRIVATE = ("cred_dir", "passwords.d", "tokens.d")
READY_TIMEOUT = 120.0
# Seconds to wait for the startd's address file before asking the collector regardless.
ADDRESS_WAIT = 5.0
# The startd sends its first ad on a fixed 1 s timer after it has written its address:
# start asking a little before that (then every `interval`).
FIRST_AD_DELAY = 0.9
# HTCondor refuses group 0; under it, the daemons are told this group instead (reported-gid.c).
REPORTED_GID_LIBRARY = "/usr/local/lib/libhtc-reported-gid.so"
# Below this, HTCondor cannot keep its logs and job queue: refuse to start rather than fail later.
MIN_FREE_MB = 64


class PoolError(Exception):
    """The pool cannot start; the message says what to do."""


def state_dir(env: Mapping[str, str]) -> Path:
    """Where the pool keeps its state: `HTC_POOL_DIR`, else ~/.condor/state."""
    if env.get("HTC_POOL_DIR"):
        return Path(env["HTC_POOL_DIR"])
    return Path(env.get("HOME") or Path.home()) / ".condor" / "state"


def prepare(state: Path) -> None:
    """Create the state directories, and drop address files an earlier container left."""
    try:
        for sub in SUBDIRS:
            (state / sub).mkdir(parents=True, exist_ok=True)
        for sub in PRIVATE:
            (state / sub).chmod(0o700)
        probe = state / "run" / ".writable"
        probe.write_text("")
        probe.unlink()
        # An earlier container's daemons left their addresses: they are not running now.
        for stale in [*state.glob("log/.*_address*"), *state.glob("spool/.*_address*")]:
            stale.unlink(missing_ok=True)
        disk = os.statvfs(state)
    except OSError as exc:
        raise PoolError(
            f"cannot write the pool's state directory {state} ({exc.strerror}): "
            "mount a writable home directory or set HTC_POOL_DIR to a writable directory"
        ) from exc
    free_mb = disk.f_bavail * disk.f_frsize // 2**20
    if free_mb < MIN_FREE_MB:
        raise PoolError(
            f"the pool's state directory {state} has {free_mb} MB free (it needs {MIN_FREE_MB} MB): "
            "free some space there, or set HTC_POOL_DIR to a larger volume"
        )


def master_env(env: Mapping[str, str], state: Path, config: Path = CONFIG) -> dict[str, str]:
    """The environment of condor_master: the pool's config, when it keeps claims, the container's CPUs and memory."""
    menv = dict(env)
    menv["CONDOR_CONFIG"] = str(config)
    menv["HTC_POOL_DIR"] = str(state)
    menv[CLAIMS_KEPT_FROM] = str(int(time.time()) + CLAIMS_KEPT_AFTER)
    if not condor_env.is_set(env, "NUM_CPUS"):
        menv["_CONDOR_NUM_CPUS"] = str(resources.cpus())
    if not condor_env.is_set(env, "MEMORY"):
        menv["_CONDOR_MEMORY"] = str(resources.memory_mb())
    if os.getgid() == 0 and os.getuid() != 0:
        menv["LD_PRELOAD"] = " ".join(filter(None, [env.get("LD_PRELOAD", ""), REPORTED_GID_LIBRARY]))
        menv["HTC_REPORTED_GID"] = str(users.DEFAULTS["NB_GID"])
    return menv


def check_overrides(env: Mapping[str, str]) -> None:
    """Reject slot sizes HTCondor would refuse, naming the variable."""
    for knob in ("NUM_CPUS", "MEMORY"):
        found = condor_env.get(env, knob)
        if found and not found[1].strip().isdigit():
            name, value = found
            raise PoolError(f"{name}={value!r} is not a whole number: set it to a number or unset it")


def start_master(env: Mapping[str, str], state: Path, config: Path = CONFIG) -> int:
    """Start condor_master in the foreground of a child in its own session; return its pid.

    Its own session, so that only the supervisor decides when the pool shuts down.
    """
    master = shutil.which("condor_master", path=env.get("PATH"))
    if master is None:
        raise PoolError("condor_master not found on PATH: is HTCondor installed in this image?")
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        return os.posix_spawn(
            master,
            [master, "-f"],
            master_env(env, state, config),
            file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0)],
            setsid=True,
            # The shutdown signals act even if whoever started us ignored them.
            setsigdef=(signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP, signal.SIGINT),
        )
    except OSError as exc:
        raise PoolError(f"cannot start {master}: {exc.strerror}") from exc
    finally:
        os.close(devnull)


def alive(pid: int) -> bool:
    """Whether a process of ours runs (a zombie, not yet reaped, counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def status(env: Mapping[str, str]) -> dict[str, list[str]]:
    """The pool's daemons as the collector sees them: MyType -> [TotalSlotCpus, TotalSlotMemory]."""
    try:
        out = subprocess.run(
            ["condor_status", "-any", "-af", "MyType", "TotalSlotCpus", "TotalSlotMemory"],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {fields[0]: fields[1:] for fields in (line.split() for line in out.splitlines()) if fields}


def first_ad_due(state: Path) -> bool:
    """Whether the startd wrote its address long enough ago to have advertised."""
    try:
        written = (state / "log" / ".startd_address").stat().st_mtime
    except OSError:
        return False
    return time.time() - written >= FIRST_AD_DELAY


def wait_ready(
    env: Mapping[str, str],
    master: int,
    timeout: float = READY_TIMEOUT,
    interval: float = 0.1,
    stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Wait until the startd and the schedd have advertised; log one line either way."""
    started = time.monotonic()
    state = state_dir(env)
    while time.monotonic() - started < timeout and not stop():
        if not alive(master):
            log.error(f"condor_master ended before the pool was ready: see {state}/log/MasterLog")
            return False
        # Until the startd's first ad is due, asking the collector (a process each time)
        # only takes CPU from the daemons and Jupyter starting beside it. After a few
        # seconds ask anyway: a user's config may keep the address elsewhere.
        if time.monotonic() - started < ADDRESS_WAIT and not first_ad_due(state):
            time.sleep(interval)
            continue
        daemons = status(env)
        machine = daemons.get("Machine")
        if machine and "Scheduler" in daemons:
            cpus, memory = [*machine, "?", "?"][:2]
            log.info(f"pool ready: {cpus} CPUs, {memory} MB ({time.monotonic() - started:.1f} s)")
            return True
        time.sleep(interval)
    if stop():
        return False
    log.error(f"pool not ready after {timeout:.0f} s: see {state}/log/ (MasterLog, StartLog, SchedLog)")
    return False

"""The personal HTCondor pool: state directories, condor_master as the notebook user, readiness."""

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from . import condor_env, log, resources

CONFIG = Path(os.environ.get("HTC_POOL_CONFIG", "/etc/condor/personal-pool.conf"))
SUBDIRS = ("lock", "log", "run", "spool", "execute", "cred_dir", "passwords.d", "tokens.d")
PRIVATE = ("cred_dir", "passwords.d", "tokens.d")
READY_TIMEOUT = 120.0


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
    except OSError as exc:
        raise PoolError(
            f"cannot write the pool's state directory {state} ({exc.strerror}): "
            "mount a writable home directory or set HTC_POOL_DIR to a writable directory"
        ) from exc
    for stale in [*state.glob("log/.*_address*"), *state.glob("spool/.*_address*")]:
        stale.unlink(missing_ok=True)


def master_env(env: Mapping[str, str], state: Path) -> dict[str, str]:
    """The environment of condor_master: the pool's config, and the container's CPUs and memory."""
    menv = dict(env)
    menv["CONDOR_CONFIG"] = str(CONFIG)
    menv["HTC_POOL_DIR"] = str(state)
    if not condor_env.is_set(env, "NUM_CPUS"):
        menv["_CONDOR_NUM_CPUS"] = str(resources.cpus())
    if not condor_env.is_set(env, "MEMORY"):
        menv["_CONDOR_MEMORY"] = str(resources.memory_mb())
    return menv


def check_overrides(env: Mapping[str, str]) -> None:
    """Reject slot sizes HTCondor would refuse, naming the variable."""
    for knob in ("NUM_CPUS", "MEMORY"):
        found = condor_env.get(env, knob)
        if found and not found[1].strip().isdigit():
            name, value = found
            raise PoolError(f"{name}={value!r} is not a whole number: set it to a number or unset it")


def start_master(env: Mapping[str, str], state: Path) -> subprocess.Popen[bytes]:
    """Start condor_master in the foreground of a child process (it keeps our process group)."""
    master = shutil.which("condor_master", path=env.get("PATH"))
    if master is None:
        raise PoolError("condor_master not found on PATH: is HTCondor installed in this image?")
    return subprocess.Popen([master, "-f"], env=master_env(env, state), stdin=subprocess.DEVNULL)


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


def wait_ready(
    env: Mapping[str, str],
    master: subprocess.Popen[bytes] | None,
    timeout: float = READY_TIMEOUT,
    interval: float = 0.1,
    report: bool = True,
) -> bool:
    """Wait until the startd and the schedd have advertised; log one line either way if `report`."""
    started = time.monotonic()
    state = state_dir(env)
    while time.monotonic() - started < timeout:
        if master is not None and master.poll() is not None:
            log.error(f"condor_master exited with code {master.returncode}: see {state}/log/MasterLog")
            return False
        daemons = status(env)
        machine = daemons.get("Machine")
        if machine and "Scheduler" in daemons:
            if not report:
                return True
            cpus, memory = [*machine, "?", "?"][:2]
            log.info(f"pool ready: {cpus} CPUs, {memory} MB ({time.monotonic() - started:.1f} s)")
            return True
        time.sleep(interval)
    if report:
        log.error(f"pool not ready after {timeout:.0f} s: see {state}/log/ (MasterLog, StartLog, SchedLog)")
    return False

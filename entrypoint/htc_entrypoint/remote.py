"""Remote mode: the user's HTCondor token, and a check that the site's collector and schedd answer."""

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from . import condor_env, log

CHECK_TIMEOUT = 10.0
TOKEN_VARIABLE = "HTC_CONDOR_TOKEN"  # noqa: S105 (a variable name, not a secret)
TOKEN_FILE = "htc-notebook.token"  # noqa: S105 (a file name)
# What HTCondor's tools print when the other side refuses who we are.
REFUSED = ("AUTHENTICATE", "PERMISSION DENIED", "DENIED", "not authorized")


def token_dir(env: Mapping[str, str]) -> Path:
    """Where HTCondor's tools look for the user's tokens."""
    found = condor_env.get(env, "SEC_TOKEN_DIRECTORY")
    if found and found[1].strip():
        return Path(found[1].strip())
    return Path(env.get("HOME") or Path.home()) / ".condor" / "tokens.d"


def provide_token(env: Mapping[str, str]) -> bool:
    """Write `HTC_CONDOR_TOKEN` into the token directory (0600); tell whether any token is there."""
    folder = token_dir(env)
    token = env.get(TOKEN_VARIABLE, "").strip()
    if token:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = folder / TOKEN_FILE
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(token + "\n")
            path.chmod(0o600)
            log.info(f"token from {TOKEN_VARIABLE} written to {path}")
        except OSError as exc:
            log.error(f"cannot write the token from {TOKEN_VARIABLE} to {folder}: {exc.strerror}")
    try:
        return any(entry.is_file() for entry in folder.iterdir())
    except OSError:
        return False


def no_token(env: Mapping[str, str]) -> str:
    """What to do when the user has no token."""
    return (
        f"no HTCondor token in {token_dir(env)}: set {TOKEN_VARIABLE} to this user's token, or mount "
        "token files there (or point _CONDOR_SEC_TOKEN_DIRECTORY at them)"
    )


def ask(argv: list[str], env: Mapping[str, str], output: bool = False) -> tuple[bool, str]:
    """Run a condor tool; (answered, what it said on failure in one line, or its output if `output`)."""
    try:
        done = subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False, f"no answer within {CHECK_TIMEOUT:.0f} s"
    except OSError as exc:
        return False, f"cannot run {argv[0]}: {exc.strerror}"
    if done.returncode == 0:
        return True, done.stdout if output else ""
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    reason = " ".join(lines)[:300] if lines else f"exit code {done.returncode}"
    return False, reason


def check(env: Mapping[str, str], schedd: str, has_token: bool) -> int:
    """Ask the site's collector, then its schedd; log one line saying whether both answered."""
    collector = condor_env.get(env, "COLLECTOR_HOST")
    if collector is None:
        log.warn(
            f"remote mode: _CONDOR_COLLECTOR_HOST is not set: set it to the site's central manager, "
            f"where schedd {schedd!r} is found; Jupyter starts anyway"
        )
        return 1
    where = f"collector {collector[1]!r}"
    answered, reason = ask(["condor_status", "-collector", "-af", "Name"], env)
    if answered:
        where = f"schedd {schedd!r}"
        answered, reason = ask(["condor_q", "-totals"], env)
    if answered and has_token:
        log.info(f"remote mode: collector {collector[1]!r} and schedd {schedd!r} answer")
        return 0
    if answered:
        log.warn(
            f"remote mode: collector {collector[1]!r} and schedd {schedd!r} answer, but submitting will "
            f"likely be refused: {no_token(env)}"
        )
        return 1
    refused = any(word.lower() in reason.lower() for word in REFUSED)
    if refused and not has_token:
        log.warn(f"remote mode: {where} requires a token ({reason}): {no_token(env)}; Jupyter starts anyway")
    elif refused:
        log.warn(
            f"remote mode: {where} refused this user's credentials ({reason}): set {TOKEN_VARIABLE} "
            "to a valid token for this user; Jupyter starts anyway"
        )
    else:
        log.warn(
            f"remote mode: {where} does not answer ({reason}): check _CONDOR_SCHEDD_HOST and "
            "_CONDOR_COLLECTOR_HOST; Jupyter starts anyway"
        )
    return 1

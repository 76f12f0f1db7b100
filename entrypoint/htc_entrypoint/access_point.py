"""Access-point mode: the notebook's own schedd joins the site's pool with the user's token.

For hubs that run away from any submit node (JupyterHub on Kubernetes): only condor_master and
a schedd run here, as the notebook user. The schedd advertises itself to the site's collector
with the user's IDTOKEN and is reached through the collector's CCB, so nothing has to connect
to this container. HTMap's files stay in this home; jobs run in the notebook's image on the
site's execute nodes and send their results back by HTCondor's file transfer.
"""

import base64
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from . import condor_env, log, pool, remote

CONFIG = Path(os.environ.get("HTC_ACCESS_POINT_CONFIG", "/etc/condor/access-point.conf"))
# The schedd is advertised within a second here; a loaded site's collector may take longer.
READY_TIMEOUT = 60.0
# The configuration's knob for the token's identity (ALLOW lists).
IDENTITY_KNOB = "HTC_TOKEN_IDENTITY"


class Identity(NamedTuple):
    """Whom an IDTOKEN names (`sub`, user@domain) and which trust domain issued it (`iss`)."""

    user: str
    domain: str
    issuer: str

    def __str__(self) -> str:
        """As HTCondor names it: user@domain."""
        return f"{self.user}@{self.domain}"


def identity(token: str) -> Identity | None:
    """The identity in an IDTOKEN (a JWT), without checking its signature (the site does)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        user, _, domain = str(claims["sub"]).partition("@")
        issuer = str(claims.get("iss") or domain)
    except (ValueError, KeyError, TypeError):
        return None
    if not user or not domain:
        return None
    return Identity(user, domain, issuer)


def token_identity(folder: Path) -> Identity | None:
    """The identity of the first token in the user's token folder (ours first)."""
    try:
        files = sorted(folder.iterdir(), key=lambda path: (path.name != remote.TOKEN_FILE, path.name))
    except OSError:
        return None
    for path in files:
        try:
            found = identity(path.read_text().strip().splitlines()[0])
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        if found:
            return found
    return None


def settings(env: Mapping[str, str], state: Path, who: Identity) -> dict[str, str]:
    """What the schedd and every client here (Jupyter, HTMap, condor_q) read: this file, this state."""
    found = {
        "CONDOR_CONFIG": str(CONFIG),
        "HTC_POOL_DIR": str(state),
        "_CONDOR_UID_DOMAIN": who.domain,
        "_CONDOR_TRUST_DOMAIN": who.issuer,
        f"_CONDOR_{IDENTITY_KNOB}": str(who),
    }
    # A site's own setting of a domain wins.
    return {name: value for name, value in found.items() if not condor_env.is_set(env, name.removeprefix("_CONDOR_"))}


def start(env: dict[str, str]) -> int | None:
    """Start condor_master with the schedd only; `env` gains the settings above. None, with one line, when it cannot."""
    remote.provide_token(env)
    who = token_identity(remote.token_dir(env))
    if who is None:
        log.error(f"access point not started: {remote.no_token(env)}; Jupyter starts anyway")
        return None
    state = pool.state_dir(env)
    try:
        pool.prepare(state)
        env.update(settings(env, state, who))
        master = pool.start_master(env, state, CONFIG)
    except pool.PoolError as exc:
        log.error(f"access point not started: {exc}")
        return None
    log.info(f"access point: started a schedd as uid {os.getuid()} for {who}, state in {state}")
    return master


def advertised(env: Mapping[str, str], state: Path) -> str | None:
    """The schedd's name once the site's collector holds its ad with a CCB contact, else None."""
    try:
        ad = (state / "spool" / ".schedd_classad").read_text()
    except OSError:
        return None
    names = [line.split("=", 1)[1].strip().strip('"') for line in ad.splitlines() if line.startswith("Name =")]
    if not names:
        return None
    query = ["condor_status", "-schedd", "-const", f'Name == "{names[0]}"', "-af", "MyAddress"]
    answered, out = remote.ask(query, env, output=True)
    return names[0] if answered and "CCBID" in out else None


def check(env: Mapping[str, str], master: int, timeout: float = READY_TIMEOUT) -> int:
    """Ask the collector whether the token may advertise a schedd, then wait for the ad; one line either way."""
    started = time.monotonic()
    collector = condor_env.get(env, "COLLECTOR_HOST")
    where = repr(collector[1]) if collector else "(unset)"
    who = env.get(f"_CONDOR_{IDENTITY_KNOB}", "this user")
    allowed, reason = remote.ask(["condor_ping", "-type", "collector", "ADVERTISE_SCHEDD"], env)
    if not allowed:
        if any(word.lower() in reason.lower() for word in (*remote.REFUSED, "failed")):
            log.warn(
                f"access point: collector {where} refused {who} ({reason}): set {remote.TOKEN_VARIABLE} to a valid "
                f"token, and the site's collector must allow it: ALLOW_ADVERTISE_SCHEDD = ... {who}"
            )
        else:
            log.warn(f"access point: collector {where} does not answer ({reason}): check _CONDOR_COLLECTOR_HOST")
        return 1
    state = pool.state_dir(env)
    while time.monotonic() - started < timeout:
        if not pool.alive(master):
            log.error(f"access point: condor_master ended: see {state}/log/MasterLog and SchedLog")
            return 1
        name = advertised(env, state)
        if name:
            log.info(
                f"access point ready: collector {where} answered, token for {who} accepted, "
                f"schedd {name!r} advertised ({time.monotonic() - started:.1f} s)"
            )
            return 0
        time.sleep(0.25)
    log.warn(f"access point: schedd not advertised at collector {where} after {timeout:.0f} s: see {state}/log")
    return 1

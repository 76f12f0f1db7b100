"""Decide what this container is: a job's, or a notebook with its own pool, a site's schedd or its own access point."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import condor_env

# HTCondor gives every job the path of its job ad, in the job's container too.
JOB_AD = "_CONDOR_JOB_AD"
# A host name or address, optionally with a port or a daemon name ("name@host").
_HOST_RE = re.compile(r"^[A-Za-z0-9_.@:\[\]-]+$")


@dataclass(frozen=True)
class Mode:
    """The start-up mode and the reason for it, as logged."""

    personal: bool
    reason: str
    schedd: str | None = None
    problem: str | None = None
    # The notebook's own schedd joins the site's pool through this collector.
    collector: str | None = None

    @property
    def at_site(self) -> bool:
        """A site's pool runs the jobs (remote or access-point mode), on nodes beyond this container."""
        return not self.personal

    @property
    def access_point(self) -> bool:
        """Access-point mode: a schedd of the notebook's own in the site's pool."""
        return self.collector is not None


def is_job(env: Mapping[str, str], serves_jupyter: bool) -> bool:
    """A job's container: HTCondor started it (a job ad) with a command that is not Jupyter.

    A hub's batch spawner may start Jupyter itself as a job: that keeps the notebook's start-up.
    """
    return bool(env.get(JOB_AD)) and not serves_jupyter


def decide(env: Mapping[str, str]) -> Mode:
    """Personal pool, unless a site is named.

    `_CONDOR_SCHEDD_HOST` names the site's schedd: remote mode. `_CONDOR_COLLECTOR_HOST` alone
    names the site's collector: access-point mode. Either prefix case (`_condor_`) counts.
    """
    found = condor_env.get(env, "SCHEDD_HOST")
    if found is None:
        return _access_point_or_personal(env)
    name, value = found
    value = value.strip()
    if not value:
        return Mode(
            True,
            f"{name} is empty",
            problem=f"{name} is empty: unset it for the personal pool, or set it to the site's schedd host name",
        )
    if not _HOST_RE.match(value):
        return Mode(
            False,
            f"{name} is set",
            schedd=value,
            problem=f"{name}={value!r} is not a host name: set it to the site's schedd host name",
        )
    return Mode(False, f"{name}={value}", schedd=value)


def _access_point_or_personal(env: Mapping[str, str]) -> Mode:
    """No schedd named: the notebook's own schedd at the named collector, else the personal pool."""
    found = condor_env.get(env, "COLLECTOR_HOST")
    if found is None or not found[1].strip():
        return Mode(True, "_CONDOR_SCHEDD_HOST is not set")
    name, value = found[0], found[1].strip()
    reason = f"{name}={value} and _CONDOR_SCHEDD_HOST is not set"
    if not _HOST_RE.match(value):
        problem = f"{name}={value!r} is not a host name: set it to the site's central manager (collector) host name"
        return Mode(False, reason, problem=problem, collector=value)
    return Mode(False, reason, collector=value)

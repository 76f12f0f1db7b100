"""A job's container: HTCondor runs a job's command in this image (container or docker universe).

None of the notebook's start-up: no pool, no Jupyter, no line of ours. The command runs at once,
with the image's Python first on PATH, as whatever uid the job has (no passwd entry needed), in
the job's working directory, and its exit code is the container's.
"""

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from . import log

# Where jobs run when the job's environment has no PATH (HTCondor passes none by default).
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """The job's environment, with this image's Python first and a home the job can write."""
    job_env = dict(env)
    own = str(Path(sys.prefix) / "bin")
    rest = [part for part in job_env.get("PATH", SYSTEM_PATH).split(":") if part and part != own]
    job_env["PATH"] = ":".join([own, *rest])
    home = job_env.get("HOME", "")
    # Apptainer's and Docker's usual run: read-only image, no home for an arbitrary uid.
    if not home or not os.access(home, os.W_OK):
        job_env["HOME"] = job_env.get("_CONDOR_SCRATCH_DIR") or os.getcwd()
    return job_env


def run(argv: list[str], env: Mapping[str, str]) -> None:
    """Exec the job's command; never returns."""
    job_env = environment(env)
    try:
        os.execvpe(argv[0], argv, job_env)
    except OSError as exc:
        log.error(f"cannot run the job's command {argv[0]!r}: {exc.strerror}")
        sys.exit(127)

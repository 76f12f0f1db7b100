"""Remote mode: check that the site's schedd answers, without starting any daemon."""

import subprocess
from collections.abc import Mapping

from . import condor_env, log

CHECK_TIMEOUT = 10.0


def check(env: Mapping[str, str], schedd: str) -> int:
    """Ask the site's schedd for its queue totals; log one line saying whether it answered."""
    collector = condor_env.get(env, "COLLECTOR_HOST")
    where = f"schedd {schedd!r} (collector {collector[1]!r})" if collector else f"schedd {schedd!r}"
    try:
        done = subprocess.run(
            ["condor_q", "-totals"], env=dict(env), capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        log.warn(
            f"{where} did not answer within {CHECK_TIMEOUT:.0f} s: check _CONDOR_SCHEDD_HOST "
            "and _CONDOR_COLLECTOR_HOST; Jupyter starts anyway"
        )
        return 1
    except OSError as exc:
        log.warn(f"cannot run condor_q to check {where}: {exc}")
        return 1
    if done.returncode == 0:
        log.info(f"remote {where} answers")
        return 0
    reason = next((line.strip() for line in done.stderr.splitlines() if line.strip()), "no reason given")
    hint = "" if collector else "; set _CONDOR_COLLECTOR_HOST to the site's central manager"
    log.warn(f"{where} does not answer: {reason}{hint}; Jupyter starts anyway")
    return 1

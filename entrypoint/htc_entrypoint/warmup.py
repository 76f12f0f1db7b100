"""The schedd's first seconds: a claim kept idle gets the next job as soon as its job ends.

condor_schedd gives idle claims new jobs in its start-jobs pass, on a timer that
first runs 10 s after the schedd starts (hard-coded; SCHEDD_INTERVAL sets only the
period). A job that ends on a claim kept idle (HTMap keeps them) only hurries that
timer, which does nothing before its first run: a 10-item map submitted right
after `docker run` ran 2 components, then waited 8 s. A RESCHEDULE runs the pass
at once, so one is sent whenever the job queue changes until the timer has run.
"""

import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

# condor_schedd's first start-jobs pass comes this long after it starts; then a second more.
SCHEDD_FIRST_PASS = 10.0
MARGIN = 1.0
# A big map changes the queue all the time: at most one RESCHEDULE (a process) this often.
MIN_GAP = 0.25


def reschedule_until_first_pass(
    env: Mapping[str, str],
    state: Path,
    interval: float = 0.1,
    clock: Callable[[], float] = time.time,
) -> int:
    """Send RESCHEDULE to the schedd at each change of its job queue, until its own pass runs; return how many."""
    spool = state / "spool"
    try:
        # Written as the schedd starts.
        until = (spool / ".schedd_address").stat().st_mtime + SCHEDD_FIRST_PASS + MARGIN
    except OSError:
        return 0
    last: int | None = None  # the first look counts as a change: jobs may be queued already
    sent = 0
    sent_at = -MIN_GAP
    while (now := clock()) < until:
        try:
            changed: int | None = (spool / "job_queue.log").stat().st_mtime_ns
        except OSError:
            changed = None
        if changed != last and now - sent_at >= MIN_GAP:
            last = changed
            sent_at = now
            try:
                subprocess.run(["condor_reschedule"], env=dict(env), capture_output=True, timeout=2, check=False)
            except (OSError, subprocess.TimeoutExpired):
                return sent
            sent += 1
        time.sleep(interval)
    return sent

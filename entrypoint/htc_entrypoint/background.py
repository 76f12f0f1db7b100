"""Run a function in a detached process, so that start-up goes on without waiting for it."""

import os
from collections.abc import Callable

from . import log


def detach(work: Callable[[], int]) -> None:
    """Run `work` in a grandchild that init (tini) adopts and reaps; return at once.

    The program this process execs into (Jupyter) never reaps children it does
    not know, so nothing started here may stay its child. The grandchild stays
    in the process group, so `tini -g` still passes signals to it.
    """
    child = os.fork()
    if child == 0:
        code = 0
        try:
            if os.fork() == 0:
                code = 1
                code = work()
        except Exception as exc:
            log.error(f"background check failed: {exc!r}")
        finally:
            os._exit(code)
    os.waitpid(child, 0)

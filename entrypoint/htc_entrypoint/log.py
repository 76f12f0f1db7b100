"""One line per step on stderr, prefixed so it stands out in `docker logs`."""

import sys


def info(message: str) -> None:
    """Log one step of the start-up."""
    print(f"[htc-notebook] {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """Log a problem that does not stop the start-up."""
    print(f"[htc-notebook] WARNING: {message}", file=sys.stderr, flush=True)


def error(message: str) -> None:
    """Log a problem that the user has to fix."""
    print(f"[htc-notebook] ERROR: {message}", file=sys.stderr, flush=True)

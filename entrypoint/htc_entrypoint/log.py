"""One line per step on stderr, in jupyter/docker-stacks' format: `LEVEL[YYYY-MM-DD HH:MM:SS] message`.

As their _docker_stacks_log.sh (ours is base-notebook/_docker_stacks_log.sh, for hooks):
colour only on a terminal and without NO_COLOR; JUPYTER_DOCKER_STACKS_QUIET hides INFO lines.
"""

import os
import sys
import time
from typing import NoReturn

COLOURS = {"WARNING": "33", "ERROR": "31", "FATAL": "1;31"}


def line(level: str, message: str) -> str:
    """One log line (newlines in `message` escaped), coloured when stderr is a terminal."""
    text = f"{level}[{time.strftime('%Y-%m-%d %H:%M:%S')}] {message}".replace("\n", "\\n")
    colour = COLOURS.get(level)
    if colour and sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        return f"\033[0;{colour}m{text}\033[0m"
    return text


def _log(level: str, message: str) -> None:
    if level == "INFO" and os.environ.get("JUPYTER_DOCKER_STACKS_QUIET"):
        return
    print(line(level, message), file=sys.stderr, flush=True)


def info(message: str) -> None:
    """Log one step of the start-up."""
    _log("INFO", message)


def warn(message: str) -> None:
    """Log a problem that does not stop the start-up."""
    _log("WARNING", message)


def error(message: str) -> None:
    """Log a problem that the user has to fix."""
    _log("ERROR", message)


def fatal(message: str) -> NoReturn:
    """Log why the start-up cannot go on, and end it (exit code 1)."""
    _log("FATAL", message)
    raise SystemExit(1)

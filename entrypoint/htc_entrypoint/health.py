"""Docker's HEALTHCHECK: the personal pool's condor_master lives, and Jupyter answers."""

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

STATE_FILE = Path(os.environ.get("HTC_HEALTH_FILE", "/tmp/htc-notebook-health.json"))


def record(personal: bool, api_url: str | None) -> None:
    """Note, for the health check, what this container's start-up promised to run."""
    STATE_FILE.write_text(json.dumps({"personal": personal, "api_url": api_url}))


def process_alive(name: str, proc: Path = Path("/proc")) -> bool:
    """Whether a process called `name` runs and is not a zombie."""
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, _, rest = text.partition("(")[2].rpartition(")")
        if comm == name and rest.split()[0] not in ("Z", "X"):
            return True
    return False


def problems() -> list[str]:
    """What is wrong, one line each; empty when healthy."""
    try:
        state = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return [f"{STATE_FILE} is missing: the entrypoint did not run"]
    found = []
    if state.get("personal") and not process_alive("condor_master"):
        found.append("condor_master is not running: the personal pool is down")
    if state.get("api_url"):
        try:
            with urllib.request.urlopen(state["api_url"], timeout=3) as answer:  # noqa: S310 (our own http URL)
                if answer.status != 200:
                    found.append(f"Jupyter answered {answer.status} at {state['api_url']}")
        except urllib.error.HTTPError:
            pass  # an answer all the same (a base_url of the user's, a hub's redirect)
        except OSError as exc:
            found.append(f"Jupyter does not answer at {state['api_url']}: {exc}")
    return found


def main() -> None:
    """Exit 0 when healthy, else 1 with one line per problem."""
    found = problems()
    for line in found:
        print(line)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()

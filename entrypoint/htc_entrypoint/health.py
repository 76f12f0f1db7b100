"""Docker's HEALTHCHECK: condor_master lives (personal pool, access point), and Jupyter answers."""

import json
import os
import sys
from pathlib import Path

STATE_FILE = Path(os.environ.get("HTC_HEALTH_FILE", "/tmp/htc-notebook-health.json"))


def record(master: bool, api_url: str | None, runtime_dir: str) -> None:
    """Note, for the health check, what this container's start-up promised to run, and where."""
    STATE_FILE.write_text(json.dumps({"master": master, "api_url": api_url, "runtime_dir": runtime_dir}))


def served_api(runtime_dir: str) -> str | None:
    """The API of the Jupyter server running here, from its runtime file: the port it really uses."""
    for info in Path(runtime_dir).glob("jpserver-*.json"):
        try:
            server = json.loads(info.read_text())
            if not Path(f"/proc/{int(server['pid'])}").exists():
                continue
            scheme = "https" if server.get("secure") else "http"
            return f"{scheme}://127.0.0.1:{int(server['port'])}{server.get('base_url', '/')}api"
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def answer_problem(url: str) -> str | None:
    """Whether Jupyter answers at `url`: never through a proxy; its own certificate (GEN_CERT) is fine."""
    # Imported here: 60 ms of every start (a job's container's too), needed by the check alone.
    import ssl
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPSHandler(context=ssl._create_unverified_context()),  # noqa: S323 (localhost, self-signed)
    )
    try:
        with opener.open(url, timeout=3) as answer:
            if answer.status != 200:
                return f"Jupyter answered {answer.status} at {url}"
    except urllib.error.HTTPError:
        pass  # an answer all the same (a base_url of the user's, a hub's redirect)
    except OSError as exc:
        return f"Jupyter does not answer at {url}: {exc}"
    return None


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
    if state.get("master") and not process_alive("condor_master"):
        found.append("condor_master is not running: HTCondor's daemons here are down")
    if state.get("api_url"):
        url = served_api(state.get("runtime_dir", "")) if state.get("runtime_dir") else None
        problem = answer_problem(url or state["api_url"])
        if problem:
            found.append(problem)
    return found


def main() -> None:
    """Exit 0 when healthy, else 1 with one line per problem."""
    found = problems()
    for line in found:
        print(line)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()

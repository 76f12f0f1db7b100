"""The command the container runs: JupyterLab by default, as jupyter/docker-stacks does."""

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import log

DEFAULT_PORT = 8888
JUPYTER_CMDS = ("lab", "notebook", "server")
# The image's CMD, and docker-stacks' names for it: Jupyter, with any further arguments
# (as JupyterHub's spawners append them).
START_COMMANDS = (
    "start-notebook",
    "start-notebook.py",
    "start-notebook.sh",
    "start-singleuser.py",
    "start-singleuser.sh",
)


@dataclass(frozen=True)
class Command:
    """What to exec, and where the health check finds the Jupyter API (None: not Jupyter)."""

    argv: list[str]
    api_url: str | None


def port(env: Mapping[str, str]) -> int:
    """`JUPYTER_PORT`, or 8888 with an error line when it is not a port number."""
    value = env.get("JUPYTER_PORT", "").strip()
    if not value:
        return DEFAULT_PORT
    if value.isdigit() and 0 < int(value) < 65536:
        return int(value)
    log.error(f"JUPYTER_PORT={value!r} is not a port number (1-65535): serving on {DEFAULT_PORT}")
    return DEFAULT_PORT


def notebook_args(env: Mapping[str, str]) -> list[str]:
    """`NOTEBOOK_ARGS`, split like a shell would but never run by one."""
    try:
        return shlex.split(env.get("NOTEBOOK_ARGS", ""))
    except ValueError as exc:
        log.error(f"NOTEBOOK_ARGS cannot be parsed ({exc}): fix its quoting; ignoring it")
        return []


def command(args: list[str], env: Mapping[str, str]) -> Command:
    """The user's command if given; else jupyterhub-singleuser when spawned by a hub; else Jupyter."""
    extra: list[str] = []
    if args and args[0] in START_COMMANDS:
        args, extra = [], args[1:]
    if args:
        return Command(args, None)
    if env.get("JUPYTERHUB_API_TOKEN"):
        service = urlsplit(env.get("JUPYTERHUB_SERVICE_URL") or f"http://0.0.0.0:{DEFAULT_PORT}/")
        prefix = env.get("JUPYTERHUB_SERVICE_PREFIX") or service.path or "/"
        try:
            listen = service.port or DEFAULT_PORT
        except ValueError:
            log.error(f"JUPYTERHUB_SERVICE_URL={service.geturl()!r} has no valid port: the health check assumes 8888")
            listen = DEFAULT_PORT
        api = f"http://127.0.0.1:{listen}{prefix.rstrip('/')}/api"
        return Command(["jupyterhub-singleuser", *notebook_args(env), *extra], api)
    app = env.get("DOCKER_STACKS_JUPYTER_CMD", "lab").strip() or "lab"
    if app not in JUPYTER_CMDS:
        log.error(f"DOCKER_STACKS_JUPYTER_CMD={app!r} is not one of {', '.join(JUPYTER_CMDS)}: using lab")
        app = "lab"
    listen = port(env)
    argv = [
        "jupyter",
        app,
        "--ServerApp.ip=0.0.0.0",
        f"--ServerApp.port={listen}",
        "--ServerApp.open_browser=False",
        *notebook_args(env),
        *extra,
    ]
    return Command(argv, f"http://127.0.0.1:{listen}/api")

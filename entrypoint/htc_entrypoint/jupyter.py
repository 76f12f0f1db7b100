"""The command the container runs: JupyterLab by default, as jupyter/docker-stacks does."""

import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import log, resources, selfsigned

DEFAULT_PORT = 8888
DEFAULT_APP = "lab"
# jupyter/docker-stacks' start scripts, by name: here they are the image's own start-up
# (/usr/local/bin/start.sh and its links), and any further arguments go to Jupyter, as
# JupyterHub's spawners append them. `start-notebook` is the image's CMD.
START_SH = "start.sh"
START_NOTEBOOK = ("start-notebook", "start-notebook.py", "start-notebook.sh")
START_SINGLEUSER = ("start-singleuser.py", "start-singleuser.sh")


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


def jupyter_app(env: Mapping[str, str]) -> str:
    """`DOCKER_STACKS_JUPYTER_CMD`: any installed Jupyter subcommand; lab when it names none."""
    app = env.get("DOCKER_STACKS_JUPYTER_CMD", "").strip() or DEFAULT_APP
    if app != DEFAULT_APP and shutil.which(f"jupyter-{app}", path=env.get("PATH")) is None:
        log.error(f"DOCKER_STACKS_JUPYTER_CMD={app!r}: there is no jupyter-{app} here: using {DEFAULT_APP}")
        return DEFAULT_APP
    return app


def runtime_dir(env: Mapping[str, str]) -> str:
    """Where Jupyter writes its server's runtime file (jupyter_core's rule)."""
    return env.get("JUPYTER_RUNTIME_DIR") or f"{data_dir(env)}/runtime"


def data_dir(env: Mapping[str, str]) -> str:
    """Jupyter's data directory (jupyter_core's rule, for the variables this image sets)."""
    return env.get("JUPYTER_DATA_DIR") or f"{env.get('HOME', '/tmp')}/.local/share/jupyter"


def certificate(env: Mapping[str, str]) -> Path:
    """Where GEN_CERT's self-signed certificate goes: Jupyter's data directory, as docker-stacks."""
    return Path(data_dir(env)) / "notebook.pem"


def singleuser(env: Mapping[str, str], extra: list[str]) -> Command:
    """jupyterhub-singleuser, which reads its settings from the hub's JUPYTERHUB_* variables."""
    service = urlsplit(env.get("JUPYTERHUB_SERVICE_URL") or f"http://0.0.0.0:{DEFAULT_PORT}/")
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX") or service.path or "/"
    try:
        listen = service.port or DEFAULT_PORT
    except ValueError:
        log.error(f"JUPYTERHUB_SERVICE_URL={service.geturl()!r} has no valid port: the health check assumes 8888")
        listen = DEFAULT_PORT
    api = f"{service.scheme or 'http'}://127.0.0.1:{listen}{prefix.rstrip('/')}/api"
    return Command(["jupyterhub-singleuser", *notebook_args(env), *extra], api)


def sets(args: list[str], *options: str) -> bool:
    """Whether the user's arguments set one of Jupyter's `options` (`--opt=v` or `--opt v`)."""
    return any(arg.split("=", 1)[0] in options for arg in args)


def notebook(env: Mapping[str, str], extra: list[str]) -> Command:
    """`jupyter lab` (or DOCKER_STACKS_JUPYTER_CMD) on every address, IPv4 and IPv6, at JUPYTER_PORT.

    The user's own --ip or --port (NOTEBOOK_ARGS, arguments) replace ours: Jupyter takes one of each.
    """
    users = [*notebook_args(env), *extra]
    listen = port(env)
    argv = ["jupyter", jupyter_app(env)]
    if not sets(users, "--ip", "--ServerApp.ip"):
        argv.append("--ServerApp.ip=")
    if not sets(users, "--port", "--ServerApp.port"):
        argv.append(f"--ServerApp.port={listen}")
    argv.append("--ServerApp.open_browser=False")
    if env.get("NB_USER") == "root" and not sets(users, "--allow-root", "--ServerApp.allow_root"):
        argv.append("--ServerApp.allow_root=True")  # NB_USER=root asked for it (Jupyter refuses root otherwise)
    scheme = "http"
    if "GEN_CERT" in env:
        argv.append(f"--ServerApp.certfile={certificate(env)}")
        scheme = "https"
    return Command([*argv, *users], f"{scheme}://127.0.0.1:{listen}/api")


def command(args: list[str], env: Mapping[str, str]) -> Command:
    """The user's command, or Jupyter: jupyterhub-singleuser when spawned by a hub, else JupyterLab.

    `start.sh CMD...` runs CMD (bash when none); `start-notebook*` and `start-singleuser*`
    run Jupyter as docker-stacks' scripts of those names do, with the arguments after them.
    """
    name = Path(args[0]).name if args else "start-notebook"
    if name == START_SH:
        return command(args[1:], env) if args[1:] else Command(["bash"], None)
    if name in START_SINGLEUSER or (name in START_NOTEBOOK and env.get("JUPYTERHUB_API_TOKEN")):
        return singleuser(env, args[1:])
    if name in START_NOTEBOOK:
        return notebook(env, args[1:])
    return Command(args, None)


def serves(args: list[str]) -> bool:
    """Whether the command is Jupyter (a start script's), not one of the user's."""
    name = Path(args[0]).name if args else "start-notebook"
    if name == START_SH:
        return serves(args[1:]) if args[1:] else False
    return name in START_NOTEBOOK or name in START_SINGLEUSER


def resource_limits(env: dict[str, str]) -> None:
    """The container's cgroup limits for jupyter-resource-usage's gauges in Lab's status bar.

    MEM_LIMIT (bytes) and CPU_LIMIT (CPUs) are what it shows usage against (else the host's
    memory and no CPU limit); the user's own (or a hub spawner's) are kept.
    """
    env.setdefault("MEM_LIMIT", str(resources.memory_bytes()))
    env.setdefault("CPU_LIMIT", f"{resources.cpu_share():g}")


def dask_dashboard_link(env: dict[str, str]) -> None:
    """Dask's dashboard link under a hub's prefix, where Jupyter proxies it (jupyter-server-proxy).

    scipy-notebook/dask.yaml links to /proxy/{port}/status, right without a hub; Dask cannot
    format a link naming JUPYTERHUB_SERVICE_PREFIX where that is unset. The user's own is kept.
    """
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        env.setdefault("DASK_DISTRIBUTED__DASHBOARD__LINK", f"{prefix.rstrip('/')}/proxy/{{port}}/status")


def make_certificate(env: Mapping[str, str]) -> None:
    """GEN_CERT: a self-signed certificate for Jupyter's https, made once per home."""
    pem = certificate(env)
    if pem.exists():
        return
    try:
        selfsigned.make(pem, "/O=generated/CN=htc-notebook", days=365)
    except OSError as exc:
        log.error(f"GEN_CERT: cannot make {pem} ({exc.strerror}): unset GEN_CERT, or make its folder writable")
        return
    log.info(f"GEN_CERT: Jupyter serves https with a self-signed certificate, {pem}")

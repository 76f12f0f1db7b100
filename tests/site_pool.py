"""A small HTCondor site made of containers: central manager, submit node, two execute nodes.

Each is a container of the node image, by default the image under test, its daemons run by
the notebook's uid with tests/site/site-pool.conf. IDTOKENS throughout: the signing key is
made here at test time; the central manager and the submit node hold it, the execute nodes and
the notebook user get tokens. The notebook's home is a volume shared with the submit node at
the same path.

Version skew (`node_image()`): every node of the site runs Debian stable's HTCondor 23.9.6,
as at a site that has not upgraded, and only the notebook is newer. The execute nodes too: a
site's execute nodes run the site's HTCondor, not the notebook's, and HTMap's `shared`
delivery needs nothing of the notebook there but its Python environment at the same path
(the job's executable is the notebook's sys.executable, /opt/venv/bin/python, running HTMap's
run script with cloudpickle). A site provides that environment the way it shares software
(a shared file system): here a volume filled from the image under test and mounted read-only
at /opt/venv; the node image has trixie's Python, which the venv is made from.

Jobs in containers (`execute_image`): execute nodes with nothing of the notebook, no shared
file system, only HTCondor and a container runtime, as at CHTC and the OSPool. The runtime is
the host's Docker engine through its socket (Apptainer's docker:// jobs pull and convert the
image once per job here: 132-161 s, against 5 s); the startd's execute folder has the same path
on the host and in the node, as the engine mounts it into the job's container. The image under
test is pushed to a registry on loopback and named by digest in HTC_JOB_IMAGE, the site's one
variable, and HTMap's remote default, the container delivery, runs every component in it.

A notebook as its own access point (`access_point_env`) joins such a site with the collector
and the user's token only: its own schedd, no volume shared with any node. The site's one line
for it is ALLOW_ADVERTISE_SCHEDD in tests/site/site-pool.conf.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.containers import LABEL, Container, Containers, docker
from tests.images import version
from tests.registry import loopback_registry, push

SITE = Path(__file__).parent / "site"
SITE_CONF = SITE / "site-pool.conf"
NODE_IMAGE = "htc-test-site-node"
CONDOR23_VERSION = "23.9.6"
VENV = "/opt/venv"
NB_UID, NB_GID = 1000, 100
DOCKER_SOCKET = "/var/run/docker.sock"
SCHEDD = "submit@submit"  # the schedd's Name, as _CONDOR_SCHEDD_HOST wants it
EXECUTE_NODES = ("exec1", "exec2")
# What an access point logs once its schedd is in the site's collector (then its name).
ACCESS_POINT_READY = "access point ready: collector 'cm' answered, token for jovyan@site accepted, schedd 'notebook@"
START_DAEMONS = (
    "mkdir -p /tmp/condor/log /tmp/condor/spool /tmp/condor/execute /tmp/condor/lock /tmp/condor/run"
    " && exec condor_master -f"
)


def build_test_image(tag: str, context: Path, *options: str) -> str:
    """`docker buildx build` a test-only image (cached by docker); fail with the build's output."""
    args = ["docker", "buildx", "build", "--load", "-q", "-t", tag, *options, str(context)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return tag


def node_image(condor_version: str = CONDOR23_VERSION) -> str:
    """Build (or find in docker's cache) a site node: Debian's HTCondor, Docker's client, nothing of ours.

    Debian stable's 23.9.6 by default, or the notebook's version from CONDOR_SUITE (testing).
    """
    root_image = os.environ.get("ROOT_IMAGE", "debian:trixie-slim")
    suite = "trixie" if condor_version == CONDOR23_VERSION else version("CONDOR_SUITE")
    return build_test_image(
        f"{NODE_IMAGE}:{condor_version}",
        SITE / "node",
        *("--build-arg", f"ROOT_IMAGE={root_image}", "--build-arg", f"CONDOR_VERSION={condor_version}"),
        *("--build-arg", f"CONDOR_SUITE={suite}"),
    )


def fill_volume(name: str, image: str, path: str) -> tuple[str, subprocess.Popen[str]]:
    """A new volume, and the running copy into it of what `image` has at `path` (docker fills an empty volume)."""
    volume = docker("volume", "create", "--label", LABEL, name).stdout.strip()
    copy = ["docker", "run", "--rm", "--label", LABEL, "-v", f"{volume}:{path}", "--entrypoint", "true", image]
    return volume, subprocess.Popen(copy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def filled(copy: subprocess.Popen[str]) -> None:
    """Wait for a volume's copy to end."""
    _, err = copy.communicate(timeout=600)
    assert copy.returncode == 0, err


def private_file(path: Path, text: str) -> Path:
    """Write a file only the notebook user (who runs the site's daemons) may read."""
    path.write_text(text)
    path.chmod(0o600)
    os.chown(path, NB_UID, NB_GID)
    return path


@dataclass
class Site:
    """A running site pool and what a notebook needs to join it."""

    image: str
    node_image: str
    prefix: str
    folder: Path
    execute_image: str = ""
    job_image: str = ""  # HTC_JOB_IMAGE: the image under test in the registry, by digest
    network: str = ""
    home_volume: str = ""
    venv_volume: str = ""
    user_token: str = ""
    roles: dict[str, str] = field(default_factory=dict)

    def token(self, identity: str) -> str:
        """Issue an IDTOKEN for `identity`, signed with the site's key."""
        return docker(
            "run",
            "--rm",
            "--label",
            LABEL,
            "-e",
            "CONDOR_CONFIG=/etc/condor/site-pool.conf",
            "-v",
            f"{SITE_CONF}:/etc/condor/site-pool.conf:ro",
            "-v",
            f"{self.folder / 'POOL'}:/site/passwords.d/POOL:ro",
            "--entrypoint",
            "condor_token_create",
            self.node_image,
            "-identity",
            identity,
            "-key",
            "POOL",
        ).stdout.strip()

    def start_role(self, host: str, daemons: str, *mounts: str, image: str = "", options: tuple[str, ...] = ()) -> str:
        """Start one site node (of the node image unless `image`)."""
        args = [
            "run",
            "-d",
            "--name",
            f"{self.prefix}-{host}",
            "--hostname",
            host,
            "--network",
            self.network,
            "--network-alias",
            host,
            "--label",
            LABEL,
            "-e",
            "CONDOR_CONFIG=/etc/condor/site-pool.conf",
            "-e",
            f"_CONDOR_DAEMON_LIST={daemons}",
            "-v",
            f"{SITE_CONF}:/etc/condor/site-pool.conf:ro",
            "-v",
            f"{self.folder / 'condor.token'}:/site/tokens.d/condor.token:ro",
        ]
        for mount in mounts:
            args += ["-v", mount]
        cid = docker(
            *args, *options, "--entrypoint", "sh", image or self.node_image, "-c", START_DAEMONS
        ).stdout.strip()
        self.roles[host] = cid
        return cid

    def notebook_env(self, **extra: str) -> dict[str, str]:
        """What a site admin sets for a notebook: the schedd, the collector, the user's token."""
        return {
            "_CONDOR_SCHEDD_HOST": SCHEDD,
            "_CONDOR_COLLECTOR_HOST": "cm",
            "HTC_CONDOR_TOKEN": self.user_token,
            # Jobs in containers: the site's one variable names the image in its registry.
            # Otherwise the execute nodes share the notebook's environment (its image, or a
            # volume at /opt/venv): HTMap's shared delivery, not the remote default (container).
            **({"HTC_JOB_IMAGE": self.job_image} if self.job_image else {"HTMAP_DELIVERY_METHOD": "shared"}),
            **extra,
        }

    def access_point_env(self, **extra: str) -> dict[str, str]:
        """A notebook as its own access point: the collector and the user's token, nothing shared."""
        env = {"_CONDOR_COLLECTOR_HOST": "cm", "HTC_CONDOR_TOKEN": self.user_token, "HTC_JOB_IMAGE": self.job_image}
        return env | extra

    def start_access_point(self, containers: Containers) -> Container:
        """A notebook as its own access point on the site's network, no volume; once its schedd is in."""
        box = containers.start(env=self.access_point_env(), options=("--network", self.network), wait="jupyter")
        box.wait_for_log(ACCESS_POINT_READY, timeout=120)
        return box

    def notebook_options(self) -> tuple[str, ...]:
        """The site network, and the user's home shared with the submit node."""
        return ("--network", self.network, "-v", f"{self.home_volume}:/home/jovyan")

    def start_notebook(self, containers: Containers, wait: str = "jupyter", **env: str) -> Container:
        """A notebook container joined to the site, with the given environment changes."""
        return containers.start(env=self.notebook_env(**env), options=self.notebook_options(), wait=wait)

    def start_execute_node(self, host: str, *mounts: str) -> str:
        """An execute node, of the node image with the notebook's environment mounted.

        With `execute_image`, of that image instead: it runs jobs in containers on the host's engine.
        """
        if not self.execute_image:
            return self.start_role(host, "MASTER, STARTD", *mounts)
        execute = self.folder / f"{host}-execute"
        execute.mkdir()
        os.chown(execute, NB_UID, NB_GID)
        options = (
            *("-v", f"{execute}:{execute}", "-e", f"_CONDOR_EXECUTE={execute}"),
            *("-v", f"{DOCKER_SOCKET}:{DOCKER_SOCKET}", "--group-add", str(os.stat(DOCKER_SOCKET).st_gid)),
            # The startd's own test container at start (docker load, then run) once took over the
            # 120 s below on this busy engine (CI, after a 3 GB push): HasDocker from `docker info`
            # alone; the site's jobs run in Docker all the same, and the tests' jobs check it.
            *("-e", "_CONDOR_DOCKER_PERFORM_TEST=false"),
            # Jobs' containers on the site's network, as a site's jobs reach its hosts (Apptainer
            # jobs share their node's network): Dask's workers reach a notebook's scheduler.
            *("-e", f"_CONDOR_DOCKER_EXTRA_ARGUMENTS=--network={self.network}"),
        )
        return self.start_role(host, "MASTER, STARTD", image=self.execute_image, options=options)

    def daemons(self) -> list[str]:
        """MyType of every ad the collector holds, as the central manager sees them."""
        return docker("exec", self.roles["cm"], "condor_status", "-any", "-af", "MyType", check=False).stdout.split()

    def container_nodes(self) -> list[str]:
        """The execute nodes whose ads say they run containers (HasDocker), as the central manager sees them."""
        query = ("condor_status", "-const", "HasDocker =?= true", "-af", "Machine")
        return docker("exec", self.roles["cm"], *query, check=False).stdout.split()


@contextmanager
def site_pool(image: str, node_image: str | None = None, execute_image: str = "") -> Iterator[Site]:
    """Start the site, its nodes of `node_image` (default: `image`); remove all of it afterwards.

    With `execute_image`, the execute nodes are of that image and run jobs in containers.
    """
    prefix = f"htc-site-{uuid.uuid4().hex[:6]}"
    site = Site(image, node_image or image, prefix, Path(tempfile.mkdtemp(prefix=prefix)), execute_image)
    copies: list[subprocess.Popen[str]] = []
    registry = ExitStack()
    try:
        if execute_image:
            site.job_image = "docker://" + push(image, registry.enter_context(loopback_registry()))
        # Execute nodes of another image get the notebook's Python environment as a site shares
        # it; the copy (the longest step: ~30 s for the base image's venv) runs meanwhile.
        venv: tuple[str, ...] = ()
        if site.node_image != image and not execute_image:
            site.venv_volume, copy = fill_volume(f"{prefix}-venv", image, VENV)
            copies.append(copy)
            venv = (f"{site.venv_volume}:{VENV}:ro",)
        private_file(site.folder / "POOL", secrets.token_hex(32))
        private_file(site.folder / "condor.token", site.token("condor@site"))
        site.user_token = site.token("jovyan@site")
        docker("network", "create", "--label", LABEL, prefix)
        site.network = prefix
        site.home_volume, copy = fill_volume(f"{prefix}-home", image, "/home/jovyan")
        copies.append(copy)
        filled(copy)
        key = f"{site.folder / 'POOL'}:/site/passwords.d/POOL:ro"
        site.start_role("cm", "MASTER, COLLECTOR, NEGOTIATOR", key)
        site.start_role("submit", "MASTER, SCHEDD", key, f"{site.home_volume}:/home/jovyan")
        for copy in copies:
            filled(copy)
        for host in EXECUTE_NODES:
            site.start_execute_node(host, *venv)
        box = Container(site.roles["cm"], f"{prefix}-cm")
        box.wait_for(
            lambda: site.daemons().count("Machine") == len(EXECUTE_NODES) and "Scheduler" in site.daemons(),
            "site pool with two execute nodes and a schedd",
            timeout=120,
        )
        if execute_image:
            # A startd advertises HasDocker once it has checked the engine, after its first ad:
            # until both have, every container job matches the first node (CI, once).
            box.wait_for(
                lambda: len(site.container_nodes()) == len(EXECUTE_NODES), "two execute nodes with Docker", timeout=120
            )
        for host in EXECUTE_NODES if site.venv_volume else ():
            done = docker("exec", site.roles[host], f"{VENV}/bin/python", "-c", "import cloudpickle", check=False)
            assert done.returncode == 0, f"{host} cannot run the notebook's {VENV}/bin/python: {done.stderr[-2000:]}"
        yield site
    finally:
        for copy in copies:
            copy.kill()
            copy.wait()
        for cid in site.roles.values():
            docker("rm", "-f", "-v", cid, check=False)
        if site.network:
            docker("network", "rm", site.network, check=False)
        for volume in (site.home_volume, site.venv_volume):
            if volume:
                docker("volume", "rm", "-f", volume, check=False)
        shutil.rmtree(site.folder, ignore_errors=True)
        registry.close()


ROOT = Path(__file__).parents[1]
HUB_IMAGE = "htc-test-hub:latest"
CA_BUNDLE = os.environ.get("CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")


@dataclass
class Hub:
    """A running test JupyterHub on the site network."""

    cid: str
    port: int
    api_token: str
    user_prefix: str


@contextmanager
def hub(site: Site, base_image: str, access_point: bool = False) -> Iterator[Hub]:
    """JupyterHub (DockerSpawner, Debian's configurable-http-proxy) spawning the image under test.

    With `access_point`, the notebook is its own access point: no home shared with the site.
    """
    build_test_image(
        HUB_IMAGE,
        ROOT,
        *("-f", str(ROOT / "tests/site/hub/Dockerfile"), "--build-arg", f"BASE_IMAGE={base_image}"),
        *("--secret", f"id=cacert,src={CA_BUNDLE}"),
    )
    api_token = secrets.token_hex(16)
    env = {
        "NOTEBOOK_IMAGE": site.image,
        "SITE_NETWORK": site.network,
        "SPAWN_PREFIX": f"{site.prefix}-spawned",
        "NOTEBOOK_ENV": json.dumps(site.access_point_env() if access_point else site.notebook_env()),
        "HOME_VOLUME": "" if access_point else site.home_volume,
        "HUB_HOST": "hub",
        "HUB_PASSWORD": secrets.token_hex(8),
        "HUB_API_TOKEN": api_token,
    }
    args = [
        "run",
        "-d",
        "--name",
        f"{site.prefix}-hub",
        "--hostname",
        "hub",
        "--network",
        site.network,
        "--network-alias",
        "hub",
        "--label",
        LABEL,
        "-p",
        "127.0.0.1::8000",
        "-u",
        "0",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
    ]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    cid = docker(*args, HUB_IMAGE).stdout.strip()
    try:
        port = int(docker("port", cid, "8000").stdout.split(":")[-1].split()[0])
        yield Hub(cid, port, api_token, f"{site.prefix}-spawned")
    finally:
        docker("rm", "-f", cid, check=False)
        docker("rm", "-f", "-v", f"{site.prefix}-spawned-jovyan", check=False)

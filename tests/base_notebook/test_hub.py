"""Spawned by JupyterHub: the notebook reaches the site pool the same way.

The hub starts the image with the site's environment; a kernel of the spawned server, driven
through the Jupyter server's kernel API as a real client would, maps onto the site pool.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests import jupyter_kernel
from tests.containers import docker
from tests.site_pool import EXECUTE_NODES, SCHEDD, Hub, Site, hub

USER = "jovyan"


def call(hub_: Hub, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:  # noqa: ANN401
    """A JSON request to the hub's proxy; returns the decoded answer (None when empty)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{hub_.port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (http to the test's hub)
        text = answer.read()
    return json.loads(text) if text else None


def wait(predicate: Any, what: str, timeout: float = 240) -> None:  # noqa: ANN401
    """Poll until `predicate()` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {timeout:.0f} s")


def execute(hub_: Hub, token: str, kernel: str, code: str, timeout: float = 300) -> str:
    """Run code in a kernel of the user's server, through the hub's proxy; return its stdout."""
    return jupyter_kernel.execute(f"127.0.0.1:{hub_.port}/user/{USER}", token, kernel, code, timeout)


@contextmanager
def spawn(site: Site, access_point: bool = False) -> Iterator[tuple[Hub, str]]:
    """A hub on the site, and a token of the user whose server it has spawned."""
    with hub(site, "htcondor/htc-base-notebook:latest", access_point) as hub_:
        wait(lambda: call(hub_, "GET", "/hub/api/", hub_.api_token) is not None, "hub answering")
        # The hub made the user from its allowed_users at start.
        call(hub_, "POST", f"/hub/api/users/{USER}/server", hub_.api_token)
        wait(
            lambda: call(hub_, "GET", f"/hub/api/users/{USER}", hub_.api_token)["servers"].get("", {}).get("ready"),
            "spawned server ready",
        )
        token = call(hub_, "POST", f"/hub/api/users/{USER}/tokens", hub_.api_token, {"expires_in": 3600})["token"]
        yield hub_, token
        call(hub_, "DELETE", f"/hub/api/users/{USER}/server", hub_.api_token)


@pytest.fixture(scope="module")
def spawned(base_site: Site) -> Iterator[tuple[Hub, str]]:
    """The hub, and a token of the user whose server it has spawned.

    With the base image only: a spawned server starts by base's layers (start-singleuser.sh,
    the entrypoint) in every image, and each child image's own site test maps in remote mode.
    A hub and a spawn per child image cost CI 1 to 1.5 minutes each.
    """
    with spawn(base_site) as spawned_:
        yield spawned_


@pytest.fixture  # one test's: its hub is gone before the next hub starts (the same names)
def spawned_at_container_site(base_container_site: Site) -> Iterator[tuple[Hub, str, Site]]:
    """The same at a site whose execute nodes share nothing with the notebook, and the site."""
    with spawn(base_container_site) as (hub_, token):
        yield hub_, token, base_container_site


@pytest.fixture
def spawned_as_access_point(base_container_site: Site) -> Iterator[tuple[Hub, str, Site]]:
    """The same site, the notebook spawned as its own access point: no home shared with the site."""
    with spawn(base_container_site, access_point=True) as (hub_, token):
        yield hub_, token, base_container_site


def test_spawned_kernel_maps_onto_the_site_pool(spawned: tuple[Hub, str]) -> None:
    hub_, token = spawned
    kernel = call(hub_, "POST", f"/user/{USER}/api/kernels", token, {"name": "python3"})["id"]
    out = execute(hub_, token, kernel, "import os\nprint(os.environ['_CONDOR_SCHEDD_HOST'])")
    assert out.strip() == SCHEDD
    out = execute(
        hub_,
        token,
        kernel,
        "import htmap, socket\nprint(sorted(set(htmap.map(lambda _: socket.gethostname(), range(20)))))",
    )
    assert out.strip().splitlines()[-1] == str(sorted(EXECUTE_NODES))


def test_spawned_server_refuses_requests_without_token(spawned: tuple[Hub, str]) -> None:
    hub_, _ = spawned
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(hub_, "GET", f"/user/{USER}/api/contents", "not-a-token")
    assert refused.value.code in (401, 403)


SEED = """
import json
import htmap

def double(x):
    return 2 * x

doubled = htmap.map(double, range(10), tag="Simulation1")
print(list(doubled))
print("seed:", json.dumps([list(doubled), doubled.stderr[0]]))
"""


def test_a_spawned_notebook_runs_big_in_its_own_image_at_a_site_that_shares_nothing(
    spawned_at_container_site: tuple[Hub, str, Site],
) -> None:
    hub_, token, container_site = spawned_at_container_site
    kernel = call(hub_, "POST", f"/user/{USER}/api/kernels", token, {"name": "python3"})["id"]
    out = execute(hub_, token, kernel, SEED)
    [seed] = [json.loads(line.removeprefix("seed: ")) for line in out.splitlines() if line.startswith("seed: ")]
    assert seed == [[2 * x for x in range(10)], ""], out  # and the image as a job's container says nothing
    # Every component a container job of the notebook's image, by digest, on an execute node.
    ads = docker(
        "exec", container_site.roles["submit"], "condor_history", "-const", 'JobBatchName == "Simulation1"',
        "-af", "WantContainer", "ContainerImage", "LastRemoteHost",
    ).stdout.splitlines()  # fmt: skip
    assert len(ads) == 10 and {ad.split()[:2] == ["true", container_site.job_image] for ad in ads} == {True}, ads
    assert {ad.split()[2].split("@")[1] for ad in ads} <= set(EXECUTE_NODES)
    # The execute nodes' own logs: the site's Docker ran the image with the run script.
    image = container_site.job_image.removeprefix("docker://")
    started = 0
    for host in EXECUTE_NODES:
        logs = docker("exec", container_site.roles[host], "sh", "-c", "cat /tmp/condor/log/StarterLog.slot*").stdout
        started += sum(f"{image} /opt/venv/bin/python _htmap_run.py" in line for line in logs.splitlines())
    assert started >= 10


def test_a_notebook_spawned_as_its_own_access_point_runs_the_seed_map_at_the_site(
    spawned_as_access_point: tuple[Hub, str, Site],
) -> None:
    hub_, token, site = spawned_as_access_point
    assert docker("inspect", "-f", "{{len .Mounts}}", f"{hub_.user_prefix}-{USER}").stdout.strip() == "0"
    kernel = call(hub_, "POST", f"/user/{USER}/api/kernels", token, {"name": "python3"})["id"]
    out = execute(hub_, token, kernel, SEED)
    [seed] = [json.loads(line.removeprefix("seed: ")) for line in out.splitlines() if line.startswith("seed: ")]
    assert seed == [[2 * x for x in range(10)], ""], out
    # This notebook's own schedd ran them, each a container job of its image.
    code = "import htcondor2\nprint(htcondor2.Schedd().history('JobBatchName == \"Simulation1\"', ['ContainerImage']))"
    assert execute(hub_, token, kernel, code).count(site.job_image) == 10

"""Dask on the pool: HTCondorCluster() with no arguments, in the personal pool and at a site, and Lab's Dask sidebar."""

import json
import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.base_notebook.test_dashboard import fetch, until
from tests.containers import Container, Containers
from tests.site_pool import EXECUTE_NODES, Site

# Workers of HTCondorCluster(), scaled to 2, compute an array's sum; each worker is a running job
# of the pool, on the loopback interface, with the notebook's Python and its job's scratch
# directory; the dashboard opens through Jupyter, and only Jupyter listens beyond the loopback;
# after close no worker job is left.
CLUSTER_SCRIPT = """
import json, os, sys, time, urllib.request
import dask.array as da
import htcondor2
from dask.distributed import Client
from dask_jobqueue import HTCondorCluster

def worker_jobs():
    return htcondor2.Schedd().query(
        constraint="DaskWorkerName =!= undefined", projection=["ClusterId", "ProcId", "JobStatus", "Arguments"]
    )

def open_ports():
    # Ports listening beyond the loopback interface (/proc/net/tcp*: state 0A, hex addresses).
    loopback = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            host, port = local.split(":")
            if state == "0A" and host not in loopback:
                ports.add(int(port, 16))
    return sorted(ports)

def jupyter(path):
    request = urllib.request.Request("http://127.0.0.1:8888" + path)
    request.add_header("Authorization", "token " + os.environ["TOKEN"])
    return urllib.request.urlopen(request, timeout=30)

def dashboard(link):
    with jupyter(link) as answer:
        return answer.status

def htcondor_dashboard_jobs():
    # The HTCondor dashboard's running jobs, by batch name (dask-jobqueue's: HTCondorCluster-N).
    with jupyter("/htcondor/state.json") as answer:
        states = json.load(answer)["jobs"]["states"]
    return sorted(job["batch"] for state in states if state["state"] == "running" for job in state["jobs"])

started = time.monotonic()
cluster = HTCondorCluster()
cluster.scale(2)
client = Client(cluster)
client.wait_for_workers(2, timeout=120)
result = {
    "ready": round(time.monotonic() - started, 1),
    "sum": float(da.ones((1000, 1000), chunks=100).sum().compute()),
    "scheduler": cluster.scheduler_address,
    "workers": sorted(client.scheduler_info()["workers"]),
    "cluster_jobs": sorted(job.job_id for job in cluster.workers.values()),
    "queue": [
        {"id": f"{ad['ClusterId']}.{ad['ProcId']}", "status": ad["JobStatus"], "args": ad["Arguments"]}
        for ad in worker_jobs()
    ],
    "python": sorted(set(client.run(lambda: sys.executable).values())),
    "local": sorted(client.run(lambda dask_worker: dask_worker.local_directory).values()),
    "job_script": cluster.job_script(),
    "link": cluster.dashboard_link,
    "dashboard": dashboard(cluster.dashboard_link),
    "open_ports": open_ports(),
    "htcondor_dashboard": htcondor_dashboard_jobs(),
}
client.close()
cluster.close()
deadline = time.monotonic() + 60
while worker_jobs() and time.monotonic() < deadline:
    time.sleep(0.2)
result["left"] = len(worker_jobs())
print(json.dumps(result))
"""


def test_htcondor_cluster_with_no_arguments_runs_workers_as_jobs_of_the_pool(container: Container) -> None:
    container.exec("sh", "-c", f"cat > /tmp/dask_cluster.py <<'EOF'\n{CLUSTER_SCRIPT}\nEOF")
    done = container.exec("python", "/tmp/dask_cluster.py", env={"TOKEN": container.token()}, check=False, timeout=300)
    assert done.returncode == 0, f"script failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["sum"] == 1e6, result
    # Two running jobs (JobStatus 2), the cluster's own, each a dask worker.
    assert sorted(job["id"] for job in result["queue"]) == result["cluster_jobs"], result
    assert len(result["queue"]) == 2 and {job["status"] for job in result["queue"]} == {2}, result
    assert all("distributed.cli.dask_worker" in job["args"] for job in result["queue"]), result
    # Scheduler and workers on the loopback interface; the notebook's Python; scratch per job.
    assert result["scheduler"].startswith("tcp://127.0.0.1:"), result
    assert all(worker.startswith("tcp://127.0.0.1:") for worker in result["workers"]), result
    assert result["python"] == ["/opt/venv/bin/python"], result
    assert all("/execute/dir_" in path for path in result["local"]), result
    assert "RequestCpus = MY.DaskWorkerCores" in result["job_script"], result["job_script"]
    assert "MY.DaskWorkerMemory = 2147483648" in result["job_script"], result["job_script"]
    # The dashboard through jupyter-server-proxy, at the link Dask gives.
    assert result["link"].startswith("/proxy/") and result["link"].endswith("/status"), result
    assert result["dashboard"] == 200, result
    # Nothing of Dask's listens beyond the loopback: only Jupyter does.
    assert result["open_ports"] == [8888], result
    # The HTCondor dashboard shows them as the user's running jobs.
    assert len(result["htcondor_dashboard"]) == 2, result
    assert all(batch.startswith("HTCondorCluster-") for batch in result["htcondor_dashboard"]), result
    assert result["left"] == 0, result


def test_the_dask_sidebar_makes_and_scales_an_htcondor_cluster(container: Container) -> None:
    """What Lab's Dask sidebar does, through dask-labextension's server API: new cluster, scale, shut down."""
    # Lab's page loads the extension: its page config lists it, not disabled, and its code is served.
    token = {"Authorization": f"token {container.token()}"}
    base = f"http://127.0.0.1:{container.port()}"
    status, page = fetch(f"{base}/lab", headers=token)
    assert status == 200
    config = json.loads(re.search(rb'id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)[1])
    [extension] = [e for e in config["federated_extensions"] if e["name"] == "dask-labextension"]
    assert "dask-labextension" not in str(config.get("disabledExtensions")), config.get("disabledExtensions")
    status, _ = fetch(f"{base}/lab/extensions/dask-labextension/{extension['load']}", headers=token)
    assert status == 200
    # Its server side, behind Jupyter's token.
    assert container.http_status("/dask/clusters") == 403
    assert container.get_json("/dask/clusters") == []
    model = container.get_json("/dask/clusters", "PUT")
    path = f"/dask/clusters/{model['id']}"
    try:
        assert model["scheduler_address"].startswith("tcp://127.0.0.1:"), model
        # The sidebar opens the dashboard there, under Lab's own base URL.
        status, _ = fetch(base + model["dashboard_link"], headers=token)
        assert model["dashboard_link"].startswith("/proxy/") and status == 200, model
        container.get_json(path, "PATCH", {"workers": 1})
        deadline = time.monotonic() + 120
        while container.get_json(path)["workers"] < 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert container.get_json(path)["workers"] == 1
        assert worker_jobs(container) == [2]
    finally:
        container.get_json(path, "DELETE")
    assert container.get_json("/dask/clusters") == []
    container.wait_for(lambda: not worker_jobs(container), "the worker job gone from the queue", 60)


def test_the_dask_sidebar_in_lab_makes_a_cluster_and_shows_its_dashboard(
    own_image_only: None, container: Container, browser: WebDriver
) -> None:
    """In the browser: Lab's Dask tab, + NEW makes an HTCondorCluster, its dashboard connects, SHUTDOWN.

    Scipy's only: its children add packages, not Lab's extensions (the server API test above runs
    in each of them and finds dask-labextension loaded).
    """
    browser.get(f"http://127.0.0.1:{container.port()}/lab?token={container.token()}")
    tab = 'li.lm-TabBar-tab[data-id="dask-dashboard-launcher"]'
    until(browser, "Lab's Dask tab", lambda d: d.find_element(By.CSS_SELECTOR, tab)).click()
    new = "//*[@id='dask-dashboard-launcher']//*[normalize-space(text())='NEW']"
    until(browser, "the sidebar's NEW button", lambda d: d.find_element(By.XPATH, new)).click()
    item = until(
        browser, "a cluster in the sidebar", lambda d: d.find_element(By.CSS_SELECTOR, ".dask-ClusterListingItem")
    )
    assert item.text.startswith("HTCondorCluster"), item.text
    assert "Scheduler Address: tcp://127.0.0.1:" in item.text and "Dashboard URL: /proxy/" in item.text, item.text
    # Connected: the sidebar lists the dashboard's plots, which it found through Jupyter's proxy.
    plots = "//*[@id='dask-dashboard-launcher']//*[normalize-space(text())='Task Stream']"
    until(browser, "the dashboard's plots in the sidebar", lambda d: d.find_element(By.XPATH, plots))
    shutdown = ".//*[normalize-space(text())='SHUTDOWN']"
    item.find_element(By.XPATH, shutdown).click()
    until(browser, "the cluster gone", lambda d: not d.find_elements(By.CSS_SELECTOR, ".dask-ClusterListingItem"))
    container.wait_for(lambda: not worker_jobs(container), "no worker job in the queue", 60)


def worker_jobs(box: Container) -> list[int]:
    """The status of each dask worker job in the pool's queue (2: running)."""
    constraint = "DaskWorkerName =!= undefined"  # every job of dask-jobqueue's has it
    return [int(status) for status in box.exec("condor_q", "-const", constraint, "-af", "JobStatus").stdout.split()]


# The same cluster at a site that shares nothing with the notebook, the notebook a client of the
# site's schedd (remote mode) or its own access point: each worker a job of that schedd on an
# execute node, in the notebook's image; the scheduler on the site-facing address, over TLS that
# refuses whoever lacks the key; no worker job after close.
SITE_CLUSTER_SCRIPT = """
import json, os, socket, ssl, sys
import dask.array as da
import htcondor2
from dask.distributed import Client
from dask_jobqueue import HTCondorCluster

def worker_jobs():
    projection = ["JobStatus", "RemoteHost", "ContainerImage"]
    return htcondor2.Schedd().query(constraint="DaskWorkerName =!= undefined", projection=projection)

def answers_without_the_key(address):
    # A TLS client that trusts the scheduler but has no certificate of its own.
    host, port = address.removeprefix("tls://").rsplit(":", 1)
    context = ssl.create_default_context(cafile=os.environ["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"])
    context.check_hostname = False
    connection = socket.create_connection((host, int(port)), timeout=10)  # refused: the test fails here
    try:
        with context.wrap_socket(connection) as tls:
            return tls.recv(1) != b""  # TLS 1.3: a refusal arrives with the first read
    except TimeoutError:
        return True  # accepted, and waiting for a message
    except (ssl.SSLError, ConnectionError):
        return False

cluster = HTCondorCluster()
cluster.scale(2)
client = Client(cluster)
client.wait_for_workers(2, timeout=600)
result = {
    "sum": float(da.ones((1000, 1000), chunks=100).sum().compute()),
    "scheduler": cluster.scheduler_address,
    "workers": sorted(client.scheduler_info()["workers"]),
    "python": sorted(set(client.run(lambda: sys.executable).values())),
    "jobs": [[ad["JobStatus"], ad["RemoteHost"].split("@")[-1], ad["ContainerImage"]] for ad in worker_jobs()],
    "without_key": answers_without_the_key(cluster.scheduler_address),
}
client.close()
cluster.close()
print(json.dumps(result))
"""


@pytest.mark.parametrize("mode", ["remote", "access point"])
def test_htcondor_cluster_with_no_arguments_runs_workers_at_a_site_that_shares_nothing(
    scipy_site: Site, containers: Containers, mode: str
) -> None:
    if mode == "remote":
        notebook = scipy_site.start_notebook(containers)
    else:
        notebook = scipy_site.start_access_point(containers)
    notebook.wait_for_log("Dask at the site: HTCondorCluster() schedules on eth0 over TLS")
    result = json.loads(notebook.in_kernel(SITE_CLUSTER_SCRIPT, timeout=900).splitlines()[-1])
    assert result["sum"] == 1e6, result
    # Two running jobs of the site's schedd, on its execute nodes, in the notebook's image.
    assert len(result["jobs"]) == 2, result
    for status, node, image in result["jobs"]:
        assert status == 2 and node in EXECUTE_NODES and image == scipy_site.job_image, result
    assert result["python"] == ["/opt/venv/bin/python"], result
    # TLS from the notebook's site-facing address; workers at theirs, not the loopback.
    address = notebook.inspect()["NetworkSettings"]["Networks"][scipy_site.network]["IPAddress"]
    assert result["scheduler"].startswith(f"tls://{address}:"), result
    assert all(worker.startswith("tls://") and "127.0.0.1" not in worker for worker in result["workers"]), result
    assert result["without_key"] is False, result
    notebook.wait_for(lambda: not worker_jobs(notebook), "no worker job in the site's queue", 120)

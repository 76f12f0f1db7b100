"""The HTCondor dashboard's figures: page load and schedd queries per update, 1000 jobs against none.

The baseline is the same container with an empty queue, measured in the same run. Run alone
(`python bench/dashboard.py`) or as part of `make bench` (bench/run.py).
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

IMAGE = f"{os.environ.get('ORG', 'htcondor')}/htc-base-notebook:latest"
LOADS = 7
UPDATES = 10
# A map of 1000 components that stay in the queue (two run, the rest wait).
QUEUE_1000 = "import htmap, time; htmap.map(time.sleep, [3600] * 1000, tag='Bench1000')"
TARGETS = {"dashboard_load_s": "<= 1", "dashboard_schedd_queries_per_update": "<= 1"}


def docker(*args: str) -> str:
    """Run docker; return stdout."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def page_loads(driver: webdriver.Chrome, url: str) -> list[float]:
    """Seconds from navigation to the page drawn with its first state, LOADS times."""
    seconds = []
    for _ in range(LOADS):
        time.sleep(2.1)  # the dashboard shares a snapshot for 2 s: each load makes a new one
        driver.get(url)
        loaded = WebDriverWait(driver, 60, poll_frequency=0.05).until(
            lambda d: d.execute_script("return document.body.dataset.loadedMs")
        )
        seconds.append(int(loaded) / 1000)
    return seconds


def state(url: str, token: str) -> dict:
    """The dashboard's state.json, as the page gets it."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (the bench's container)
        return json.load(answer)


def queries_per_update(cid: str, state_url: str, token: str) -> float:
    """The schedd's job queries (its D_COMMAND log) per dashboard update, over UPDATES updates."""

    def queries() -> int:
        log = docker("exec", cid, "sh", "-c", "cat ~/.condor/state/log/SchedLog*")
        return log.count("Calling HandleReq <command_query_job_ads>")

    before = queries()
    for _ in range(UPDATES):
        assert state(state_url, token)["jobs"] is not None
        time.sleep(2.1)  # a new snapshot each time (the dashboard shares one for 2 s)
    return (queries() - before) / UPDATES


def measure() -> dict[str, dict[str, list[float]]]:
    """{"ours": figures with 1000 jobs queued, "baseline": the same with none}."""
    cid = docker("run", "-d", "-e", "_CONDOR_SCHEDD_DEBUG=D_COMMAND", "-p", "127.0.0.1::8888", IMAGE).strip()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        for _ in range(600):
            if "pool ready:" in subprocess.run(["docker", "logs", cid], capture_output=True, text=True).stderr:
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"bench/dashboard.py: the pool of {cid[:12]} was not ready within 60 s: docker logs")
        port = docker("port", cid, "8888").split(":")[-1].split()[0]
        token = json.loads(docker("exec", cid, "jupyter", "server", "list", "--json").splitlines()[0])["token"]
        base = f"http://127.0.0.1:{port}/htcondor/"
        driver.get(f"{base}?token={token}")  # the login cookie; the dashboard's process starts
        results: dict[str, dict[str, list[float]]] = {}
        for name in ("baseline", "ours"):
            if name == "ours":
                docker("exec", cid, "python", "-c", QUEUE_1000)
            results[name] = {
                "dashboard_load_s": page_loads(driver, base),
                "dashboard_schedd_queries_per_update": [queries_per_update(cid, f"{base}state.json", token)],
            }
            jobs = state(f"{base}state.json", token)["jobs"]["total"]
            print(f"dashboard, {name}: {jobs} jobs in the queue", file=sys.stderr)
        return results
    finally:
        driver.quit()
        docker("rm", "-f", cid)


if __name__ == "__main__":
    found = measure()
    for figure in found["ours"]:
        ours, base = statistics.median(found["ours"][figure]), statistics.median(found["baseline"][figure])
        ratio = f"{ours / base:.2f}" if base else "-"
        print(f"{figure}: 1000 jobs {ours:.3g}, empty queue {base:.3g}, ratio {ratio}, target {TARGETS[figure]}")

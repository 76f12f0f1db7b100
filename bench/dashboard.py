"""The HTCondor dashboard's figures: page load, update and history, 10,000 jobs queued and 10,000 in history.

The baseline is the same container with an empty queue and history, measured in the same run.
Run alone (`python bench/dashboard.py`) or as part of `make bench` (bench/run.py).
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
JOBS = 10_000
# JOBS jobs out of the queue (held, then removed: the schedd's history), then JOBS that stay in
# it: half wait for more memory than any machine has, half are held. condor_submit's own speed.
FILL = f"""
cd /tmp && printf 'executable = /bin/true\\nhold = true\\nqueue {JOBS}\\n' > gone.sub
gone=$(condor_submit -terse gone.sub | cut -d. -f1) && condor_rm -totals "$gone"
printf 'executable = /bin/true\\nrequest_memory = 900000\\nqueue {JOBS // 2}\\n' > idle.sub
printf 'executable = /bin/true\\nhold = true\\nqueue {JOBS // 2}\\n' > held.sub
condor_submit -terse idle.sub && condor_submit -terse held.sub
while [ "$(condor_history -limit {JOBS} -af ClusterId | wc -l)" -lt {JOBS} ]; do sleep 0.5; done
"""
TARGETS = {
    "dashboard_load_s": "<= 1",
    "dashboard_update_s": "<= 1",
    "dashboard_schedd_queries_per_update": "<= 1",
    "dashboard_history_first_page_s": "<= 1",
    "dashboard_history_page_200_s": "<= 2",
}


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


def fetch_json(url: str, token: str) -> dict:
    """One of the dashboard's JSON routes, as the page gets it."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (the bench's container)
        return json.load(answer)


def timed(url: str, token: str) -> float:
    """Seconds for one answer of a JSON route."""
    start = time.perf_counter()
    fetch_json(url, token)
    return time.perf_counter() - start


def updates(cid: str, state_url: str, token: str) -> tuple[list[float], float]:
    """Seconds per update (state.json, a new snapshot each time) and the schedd's job queries per update."""

    def queries() -> int:
        log = docker("exec", cid, "sh", "-c", "cat ~/.condor/state/log/SchedLog*")
        return log.count("Calling HandleReq <command_query_job_ads>")

    before = queries()
    seconds = []
    for _ in range(UPDATES):
        time.sleep(2.1)  # a new snapshot each time (the dashboard shares one for 2 s)
        seconds.append(timed(state_url, token))
    return seconds, (queries() - before) / UPDATES


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
                docker("exec", cid, "sh", "-c", FILL)
            update, queries = updates(cid, f"{base}state.json", token)
            results[name] = {
                "dashboard_load_s": page_loads(driver, base),
                "dashboard_update_s": update,
                "dashboard_schedd_queries_per_update": [queries],
                "dashboard_history_first_page_s": [timed(f"{base}history.json?page=0", token) for _ in range(5)],
                "dashboard_history_page_200_s": [timed(f"{base}history.json?page=199", token) for _ in range(5)],
            }
            queued = fetch_json(f"{base}state.json", token)["jobs"]["total"]
            print(f"dashboard, {name}: {queued} jobs in the queue", file=sys.stderr)
        return results
    finally:
        driver.quit()
        docker("rm", "-f", cid)


if __name__ == "__main__":
    found = measure()
    for figure in found["ours"]:
        ours, base = statistics.median(found["ours"][figure]), statistics.median(found["baseline"][figure])
        ratio = f"{ours / base:.2f}" if base else "-"
        print(f"{figure}: {JOBS} jobs {ours:.3g}, empty queue {base:.3g}, ratio {ratio}, target {TARGETS[figure]}")

"""Pool and HTMap figures measured inside a running container; prints one JSON object.

Usage: python in_container.py FIGURE[=ARG]...   (function names below, run in the order given)
"""

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import htcondor2 as htcondor
import htmap

# HTMap's poll interval where the configuration sets one; else the image's own.
htmap.settings["WAIT_TIME"] = float(os.getenv("BENCH_HTMAP_WAIT_TIME", htmap.settings["WAIT_TIME"]))
TRUE_JOB = {
    "executable": "/bin/true",
    "transfer_executable": "False",
    "should_transfer_files": "NO",
    "request_cpus": "1",
    "request_memory": "16MB",
    "request_disk": "1MB",
}


def submit_and_wait(schedd: htcondor.Schedd, sub: dict[str, str], count: int = 1, as_htmap: bool = False) -> float:
    """Submit `count` jobs in one cluster; return seconds until the last has terminated.

    `as_htmap`: through HTMap's own submission (on hold, released at once), else the bindings'
    plain submit, as condor_submit does.
    """
    log = Path(tempfile.mkdtemp()) / "jobs.log"
    submit = htcondor.Submit({**sub, "log": str(log)})
    start = time.perf_counter()
    if as_htmap:
        htmap.mapping.execute_submit(submit, [{"item": str(i)} for i in range(count)])
    else:
        schedd.submit(submit, count=count)
    done = 0
    events = htcondor.JobEventLog(str(log))
    while done < count:
        # Yields each event as it is written; stop_after bounds the wait when none comes.
        for event in events.events(stop_after=1):
            if event.type == htcondor.JobEventType.JOB_TERMINATED:
                done += 1
                if done == count:
                    break
        if time.perf_counter() - start > 300:
            raise SystemExit(f"{count - done} jobs not done after 300 s")
    return time.perf_counter() - start


def wait_for_no_claims(timeout: float = 60) -> None:
    """Wait until no dynamic slot is left (claims released)."""
    collector = htcondor.Collector()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not collector.query(htcondor.AdTypes.Startd, "DynamicSlot =?= true", ["Name"]):
            return
        time.sleep(0.2)


def claims_kept_from() -> int:
    """From when the personal pool keeps claims idle (the entrypoint's HTC_CLAIMS_KEPT_FROM to condor_master)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() == "condor_master":
                environ = (proc / "environ").read_text().split("\0")
                return int(next(var for var in environ if var.startswith("HTC_CLAIMS_KEPT_FROM=")).split("=")[1])
        except OSError:
            continue
    raise SystemExit("no condor_master with HTC_CLAIMS_KEPT_FROM in this container")


def past_first_seconds() -> dict[str, list[float]]:
    """Wait out the pool's first seconds (no claim is kept idle there): the next figures measure a pool in use."""
    time.sleep(max(0.0, claims_kept_from() - time.time()))
    return {}


def turnaround_cold() -> dict[str, list[float]]:
    """Sequential /bin/true jobs with no idle claim left: each needs a new match.

    Those submitted in the pool's first seconds apart (every claim is given back at once there,
    see personal-pool.conf, and a match right after meets the slot's stale claim id); 10 after.
    """
    schedd = htcondor.Schedd()
    kept_from = claims_kept_from()
    figures: dict[str, list[float]] = {"turnaround_cold_first_seconds_s": [], "turnaround_cold_s": []}
    while len(figures["turnaround_cold_s"]) < 10:
        wait_for_no_claims()
        figure = "turnaround_cold_first_seconds_s" if time.time() < kept_from else "turnaround_cold_s"
        figures[figure].append(submit_and_wait(schedd, TRUE_JOB))
    return figures


def turnaround_kept() -> dict[str, list[float]]:
    """20 sequential /bin/true jobs on a claim kept idle as HTMap submits them, and 20 plainly, in turn.

    Plainly: the bindings' submit, as condor_submit does (they wait for the schedd's next pass).
    """
    schedd = htcondor.Schedd()
    kept = {**TRUE_JOB, "keep_claim_idle": "30"}
    submit_and_wait(schedd, kept)  # makes the claim
    figures: dict[str, list[float]] = {"turnaround_kept_claim_s": [], "turnaround_kept_claim_plain_s": []}
    for _ in range(20):
        figures["turnaround_kept_claim_s"].append(submit_and_wait(schedd, kept, as_htmap=True))
        figures["turnaround_kept_claim_plain_s"].append(submit_and_wait(schedd, kept))
    return figures


def burst(repeats: int = 3) -> dict[str, list[float]]:
    """100 /bin/true jobs in one cluster: jobs per second (each from a pool without claims)."""
    rates = []
    for _ in range(repeats):
        wait_for_no_claims()
        rates.append(100 / submit_and_wait(htcondor.Schedd(), TRUE_JOB, count=100))
    return {"burst_jobs_per_s": rates}


def double(x: int) -> int:
    """The seed example's function."""
    return 2 * x


def map_warm() -> dict[str, list[float]]:
    """htmap.map over 10 items until list() returns, on a pool that has run maps before."""
    wait_for_no_claims()
    times = []
    for i in range(4):
        start = time.perf_counter()
        result = list(htmap.map(double, range(10), tag=f"bench-warm-{i}"))
        times.append(time.perf_counter() - start)
        assert result == [2 * x for x in range(10)]
    htmap.clean(all=True)
    return {"map10_warm_s": times[1:]}


def throughput(count: int = 1000) -> dict[str, list[float]]:
    """A map of many components of a trivial function: components per second."""
    start = time.perf_counter()
    result = list(htmap.map(double, range(count), tag="bench-throughput"))
    seconds = time.perf_counter() - start
    assert result == [2 * x for x in range(count)]
    htmap.clean(all=True)
    return {"htmap_components_per_s": [count / seconds]}


def claim_hog(repeats: int = 3) -> dict[str, list[float]]:
    """Right after a burst of small kept-claim jobs, how long a map with larger requests waits to start.

    Repeated: whether a small job's claim has already gone when the map comes depends on how
    the burst's last jobs ended, so one sample says little.
    """
    schedd = htcondor.Schedd()
    times = []
    for _ in range(repeats):
        # A claim the last map left would take the small jobs and then the map at once.
        wait_for_no_claims()
        submit_and_wait(schedd, {**TRUE_JOB, "keep_claim_idle": "30"}, count=8)
        start = time.perf_counter()
        big = htmap.map(
            double, range(2), tag="bench-hog", map_options=htmap.MapOptions(request_memory="1GB", request_disk="1GB")
        )
        # Started: one is running or done (4), or has already left the queue.
        while time.perf_counter() - start < 120:
            jobs = schedd.query(f"ClusterId == {big._cluster_ids[0]}", ["JobStatus"])
            if len(jobs) < 2 or any(job["JobStatus"] in (2, 4) for job in jobs):
                break
            time.sleep(0.02)
        times.append(time.perf_counter() - start)
        assert list(big) == [0, 2]
        htmap.clean(all=True)
    return {"claim_hog_start_s": times}


def nap(x: int) -> int:
    """The short-function panel's 0.1-s function."""
    time.sleep(0.1)
    return x


def timed_map(func: Callable[[int], int], count: int, chunksize: int | str) -> float:
    """Seconds from htmap.map to list() returning, for `count` items."""
    start = time.perf_counter()
    result = list(htmap.map(func, range(count), tag="bench-short", chunksize=chunksize))
    seconds = time.perf_counter() - start
    assert len(result) == count
    assert result[-1] == func(count - 1)
    htmap.clean(all=True)
    return seconds


def timed_pool(func: Callable[[int], int], count: int) -> float:
    """The floor on this machine: a ProcessPoolExecutor on its cores, chunked as HTMap's "auto"."""
    from concurrent.futures import ProcessPoolExecutor

    cores = os.cpu_count() or 1
    chunksize = htmap.chunks.resolve("auto", count, lambda: cores)
    start = time.perf_counter()
    with ProcessPoolExecutor(cores) as pool:
        result = list(pool.map(func, range(count), chunksize=chunksize))
    seconds = time.perf_counter() - start
    assert len(result) == count
    return seconds


def short_functions(sample: int = 300) -> dict[str, list[float]]:
    """Many short functions: a trivial one over 10,000 items and a 0.1-s one over 200.

    Each with HTMap unchunked, HTMap chunked ("auto") and a ProcessPoolExecutor. The trivial
    function unchunked runs `sample` items, scaled to 10,000 (the whole would take half an hour).
    """
    wait_for_no_claims()
    figures: dict[str, list[float]] = {}
    for _ in range(3):
        figures.setdefault("short_trivial10k_chunked_s", []).append(timed_map(double, 10_000, "auto"))
        figures.setdefault("short_trivial10k_pool_s", []).append(timed_pool(double, 10_000))
    figures["short_trivial10k_unchunked_s"] = [timed_map(double, sample, 1) * 10_000 / sample]
    for _ in range(2):
        figures.setdefault("short_nap200_chunked_s", []).append(timed_map(nap, 200, "auto"))
        figures.setdefault("short_nap200_pool_s", []).append(timed_pool(nap, 200))
    return figures | nap200_unchunked()


def nap200_unchunked() -> dict[str, list[float]]:
    """The 0.1-s function over 200 items, one job each."""
    return {"short_nap200_unchunked_s": [timed_map(nap, 200, 1)]}


if __name__ == "__main__":
    figures: dict[str, list[float]] = {}
    for name, _, arg in (figure.partition("=") for figure in sys.argv[1:]):
        figures.update(globals()[name](*([int(arg)] if arg else [])))
    print(json.dumps(figures))
    sys.stderr.write(" ".join(f"{k}={statistics.median(v):.3f}" for k, v in figures.items()) + "\n")

"""Faults: restarts, stops, a home from an earlier container, killed daemons, a big map. Nothing is lost."""

import io
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.containers import Container, Containers, docker
from tests.operations.maps import BUSY_POOL, collect, submit, wait_no_stuck_slots, wait_outputs, wait_ready_again


def master_log_tail(box: Container) -> str:
    """The end of MasterLog, read from the container's file system (running or not)."""
    path = f"{box.cid}:/home/jovyan/.condor/state/log/MasterLog"
    archive = subprocess.run(["docker", "cp", path, "-"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("MasterLog")
        assert member is not None
        return member.read().decode()[-3000:]


def test_docker_restart_in_the_middle_of_a_map_keeps_queue_and_results(containers: Containers) -> None:
    box = containers.start(env=BUSY_POOL, wait="healthy")
    submit(box, "restarted", 200, seconds=0.2)
    wait_outputs(box, "restarted", 20)
    docker("restart", "-t", "10", box.cid)
    wait_ready_again(box, starts=2)
    collect(box, "restarted", 200)
    wait_no_stuck_slots(box)


def test_docker_stop_shuts_htcondor_down_cleanly_and_the_home_starts_again(containers: Containers) -> None:
    box = containers.start(wait="healthy")
    submit(box, "before-stop", 10, seconds=5)  # still running when the container stops
    wait_outputs(box, "before-stop", 0)
    started = time.monotonic()
    docker("stop", "-t", "10", box.cid)
    took = time.monotonic() - started
    state = box.inspect()["State"]
    assert state["ExitCode"] != 137 and took < 10, f"stop took {took:.1f} s, exit {state['ExitCode']}"
    tail = master_log_tail(box)
    assert "All daemons are gone" in tail and "EXITING WITH STATUS 0" in tail.splitlines()[-1], tail
    assert "personal pool shut down" in box.logs()
    docker("start", box.cid)
    wait_ready_again(box, starts=2)
    collect(box, "before-stop", 10)


@pytest.fixture
def home_volume() -> Iterator[str]:
    """A named volume for the notebook's home, shared by containers one after the other."""
    name = f"htc-test-home-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "-f", name, check=False)


def test_a_home_from_a_killed_container_starts_cleanly(containers: Containers, home_volume: str) -> None:
    home = ("-v", f"{home_volume}:/home/jovyan")
    first = containers.start(options=home, wait="healthy")
    submit(first, "from-earlier", 5)
    collect(first, "from-earlier", 5)
    submit(first, "unfinished", 20, seconds=2)
    # SIGKILL leaves pid, lock and address files, and a queue with jobs in it.
    docker("kill", first.cid)
    docker("rm", first.cid)
    second = containers.start(options=home, wait="healthy")
    assert "ERROR" not in second.logs(), second.logs()
    collect(second, "from-earlier", 5)
    collect(second, "unfinished", 20)


@pytest.fixture(scope="module")
def busy_pool(module_containers: Containers) -> Container:
    """A pool with eight slots, for the daemon-killing tests."""
    return module_containers.start(env=BUSY_POOL, wait="healthy")


@pytest.mark.parametrize(
    "daemon", ["condor_schedd", "condor_startd", "condor_collector", "condor_negotiator", "condor_shared_port"]
)
def test_a_killed_daemon_comes_back_and_the_map_completes(busy_pool: Container, daemon: str) -> None:
    tag = f"kill-{daemon}"
    comm = daemon[:15]  # the kernel's command name is at most 15 characters
    before = busy_pool.pids(comm)
    assert before, f"{daemon} is not running"
    submit(busy_pool, tag, 40, seconds=0.5)
    wait_outputs(busy_pool, tag, 5)
    busy_pool.kill(comm)
    busy_pool.wait_for(lambda: busy_pool.pids(comm) not in ([], before), f"{daemon} restarted", timeout=120)
    collect(busy_pool, tag, 40, timeout=600)
    wait_no_stuck_slots(busy_pool)
    assert busy_pool.health() == "healthy"


def test_a_killed_condor_master_is_reported_and_jupyter_stays(containers: Containers) -> None:
    box = containers.start(wait="healthy")
    box.kill("condor_master")
    box.wait_for(lambda: box.health() == "unhealthy", "unhealthy status", timeout=60)
    assert "condor_master was killed by signal SIGKILL: the personal pool is down" in box.logs()
    assert box.http_status("/api") == 200


def test_two_thousand_components_on_two_cores(containers: Containers) -> None:
    box = containers.start(env=BUSY_POOL, wait="healthy")
    submit(box, "load", 2000)
    collect(box, "load", 2000, timeout=1800)
    wait_no_stuck_slots(box)
    assert box.exec("condor_q", "-af", "ClusterId").stdout.split() == []

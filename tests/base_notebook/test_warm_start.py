"""Map components start warm in the personal pool (htc_entrypoint.warm_start), and stay HTCondor's jobs.

Every map test in the personal pool runs its components this way; these test what is its own:
where a component runs, its own random numbers, a hold, release and remove reaching it, and a
component whose warm starter went away. The warm starter and HTMap's patch are base's layers.
"""

import json

import pytest

from tests.base_notebook.test_htmap_surface import htmap_cli, run
from tests.containers import Container

pytestmark = pytest.mark.usefixtures("own_image_only")

STARTER = "htc_entrypoint.warm_start"

WHERE = """
import json, os, random
from pathlib import Path
import htmap

def where(x):
    parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\\0")
    return {"parent": " ".join(p.decode() for p in parent if p), "draw": random.random(),
            "cwd": os.getcwd(), "scratch": os.environ["_CONDOR_SCRATCH_DIR"], "cpus": os.cpu_count(), "x": x}

print(json.dumps(list(htmap.map(where, range(4), tag=T))))
"""

# Components that say where they run (their pid, their parent's command) and wait for a file.
WAITING = """
import os, signal, sys, time
from pathlib import Path
import htmap

def waiting(x):
    # HTCondor's hold and remove send SIGTERM first: it must reach the component.
    signal.signal(signal.SIGTERM, lambda *_: (Path(f"/tmp/{T}-{x}.term").touch(), sys.exit(143)))
    parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().replace(b"\\0", b" ").decode()
    Path(f"/tmp/{T}-{x}.tmp").write_text(f"{os.getpid()} {parent}")
    os.rename(f"/tmp/{T}-{x}.tmp", f"/tmp/{T}-{x}.pid")
    while not Path(f"/tmp/{T}-go").exists():
        time.sleep(0.05)
    return x

htmap.map(waiting, range(N), tag=T)
print("{}")
"""

RESULTS = """
import json
import htmap
print(json.dumps(list(htmap.load(T))))
"""


def started(container: Container, tag: str, item: int, other_than: str = "") -> tuple[str, str]:
    """The pid of a component's process once it runs (another than `other_than`), and its parent's command."""
    pid_file = f"/tmp/{tag}-{item}.pid"

    def running() -> bool:
        line = container.exec("sh", "-c", f"cat {pid_file} 2>/dev/null || true").stdout
        return bool(line) and line.split()[0] != other_than

    container.wait_for(running, f"component {item} of {tag} running", timeout=120)
    pid, _, parent = container.exec("cat", pid_file).stdout.partition(" ")
    return pid, parent


def gone(container: Container, pid: str) -> bool:
    """Whether a process has ended (a zombie counts: its parent has yet to reap it)."""
    state = container.exec("sh", "-c", f"cut -d')' -f2 /proc/{pid}/stat 2>/dev/null || echo ' Z'").stdout
    return state.split()[0] == "Z"


# Whether a warm starter listens, started since the last install (an earlier test's, in this
# shared container): it makes its socket once its imports are done.
READY = """
import os, socket
from htc_entrypoint import warm_start
path = warm_start.socket_path(os.environ)
try:
    socket.socket(socket.AF_UNIX).connect(str(path))
except OSError:
    print(False)
else:
    print(path.stat().st_mtime_ns > max(warm_start.packages_stamp()))
"""


def wait_for_starter(container: Container) -> None:
    container.wait_for(lambda: container.python(READY).strip() == "True", "the warm starter, since the last install")


@pytest.fixture(autouse=True)
def starter_ready(container: Container) -> None:
    wait_for_starter(container)


def starter_pid(container: Container) -> str:
    """The warm starter's pid: the oldest process of its command (its forks have the same)."""
    return container.exec("pgrep", "-o", "-f", STARTER, check=False).stdout.strip()


def test_components_start_warm_where_htcondor_put_them_each_with_its_own_random_numbers(
    container: Container, tag: str
) -> None:
    results = run(container, tag, WHERE)
    assert [r["x"] for r in results] == [0, 1, 2, 3]
    assert all(STARTER in r["parent"] for r in results), results
    assert all(r["cwd"] == r["scratch"] for r in results), results
    assert all(r["cpus"] == 1 for r in results), results  # the job's CPUs (HTCondor's PYTHON_CPU_COUNT)
    assert len({r["draw"] for r in results}) == 4, results


def test_hold_release_and_remove_reach_a_warm_component(container: Container, tag: str) -> None:
    run(container, tag, WAITING.replace("range(N)", "range(2)"))
    first = [started(container, tag, item) for item in range(2)]
    assert all(STARTER in parent for _, parent in first), first
    htmap_cli(container, "hold", tag)
    for pid, _ in first:
        container.wait_for(lambda pid=pid: gone(container, pid), f"the held component's process {pid} ended")
    terms = container.exec("sh", "-c", f"ls /tmp/{tag}-*.term").stdout.split()
    assert terms == [f"/tmp/{tag}-0.term", f"/tmp/{tag}-1.term"], terms
    htmap_cli(container, "release", tag)
    again = [started(container, tag, item, other_than=pid) for item, (pid, _) in enumerate(first)]
    htmap_cli(container, "remove", tag)
    for pid, _ in again:
        container.wait_for(lambda pid=pid: gone(container, pid), f"the removed component's process {pid} ended")


def test_a_component_whose_warm_starter_went_away_still_finishes(container: Container, tag: str) -> None:
    run(container, tag, WAITING.replace("range(N)", "range(1)"))
    pid, parent = started(container, tag, 0)
    assert STARTER in parent, parent
    container.exec("kill", "-KILL", starter_pid(container))
    # The job runs its component again itself, cold; the pool's master starts a new starter.
    _, parent = started(container, tag, 0, other_than=pid)
    assert "condor_starter" in parent, parent
    container.exec("touch", f"/tmp/{tag}-go")
    assert json.loads(container.map_script(f"T = {tag!r}\n{RESULTS}")[-1]) == [0]
    wait_for_starter(container)  # a new one: the master starts it again
    results = run(container, f"{tag}-after", WHERE)
    assert all(STARTER in r["parent"] for r in results), results

"""Helpers for the operations tests: maps submitted in the background, and their progress."""

from tests.containers import Container

# Eight slots on two cores: more jobs starting and ending at once than the default pool has.
BUSY_POOL = {"_CONDOR_NUM_CPUS": "8"}

SUBMIT = """
import htmap, sys, time

def double(x):
    time.sleep({seconds})
    return 2 * x

htmap.map(double, range({count}), tag="{tag}")
"""

COLLECT = """
import htmap
m = htmap.load("{tag}")
result = list(m.iter(timeout={timeout}))
assert result == [2 * x for x in range({count})], result
print("all", len(result), "correct")
"""


def submit(box: Container, tag: str, count: int, seconds: float = 0.0) -> None:
    """Submit a map of `count` components (each sleeps `seconds`, then doubles) and return."""
    box.map_script(SUBMIT.format(tag=tag, count=count, seconds=seconds))


def outputs(box: Container, tag: str) -> int:
    """How many components of the map have written their output."""
    done = box.exec("sh", "-c", f"ls ~/.htmap/maps/$(cat ~/.htmap/tags/{tag})/outputs | wc -l", check=False)
    return int(done.stdout.strip() or 0) if done.returncode == 0 else 0


def wait_outputs(box: Container, tag: str, at_least: int, timeout: float = 300) -> None:
    """Wait until at least `at_least` components of the map are done."""
    box.wait_for(lambda: outputs(box, tag) >= at_least, f"{at_least} outputs of map {tag}", timeout)


def collect(box: Container, tag: str, count: int, timeout: float = 900) -> None:
    """Load the map by its tag and assert every result."""
    lines = box.map_script(COLLECT.format(tag=tag, count=count, timeout=int(timeout)), timeout=timeout + 60)
    assert lines[-1] == f"all {count} correct"


def stuck_slots(box: Container) -> list[str]:
    """Slots caught between jobs: Preempting or Vacating."""
    rows = box.exec("condor_status", "-af", "Name", "State", "Activity").stdout.splitlines()
    return [row for row in rows if "Preempting" in row or "Vacating" in row]


def wait_no_stuck_slots(box: Container, timeout: float = 60) -> None:
    """Slots may pass through Preempting/Vacating after a fault, but must not stay there."""
    box.wait_for(lambda: stuck_slots(box) == [], "no slot in Preempting/Vacating", timeout)


def wait_ready_again(box: Container, starts: int, timeout: float = 180) -> None:
    """Wait until the container's log says "pool ready" `starts` times in all."""
    box.wait_for(lambda: box.logs().count("pool ready:") >= starts, f"pool ready #{starts}", timeout)
    box.wait_for(lambda: box.health() == "healthy", "healthy status", timeout)

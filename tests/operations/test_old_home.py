"""A home written by the HTCondor 23.9.6 images works in this one: the pool, its queue, and every map.

The fixture (home-23.9.6.tar.gz, 36 kB) was made once with make-old-home.sh from the last
23.9.6 base image: a finished map "finished" (10 results) and a map "held" whose 3 jobs were
held in the queue, then the container stopped; daemon logs and caches were left out.
"""

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.containers import Container, Containers, docker

FIXTURE = Path(__file__).with_name("home-23.9.6.tar.gz")

OLD_MAPS = """
import htmap
print(list(htmap.load("finished")))
held = htmap.load("held")
held.release()
print(list(held.iter(timeout=300)))
print(list(htmap.map(str, range(3), tag="after-upgrade")))
"""


@pytest.fixture
def old_home(containers: Containers) -> Iterator[str]:
    """A volume holding the 23.9.6 home, unpacked as it was (uid 1000, group 0)."""
    name = docker("volume", "create").stdout.strip()
    unpack = ["docker", "run", "--rm", "-i", "-u", "0", "-v", f"{name}:/home/jovyan", "--entrypoint", "tar"]
    subprocess.run(
        [*unpack, containers.image, "-xzf", "-", "-C", "/home/jovyan"], input=FIXTURE.read_bytes(), check=True
    )
    yield name
    docker("volume", "rm", "-f", name, check=False)


# HTCondor 25.14.1's schedd logs this, with nothing after the colon, for every job and every
# job transform it applies (xform_utils.cpp reports an empty error message): not an error.
EMPTY_TRANSFORM_ERROR = re.compile(r"ERROR in transform \w+ : $")


def error_lines(box: Container) -> list[str]:
    """Lines with ERROR in the container's log and in every daemon log of the pool (not D_ERROR)."""
    logs = box.exec("sh", "-c", "cat ~/.condor/state/log/*Log").stdout + box.logs()
    return [
        line for line in logs.splitlines() if re.search(r"\bERROR\b", line) and not EMPTY_TRANSFORM_ERROR.search(line)
    ]


def test_a_home_of_the_23_images_keeps_its_pool_queue_and_maps(containers: Containers, old_home: str) -> None:
    box = containers.start(options=("-v", f"{old_home}:/home/jovyan"), wait="healthy")
    assert error_lines(box) == []
    held = box.exec("condor_q", "-af", "JobStatus").stdout.split()
    assert held == ["5", "5", "5"], held  # the queue came along, still held
    done = box.exec("sh", "-c", f"cat > /tmp/old.py <<'EOF'\n{OLD_MAPS}\nEOF\npython /tmp/old.py", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        str([2 * x for x in range(10)]),
        str([2 * x for x in range(3)]),
        "['0', '1', '2']",
    ]
    assert done.stderr == "", done.stderr  # no warning either
    assert error_lines(box) == []

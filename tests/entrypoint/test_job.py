"""A job's container: HTCondor runs a command in the image, and the entrypoint gets out of its way."""

import os
import sys
from pathlib import Path

import pytest
from htc_entrypoint import job, jupyter, mode

JOB = {"_CONDOR_JOB_AD": "/srv/.job.ad", "_CONDOR_SCRATCH_DIR": "/srv"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["python", "-c", "1"], True),
        (["start.sh", "python", "x.py"], True),
        (["start-notebook"], False),
        (["start-singleuser.sh", "--debug"], False),
        (["start.sh", "start-notebook.py"], False),
        ([], False),
    ],
)
def test_a_job_is_a_job_ad_and_a_command_that_is_not_jupyter(args: list[str], expected: bool) -> None:
    assert mode.is_job(JOB, jupyter.serves(args)) is expected
    assert not mode.is_job({}, jupyter.serves(args))


def test_the_images_python_comes_first_and_only_once() -> None:
    own = str(Path(sys.prefix) / "bin")
    env = job.environment({**JOB, "PATH": f"/usr/bin:{own}:/bin", "HOME": "/"})
    assert env["PATH"] == f"{own}:/usr/bin:/bin"
    assert job.environment(JOB)["PATH"] == f"{own}:{job.SYSTEM_PATH}"


def test_an_unwritable_home_becomes_the_scratch_directory(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes any home")
    assert job.environment({**JOB, "HOME": "/"})["HOME"] == "/srv"
    assert job.environment({"HOME": "/proc"})["HOME"] == os.getcwd()
    assert job.environment({**JOB, "HOME": str(tmp_path)})["HOME"] == str(tmp_path)

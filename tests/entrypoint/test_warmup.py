"""The schedd's first seconds: a RESCHEDULE at each change of the job queue, until its own pass runs."""

import os
import stat
from pathlib import Path

import pytest
from htc_entrypoint import warmup


@pytest.fixture
def fake_reschedule(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A condor_reschedule on PATH that records each call; the environment and the record."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "calls"
    fake = bin_dir / "condor_reschedule"
    fake.write_text(f"#!/bin/sh\necho call >> {record}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}, record


def schedd_started(state: Path, at: float) -> Path:
    """A spool whose schedd wrote its address at `at`; the job queue log's path."""
    spool = state / "spool"
    spool.mkdir(parents=True)
    (spool / ".schedd_address").touch()
    os.utime(spool / ".schedd_address", (at, at))
    queue = spool / "job_queue.log"
    queue.write_text("")
    return queue


def calls(record: Path) -> int:
    """How many times the fake ran."""
    return len(record.read_text().splitlines()) if record.exists() else 0


def test_one_reschedule_per_queue_change_until_the_first_pass(
    tmp_path: Path, fake_reschedule: tuple[dict[str, str], Path]
) -> None:
    env, record = fake_reschedule
    queue = schedd_started(tmp_path, at=1000.0)
    # Ten checks before the deadline (1000 + 10 + 1); the queue changes before the 4th and the 8th.
    times = iter([1001.0 + step for step in range(10)] + [1011.0])

    def clock() -> float:
        now = next(times)
        if now in (1004.0, 1008.0):
            os.utime(queue, ns=(int(now * 1e9), int(now * 1e9)))
        return now

    assert warmup.reschedule_until_first_pass(env, tmp_path, interval=0, clock=clock) == 3
    assert calls(record) == 3


def test_nothing_sent_after_the_first_pass(tmp_path: Path, fake_reschedule: tuple[dict[str, str], Path]) -> None:
    env, record = fake_reschedule
    schedd_started(tmp_path, at=1000.0)
    assert warmup.reschedule_until_first_pass(env, tmp_path, interval=0, clock=lambda: 1011.0) == 0
    assert calls(record) == 0


def test_nothing_sent_without_a_schedd_address(tmp_path: Path, fake_reschedule: tuple[dict[str, str], Path]) -> None:
    """A config that keeps the spool elsewhere: no help, no harm."""
    env, record = fake_reschedule
    assert warmup.reschedule_until_first_pass(env, tmp_path, interval=0) == 0
    assert calls(record) == 0


def test_at_most_one_reschedule_per_gap(tmp_path: Path, fake_reschedule: tuple[dict[str, str], Path]) -> None:
    """A queue that changes at every look (a big map) still gets one RESCHEDULE per MIN_GAP."""
    env, record = fake_reschedule
    queue = schedd_started(tmp_path, at=1000.0)
    times = iter([round(1001.0 + step * 0.1, 1) for step in range(10)] + [1011.0])

    def clock() -> float:
        now = next(times)
        os.utime(queue, ns=(int(now * 1e9), int(now * 1e9)))
        return now

    # Looks at 1001.0 ... 1001.9, one each 0.1 s: sends at 1001.0, 1001.3, 1001.6 and 1001.9.
    assert warmup.reschedule_until_first_pass(env, tmp_path, interval=0, clock=clock) == 4
    assert calls(record) == 4


def test_stops_when_condor_reschedule_is_missing(tmp_path: Path) -> None:
    schedd_started(tmp_path, at=1000.0)
    env = {"PATH": str(tmp_path / "empty")}
    times = iter([1001.0, 1002.0, 1011.0])
    assert warmup.reschedule_until_first_pass(env, tmp_path, interval=0, clock=lambda: next(times)) == 0

"""Waiting for the personal pool: the collector is asked only once the startd has advertised."""

import os
import time
from pathlib import Path

import pytest
from htc_entrypoint import pool


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each call of the collector query, answering with a ready pool."""
    calls: list[int] = []

    def status(env: object) -> dict[str, list[str]]:
        calls.append(1)
        return {"Machine": ["2", "1024"], "Scheduler": []}

    monkeypatch.setattr(pool, "status", status)
    return calls


def startd_address(state: Path, age: float) -> None:
    """The startd's address file, written `age` seconds ago."""
    (state / "log").mkdir()
    address = state / "log" / ".startd_address"
    address.touch()
    os.utime(address, (time.time() - age, time.time() - age))


def test_collector_asked_once_the_startd_has_advertised(tmp_path: Path, asked: list[int]) -> None:
    startd_address(tmp_path, age=pool.FIRST_AD_DELAY)
    assert pool.wait_ready({"HTC_POOL_DIR": str(tmp_path)}, os.getpid(), timeout=5, interval=0.01)
    assert asked == [1]


def test_collector_not_asked_before_the_startd_first_ad(tmp_path: Path, asked: list[int]) -> None:
    """The startd's first ad comes a second after its address."""
    startd_address(tmp_path, age=0)
    assert not pool.wait_ready({"HTC_POOL_DIR": str(tmp_path)}, os.getpid(), timeout=0.3, interval=0.01)
    assert asked == []


def test_collector_asked_anyway_after_the_address_wait(
    tmp_path: Path, asked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config that keeps the address elsewhere still gets a ready pool, a little later."""
    monkeypatch.setattr(pool, "ADDRESS_WAIT", 0.2)
    assert pool.wait_ready({"HTC_POOL_DIR": str(tmp_path)}, os.getpid(), timeout=5, interval=0.01)
    assert asked == [1]


def test_no_address_and_no_collector_within_the_wait(tmp_path: Path, asked: list[int]) -> None:
    assert not pool.wait_ready({"HTC_POOL_DIR": str(tmp_path)}, os.getpid(), timeout=0.3, interval=0.01)
    assert asked == []

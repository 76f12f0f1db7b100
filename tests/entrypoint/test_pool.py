"""Waiting for the personal pool: the collector is asked only once the startd has an address."""

import os
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


def test_collector_asked_once_the_startd_has_an_address(tmp_path: Path, asked: list[int]) -> None:
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / ".startd_address").touch()
    assert pool.wait_ready({"HTC_POOL_DIR": str(tmp_path)}, os.getpid(), timeout=5, interval=0.01)
    assert asked == [1]


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

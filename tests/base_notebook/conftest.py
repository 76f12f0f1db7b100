"""Fixtures of the base image's HTMap tests."""

import uuid
from collections.abc import Iterator

import pytest

from tests.containers import Container


@pytest.fixture
def tag(container: Container) -> Iterator[str]:
    """A tag prefix of this test's own; maps of it that a failed test left behind are removed."""
    prefix = f"surface-{uuid.uuid4().hex[:8]}"
    yield prefix
    left = container.exec("sh", "-c", f"ls ~/.htmap/tags | grep '^{prefix}' || true").stdout.split()
    if left:
        container.exec("htmap", "remove", *left, check=False, timeout=300)

"""Fixtures of the base image's HTMap tests."""

import uuid
from collections.abc import Iterator

import pytest

from tests.containers import Container
from tests.site_pool import Site


@pytest.fixture
def tag(container: Container) -> Iterator[str]:
    """A tag prefix of this test's own; maps of it that a failed test left behind are removed."""
    prefix = f"surface-{uuid.uuid4().hex[:8]}"
    yield prefix
    left = container.exec("sh", "-c", f"ls ~/.htmap/tags | grep '^{prefix}' || true").stdout.split()
    if left:
        container.exec("htmap", "remove", *left, check=False, timeout=300)


# The sites, with the base image only: site mode and the hub's spawns are base's layers in every
# image. Each site is asked for after that check: a session fixture among a test's arguments is
# set up before a module's skip (7 s and a site started, and the image pushed, per child image).
@pytest.fixture(scope="module")
def base_site(own_image_only: None, request: pytest.FixtureRequest) -> Site:
    """The session's site: a home shared with its execute nodes."""
    return request.getfixturevalue("site")


@pytest.fixture(scope="module")
def base_container_site(own_image_only: None, request: pytest.FixtureRequest) -> Site:
    """The session's site whose jobs run in containers of the notebook's image: nothing shared."""
    return request.getfixturevalue("container_site")

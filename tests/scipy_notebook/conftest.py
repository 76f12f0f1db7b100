"""Fixtures of the scipy image's tests."""

import pytest

from tests.site_pool import Site


@pytest.fixture(scope="module")
def scipy_site(own_image_only: None, request: pytest.FixtureRequest) -> Site:
    """The container site, for the scipy image only.

    The images built on it add packages, not a way to run jobs, and pushing each of them to the
    site's registry would take minutes.
    """
    return request.getfixturevalue("container_site")

"""Host-side unit tests of the entrypoint: fake condor binaries, no Docker."""

import sys
from pathlib import Path

import pytest

BASE_NOTEBOOK = Path(__file__).parents[2] / "base-notebook"
sys.path.insert(0, str(Path(__file__).parents[2] / "entrypoint"))

from htc_entrypoint import hooks  # noqa: E402 (after its path)


@pytest.fixture(autouse=True)
def run_hooks_from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """hooks.py runs the repository's run-hooks.sh (the image's is /usr/local/bin's); the log in full."""
    monkeypatch.setattr(hooks, "RUN_HOOKS", BASE_NOTEBOOK / "run-hooks.sh")
    for name in ("JUPYTER_DOCKER_STACKS_QUIET", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)

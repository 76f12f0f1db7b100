"""Host-side unit tests of the build scripts the Dockerfiles run: no Docker."""

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parents[2]


def load_script(relative: str) -> ModuleType:
    """A script of the repository without a .py suffix (e.g. base-notebook/strip-shared-objects), as a module."""
    path = ROOT / relative
    loader = importlib.machinery.SourceFileLoader(path.name.replace("-", "_"), str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module

"""compile-python: which files it takes, and that each .pyc records its file's pinned time."""

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from tests.build import load_script

OLD = 1_000_000_000  # ns: before the marker


@pytest.fixture(scope="module")
def compile_python() -> ModuleType:
    """The script, loaded as a module."""
    return load_script("base-notebook/compile-python")


def module(path: Path, text: str = "VALUE = 1\n", *, old: bool = False) -> Path:
    """A module file, older than the marker or not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if old:
        os.utime(path, ns=(OLD, OLD))
    return path


def recorded_second(path: Path) -> int:
    """The source mtime its .pyc records (a timestamp .pyc: flags 0, then the second)."""
    with open(importlib.util.cache_from_source(str(path)), "rb") as pyc:
        header = pyc.read(16)
    assert header[4:8] == b"\0\0\0\0"
    return int.from_bytes(header[8:12], "little")


def test_only_files_newer_than_the_marker(compile_python: ModuleType, tmp_path: Path) -> None:
    new = module(tmp_path / "pkg" / "new.py")
    module(tmp_path / "parent" / "old.py", old=True)
    (tmp_path / "pkg" / "data.pyi").write_text("")
    assert compile_python.sources(tmp_path, newer_than=2 * OLD) == [new]


def test_main_pins_compiles_and_counts_failures(
    compile_python: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = module(tmp_path / "marker", "", old=True)
    tree = tmp_path / "venv"
    good = module(tree / "pkg" / "good.py")
    module(tree / "pkg" / "py2.py", "print 'hello'\n")
    old = module(tree / "parent" / "old.py", old=True)
    compile_python.main(str(marker), str(tree))
    assert recorded_second(good) == good.stat().st_mtime_ns // 10**9
    assert not Path(importlib.util.cache_from_source(str(old))).exists()
    assert capsys.readouterr().out == "compile-python: 2 files compiled; 1 did not compile\n"

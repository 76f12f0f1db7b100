"""strip-shared-objects: which files it takes, and the load check that guards each result."""

import os
import shutil
import struct
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

from tests.build import load_script

# Any 64-bit shared object will do: one of the host Python's extension modules.
LIBRARY = min(Path(sysconfig.get_config_var("DESTSHARED")).glob("*.so"))


@pytest.fixture(scope="module")
def strip() -> ModuleType:
    """The script, loaded as a module."""
    return load_script("base-notebook/strip-shared-objects")


def misaligned(source: Path, target: Path) -> Path:
    """A copy of `source` whose first LOAD segment's file offset is off by 16 bytes."""
    data = bytearray(source.read_bytes())
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        entry = phoff + index * phentsize
        if struct.unpack_from("<I", data, entry)[0] == 1:
            (offset,) = struct.unpack_from("<Q", data, entry + 8)
            struct.pack_into("<Q", data, entry + 8, offset + 16)
            break
    target.write_bytes(data)
    return target


def test_a_working_library_loads(strip: ModuleType) -> None:
    assert strip.loadable(LIBRARY)


def test_a_misaligned_segment_does_not(strip: ModuleType, tmp_path: Path) -> None:
    assert not strip.loadable(misaligned(LIBRARY, tmp_path / "bad.so"))


@pytest.mark.parametrize("content", [b"", b"\x7fELF", b"not an object at all", b"\x7fELF\x02\x01" + b"\xff" * 58])
def test_short_or_foreign_files_are_not_taken(strip: ModuleType, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.so"
    path.write_bytes(content)
    assert not strip.loadable(path)


def test_only_objects_newer_than_the_marker(strip: ModuleType, tmp_path: Path) -> None:
    old, new = tmp_path / "old.so", tmp_path / "pkg" / "new.so.1"
    new.parent.mkdir()
    shutil.copy(LIBRARY, old)
    shutil.copy(LIBRARY, new)
    (tmp_path / "notes.sound").write_text("")
    os.utime(old, ns=(1_000, 1_000))
    assert strip.shared_objects(tmp_path, newer_than=2_000) == [new]

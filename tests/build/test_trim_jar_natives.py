"""trim-jar-natives: other platforms' native libraries leave the jars, this platform's stay."""

import os
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.build import load_script


@pytest.fixture(scope="module")
def trim() -> ModuleType:
    """The script, loaded as a module."""
    return load_script("pyspark-notebook/trim-jar-natives")


KEPT = [
    "librocksdbjni-linux64.so",
    "linux/amd64/libzstd-jni-1.5.7-7.so",
    "org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
    "META-INF/native/libnetty_tcnative_linux_x86_64.so",
    "resources/native/Linux-amd64/libnetlibarpackjni.so",
    "org/rocksdb/RocksDB.class",
]
DROPPED = [
    "librocksdbjni-linux64-musl.so",
    "librocksdbjni-linux-aarch64.so",
    "librocksdbjni-win64.dll",
    "librocksdbjni-osx-arm64.jnilib",
    "darwin/x86_64/libzstd-jni-1.5.7-7.dylib",
    "org/xerial/snappy/native/Linux/x86/libsnappyjava.so",
    "org/xerial/snappy/native/AIX/ppc64/libsnappyjava.a",
    "net/jpountz/util/linux/s390x/liblz4-java.so",
    "META-INF/native/libnetty_transport_native_kqueue_x86_64.jnilib",
]


# The same jars' entries as arm64 (aarch64) sees them.
KEPT_ON_ARM64 = [
    "librocksdbjni-linux-aarch64.so",
    "linux/aarch64/libzstd-jni-1.5.7-7.so",
    "org/xerial/snappy/native/Linux/aarch64/libsnappyjava.so",
    "META-INF/native/libnetty_tcnative_linux_aarch_64.so",
    "org/rocksdb/RocksDB.class",
]
DROPPED_ON_ARM64 = [
    "librocksdbjni-linux64.so",
    "linux/amd64/libzstd-jni-1.5.7-7.so",
    "org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
    "librocksdbjni-linux-aarch64-musl.so",
    "librocksdbjni-osx-arm64.jnilib",
    "org/xerial/snappy/native/Linux/arm/libsnappyjava.so",
]


@pytest.mark.parametrize("name", KEPT)
def test_this_platform_and_classes_kept(trim: ModuleType, name: str) -> None:
    assert not trim.foreign(name, "x86_64")


@pytest.mark.parametrize("name", DROPPED)
def test_other_platforms_dropped(trim: ModuleType, name: str) -> None:
    assert trim.foreign(name, "x86_64")


@pytest.mark.parametrize("name", KEPT_ON_ARM64)
def test_arm64_keeps_its_own(trim: ModuleType, name: str) -> None:
    assert not trim.foreign(name, "aarch64")


@pytest.mark.parametrize("name", DROPPED_ON_ARM64)
def test_arm64_drops_x86_64s(trim: ModuleType, name: str) -> None:
    assert trim.foreign(name, "aarch64")


def test_jar_rewritten_without_them(trim: ModuleType, tmp_path: Path) -> None:
    jar = tmp_path / "natives.jar"
    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as out:
        for name in KEPT + DROPPED:
            out.writestr(name, name * 1000)
    jar.chmod(0o644)
    # The owner is kept too (as root, as in the build: the notebook user's).
    owner = (1000, 100) if os.getuid() == 0 else (os.getuid(), os.getgid())
    os.chown(jar, *owner)
    assert trim.trim(jar) > 0
    with zipfile.ZipFile(jar) as result:
        assert result.namelist() == KEPT
        assert result.read(KEPT[0]) == KEPT[0].encode() * 1000
    assert jar.stat().st_mode & 0o777 == 0o644
    assert (jar.stat().st_uid, jar.stat().st_gid) == owner


def test_signed_jar_left_alone(trim: ModuleType, tmp_path: Path) -> None:
    jar = tmp_path / "signed.jar"
    with zipfile.ZipFile(jar, "w") as out:
        out.writestr("META-INF/SIGNER.SF", "")
        out.writestr(DROPPED[0], "x")
    assert trim.trim(jar) == 0
    assert DROPPED[0] in zipfile.ZipFile(jar).namelist()

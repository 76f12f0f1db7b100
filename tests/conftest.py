"""Shared fixtures: the image under test, and real containers of it.

`pytest tests --image NAME` runs the tests of NAME and of every image it is built on
(tests/images.py); `pytest tests/entrypoint tests/build tests/dashboard` runs the host-side unit
tests alone (the entrypoint's, the build scripts' and the dashboard's view model).
tests/operations (faults, odd users, bad input, isolation) runs with the base image only:
the entrypoint and the pool are the same layers in every image. tests/publish (make push)
runs with `--platform` only: it pushes that platform's base image beside the engine's own.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.containers import Container, Containers
from tests.images import lineage, version
from tests.site_pool import Site, node_image, site_pool

TESTS = Path(__file__).parent
BASE = "base-notebook"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--image`: the short name of the image under test."""
    parser.addoption("--image", default=None, help="image under test, e.g. base-notebook")
    parser.addoption("--org", default="htcondor", help="image name prefix")
    parser.addoption(
        "--platform",
        default=None,
        help="another platform's image (linux/arm64): its -arm64 tags, run under QEMU (QEMU_CPU from the env)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """The smoke marker: what runs for another platform under emulation (`make test-arm64`)."""
    config.addinivalue_line("markers", "smoke: pool, seed map, Jupyter, health, remote mode: run under emulation too")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Collect an image's test folder only when that image is the one under test or its ancestor."""
    image = config.getoption("--image")
    if collection_path.parent != TESTS or not collection_path.is_dir():
        return None
    name = collection_path.name.replace("_", "-")
    if name in ("entrypoint", "build", "dashboard"):
        return bool(image)
    if name == "operations":
        return (image or BASE) != BASE
    if name == "publish":
        return not config.getoption("--platform") or (image or BASE) != BASE
    if name.endswith("-notebook"):
        return image is None or name not in lineage(image)
    return None


@pytest.fixture(scope="module")
def own_image_only(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> None:
    """Skip unless the image under test is the one whose folder holds the test.

    For what is that image's own layers, which the images built on it do not change (base's
    entrypoint and pool are the same in every image).
    """
    own = request.path.parent.name.replace("_", "-")
    if (pytestconfig.getoption("--image") or BASE) != own:
        pytest.skip(f"runs with {own} only: the same layers in the images built on it")


# QEMU's user mode runs arm64 programs on this host's kernel, so they read its x86 /proc/cpuinfo
# and /sys/devices/system/cpu: PyTorch's oneDNN then cannot identify the CPU ("Can't open MIDR_EL1
# sysfs entry") and `import torch` dies ("qemu: uncaught target signal 11"). Emulated containers
# see an arm64 description instead, the host's count of Neoverse N1 cores (QEMU_CPU's model):
# with it, torch 2.14.1 imports and trains under emulation.
NEOVERSE_N1 = {"CPU implementer": "0x41", "CPU architecture": "8", "CPU variant": "0x3", "CPU part": "0xd0c"}
CACHES = [("1", "Data", "64K"), ("1", "Instruction", "64K"), ("2", "Unified", "1024K"), ("3", "Unified", "32768K")]


def arm64_cpus(folder: Path, count: int) -> tuple[str, ...]:
    """`count` Neoverse N1 cores described in `folder`; the docker run options that show them."""
    features = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs"
    described = {"BogoMIPS": "50.00", "Features": features, **NEOVERSE_N1, "CPU revision": "1"}
    lines = "".join(
        f"processor\t: {n}\n" + "".join(f"{k}\t: {v}\n" for k, v in described.items()) + "\n" for n in range(count)
    )
    (folder / "cpuinfo").write_text(lines)
    cpus = folder / "cpu"
    for name in ("online", "possible", "present"):
        (cpus / name).parent.mkdir(parents=True, exist_ok=True)
        (cpus / name).write_text(f"0-{count - 1}\n")
    for n in range(count):
        ids = cpus / f"cpu{n}" / "regs" / "identification"
        ids.mkdir(parents=True)
        (ids / "midr_el1").write_text("0x00000000413fd0c1\n")
        (ids / "revidr_el1").write_text("0x0000000000000000\n")
        (cpus / f"cpu{n}" / "online").write_text("1\n")
        for index, (level, kind, size) in enumerate(CACHES):
            cache = cpus / f"cpu{n}" / "cache" / f"index{index}"
            cache.mkdir(parents=True)
            shared = f"0-{count - 1}" if level == "3" else str(n)
            described = {
                "level": level,
                "type": kind,
                "size": size,
                "shared_cpu_list": shared,
                "coherency_line_size": "64",
            }
            for name, value in described.items():
                (cache / name).write_text(f"{value}\n")
    return ("-v", f"{folder / 'cpuinfo'}:/proc/cpuinfo:ro", "-v", f"{cpus}:/sys/devices/system/cpu:ro")


@pytest.fixture(scope="session")
def platform_options(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """`docker run` options for the platform under test: none for the engine's own."""
    platform = pytestconfig.getoption("--platform")
    if not platform:
        return ()
    qemu_cpu = os.environ.get("QEMU_CPU")
    options = ("--platform", platform, *(("-e", f"QEMU_CPU={qemu_cpu}") if qemu_cpu else ()))
    if platform == "linux/arm64":
        options += arm64_cpus(tmp_path_factory.mktemp("arm64-cpus"), os.cpu_count() or 1)
    return options


@pytest.fixture(scope="session")
def image(pytestconfig: pytest.Config) -> str:
    """The full name of the image under test (another platform's: its -ARCH tag)."""
    short = pytestconfig.getoption("--image") or BASE
    platform = pytestconfig.getoption("--platform")
    suffix = f"-{platform.split('/')[-1]}" if platform else ""
    return f"{pytestconfig.getoption('--org')}/htc-{short}:latest{suffix}"


def _factory(image: str, options: tuple[str, ...]) -> Iterator[Containers]:
    factory = Containers(image, options)
    yield factory
    factory.remove_all()


@pytest.fixture
def containers(image: str, platform_options: tuple[str, ...]) -> Iterator[Containers]:
    """Starts containers of the image under test; removes them when the test ends."""
    yield from _factory(image, platform_options)


@pytest.fixture(scope="module")
def module_containers(image: str, platform_options: tuple[str, ...]) -> Iterator[Containers]:
    """Starts containers shared by one test module; removes them after it."""
    yield from _factory(image, platform_options)


@pytest.fixture(scope="session")
def session_containers(image: str, platform_options: tuple[str, ...]) -> Iterator[Containers]:
    """Starts containers shared by the whole run."""
    yield from _factory(image, platform_options)


@pytest.fixture(scope="session")
def container(session_containers: Containers) -> Container:
    """One container of the default run (personal pool, JupyterLab), healthy and its pool ready."""
    return session_containers.start(wait="healthy")


@pytest.fixture(scope="session")
def site(image: str) -> Iterator[Site]:
    """A site pool (central manager, submit node, two execute nodes) of the image under test."""
    with site_pool(image) as pool:
        yield pool


@pytest.fixture(scope="session")
def container_site(image: str) -> Iterator[Site]:
    """A site whose execute nodes share nothing with the notebook: jobs run in its image, from a registry."""
    with site_pool(image, execute_image=node_image(version("CONDOR_VERSION"))) as pool:
        yield pool


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium, driven through Debian's chromedriver (the browser tests')."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    yield driver
    driver.quit()

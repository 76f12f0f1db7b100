"""tools/bootstrap-root-image.sh and tools/host-tools.sh, with fake mmdebstrap, docker and apt-get."""

import os
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
# What the scripts may call besides the fakes.
REAL = ["bash", "dirname", "id", "mktemp", "rm", "awk"]
# A fake mmdebstrap's output file: its argument that ends in .tar.
TAR_ARG = "for a; do case $a in *.tar) out=$a ;; esac; done"


@pytest.fixture
def fakebin(tmp_path: Path) -> Path:
    """A PATH of the real helpers and a docker that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in REAL:
        for prefix in ("/usr/bin", "/bin"):
            if Path(prefix, name).exists():
                (bin_dir / name).symlink_to(Path(prefix, name))
                break
    fake(bin_dir, "docker", f'echo "$*" >> {tmp_path}/docker.calls')
    fake(bin_dir, "apt-get", "exit 0")  # no Debian archive configured
    return bin_dir


def fake(bin_dir: Path, name: str, body: str) -> None:
    script = bin_dir / name
    script.write_text(f"#!/bin/bash\n{body}\n")
    script.chmod(0o755)


def bootstrap(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(bin_dir), "DEBIAN_MIRROR": "http://mirror.invalid/debian", "TMPDIR": str(bin_dir.parent)}
    return subprocess.run(
        ["bash", str(TOOLS / "bootstrap-root-image.sh"), "root:test"], env=env, capture_output=True, text=True
    )


def test_failed_bootstrap_leaves_no_image(fakebin: Path, tmp_path: Path) -> None:
    """A failing mmdebstrap (a network hiccup): the script fails and docker never imports."""
    # Writes part of a tree to its output, then fails.
    fake(fakebin, "mmdebstrap", f"{TAR_ARG}; echo partial > $out; exit 1")
    done = bootstrap(fakebin)
    assert done.returncode != 0
    assert "building root:test" in done.stderr, "failed before mmdebstrap ran"
    calls = tmp_path / "docker.calls"
    assert not calls.exists() or "import" not in calls.read_text()
    assert not list(tmp_path.glob("*.tar")), "the partial tree is left behind"


def test_bootstrap_imports_the_finished_tree(fakebin: Path, tmp_path: Path) -> None:
    fake(fakebin, "mmdebstrap", f"{TAR_ARG}; echo tree > $out")
    done = bootstrap(fakebin)
    assert done.returncode == 0, done.stderr
    (call,) = (tmp_path / "docker.calls").read_text().splitlines()
    assert call.startswith("import ") and call.endswith(" root:test")
    assert not list(tmp_path.glob("*.tar")), "the tree file is removed after the import"


@pytest.mark.parametrize(("tool", "command"), [("mmdebstrap", "apt-get install mmdebstrap"), ("buildx", "buildx")])
def test_missing_tool_without_apt_is_one_line(fakebin: Path, tool: str, command: str) -> None:
    """No apt-get (or no root): nothing is installed; one line says what to run."""
    fake(fakebin, "docker", "exit 1")  # no buildx plugin
    (fakebin / "apt-get").unlink()
    done = subprocess.run(
        ["bash", str(TOOLS / "host-tools.sh"), tool], env={"PATH": str(fakebin)}, capture_output=True, text=True
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{tool} is missing") and command in line


def test_present_tool_is_left_alone(fakebin: Path) -> None:
    fake(fakebin, "mmdebstrap", "exit 0")
    fake(fakebin, "apt-get", "echo apt-get must not run >&2; exit 9")
    done = subprocess.run(
        ["bash", str(TOOLS / "host-tools.sh"), "mmdebstrap"],
        env={**os.environ, "PATH": str(fakebin)},
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (0, "")

"""CPUs and memory after cgroup limits."""

import os
from pathlib import Path

from htc_entrypoint import resources


def meminfo(tmp_path: Path, mb: int) -> Path:
    path = tmp_path / "meminfo"
    path.write_text(f"MemTotal:       {mb * 1024} kB\nMemFree: 1 kB\n")
    return path


def test_no_limits(tmp_path: Path) -> None:
    assert resources.cpus(tmp_path) == len(os.sched_getaffinity(0))
    assert resources.memory_mb(tmp_path, meminfo(tmp_path, 4096)) == 4096


def test_cgroup_v2_limits(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    (tmp_path / "memory.max").write_text(str(512 * 1024 * 1024))
    assert resources.cpus(tmp_path) == 1
    assert resources.memory_mb(tmp_path, meminfo(tmp_path, 4096)) == 512


def test_cgroup_v2_unlimited(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")
    (tmp_path / "memory.max").write_text("max\n")
    assert resources.cpus(tmp_path) == len(os.sched_getaffinity(0))
    assert resources.memory_mb(tmp_path, meminfo(tmp_path, 2048)) == 2048


def test_cgroup_v1_limits(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000")
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text(str(2**63 - 4096))
    assert resources.cpus(tmp_path) == 1  # half a CPU still offers one slot CPU
    assert resources.memory_mb(tmp_path, meminfo(tmp_path, 1000)) == 1000


def test_cpu_share_keeps_a_fraction(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    (tmp_path / "memory.max").write_text(str(2**30))
    assert resources.cpu_share(tmp_path) == min(1.5, len(os.sched_getaffinity(0)))
    assert resources.memory_bytes(tmp_path, meminfo(tmp_path, 4096)) == 2**30

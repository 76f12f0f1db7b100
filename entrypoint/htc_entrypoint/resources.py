"""What the container may use: CPUs and memory after cgroup (v1 or v2) limits."""

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cpu_quota(cgroup: Path) -> float | None:
    """CPUs allowed by the CFS quota (`docker run --cpus`), or None without a limit."""
    v2 = _read(cgroup / "cpu.max")
    if v2 is not None:
        quota, _, period = v2.partition(" ")
        if quota != "max" and period:
            return int(quota) / int(period)
        return None
    quota_v1 = _read(cgroup / "cpu" / "cpu.cfs_quota_us")
    period_v1 = _read(cgroup / "cpu" / "cpu.cfs_period_us")
    if quota_v1 and period_v1 and int(quota_v1) > 0:
        return int(quota_v1) / int(period_v1)
    return None


def cpu_share(cgroup: Path = CGROUP) -> float:
    """CPUs the container may use, fractions too (`--cpus 1.5`): its CPU set, capped by its quota."""
    count = len(os.sched_getaffinity(0))
    quota = _cpu_quota(cgroup)
    return count if quota is None else min(count, quota)


def cpus(cgroup: Path = CGROUP) -> int:
    """Whole CPUs the container may use: its CPU set, capped by its quota, at least 1."""
    return max(1, math.floor(cpu_share(cgroup)))


def memory_bytes(cgroup: Path = CGROUP, meminfo: Path = Path("/proc/meminfo")) -> int:
    """Memory in bytes the container may use: its cgroup limit, or the machine's memory."""
    total_kb = 0
    for line in (_read(meminfo) or "").splitlines():
        if line.startswith("MemTotal:"):
            total_kb = int(line.split()[1])
    total = total_kb * 1024
    limit = _read(cgroup / "memory.max") or _read(cgroup / "memory" / "memory.limit_in_bytes")
    if limit and limit != "max" and int(limit) < total:
        total = int(limit)
    return total


def memory_mb(cgroup: Path = CGROUP, meminfo: Path = Path("/proc/meminfo")) -> int:
    """Memory in MB the container may use: its cgroup limit, or the machine's memory."""
    return max(1, memory_bytes(cgroup, meminfo) // (1024 * 1024))

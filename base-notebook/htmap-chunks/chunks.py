"""Chunked maps: `chunksize` items of a map per HTCondor job (installed as htmap/chunks.py).

A component is still one item to the user: get, iteration, errors, stdout, rerun, holds, load,
the CLI and the dashboard are per item, and the map's state is per item (a chunk job's events
apply to each of its items). What differs is the submission (one job per chunk, run by
run/_htmap_run_chunk.py) and the storage: creating a file costs about 1 ms here, more than a
trivial item's whole run, so a chunked map keeps its items' inputs in one zip file per chunk
(inputs/chunk-FIRST.zip) and each job's outputs, stdout and stderr in one tar file
(outputs/chunk-CLUSTER.PROC.tar; an empty stream has no member), read by member. An item's
output files are unpacked into output_files/ as HTMap has them. The chunk size is saved in the
map's directory (absent: 1, every map made before chunks), so that a rerun submits the same way.
"""

import gzip
import io
import logging
import math
import operator
import os
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import names
from .run._htmap_run_chunk import LOGS, OUTPUT_ARCHIVE, OUTPUT_FILES, OUTPUTS, items_of, spec_of

if TYPE_CHECKING:
    from .maps import Map
    from .state import MapState

__all__ = ["items_of"]  # for state.py

logger = logging.getLogger(__name__)
FILE = "chunksize"
RUNNER = "_htmap_run_chunk.py"
# "auto": about this many jobs per slot of the pool, so that a slow item does not leave the
# others idle at the end; at most MAX_AUTO items per job, so that a job's lists stay short.
JOBS_PER_SLOT = 4
MAX_AUTO = 1000


def check(chunksize: object) -> None:
    """One line for a chunk size that is neither a whole number of items (1 or more) nor "auto"."""
    if chunksize == "auto":
        return
    try:
        whole = operator.index(chunksize)  # type: ignore[arg-type]  # numpy's integers too
    except TypeError:
        whole = 0
    if isinstance(chunksize, bool) or whole < 1:
        raise ValueError(f"chunksize must be a whole number of items per job (1 or more) or 'auto', not {chunksize!r}")


def resolve(chunksize: int | str, items: int, slots: Callable[[], int]) -> int:
    """The chunk size to use: "auto" spreads the items over a few jobs per slot of the pool."""
    check(chunksize)
    if chunksize == "auto":
        return max(1, min(MAX_AUTO, math.ceil(items / (JOBS_PER_SLOT * max(1, slots())))))
    return operator.index(chunksize)  # type: ignore[arg-type]


def pool_slots() -> int:
    """The pool's cores (every slot's, claimed or not); 1 when the collector does not answer."""
    import htcondor2 as htcondor

    from .settings import settings

    try:
        collector = htcondor.Collector(settings["HTCONDOR.COLLECTOR"])
        ads = collector.query(htcondor.AdType.Startd, projection=["Cpus"])
    except htcondor.HTCondorException:
        return 1
    return sum(int(ad.get("Cpus", 1)) for ad in ads) or 1


def load(map_dir: Path) -> int:
    try:
        return int((map_dir / FILE).read_text())
    except FileNotFoundError:
        return 1


def input_archive(item: int, chunksize: int) -> str:
    return f"{names.INPUTS_DIR}/chunk-{item - item % chunksize}.zip"


def save_inputs(
    map_dir: Path, inputs: list[Any], chunksize: int, save_files: Callable[[Path, list[Any]], None]
) -> None:
    """Save the chunk size and the items' inputs: HTMap's files (`save_files`), or a zip per chunk."""
    if chunksize == 1:
        save_files(map_dir, inputs)
        return
    (map_dir / FILE).write_text(str(chunksize))
    import cloudpickle

    for first in range(0, len(inputs), chunksize):
        zipped = io.BytesIO()  # made in memory: zipfile seeks back after each member
        with zipfile.ZipFile(zipped, "w") as archive:
            for item in range(first, min(first + chunksize, len(inputs))):
                archive.writestr(f"{item}.{names.INPUT_EXT}", gzip.compress(cloudpickle.dumps(inputs[item]), 1))
        (map_dir / input_archive(first, chunksize)).write_bytes(zipped.getvalue())


def read_input(map_dir: Path, item: int, chunksize: int) -> io.BytesIO:
    with zipfile.ZipFile(map_dir / input_archive(item, chunksize)) as archive:
        return io.BytesIO(archive.read(f"{item}.in"))


class Archive:
    """A job's output archive, open, with where each member's data is (written once, never changed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members: dict[str, tuple[int, int]] = {}
        end = path.stat().st_size
        with tarfile.open(path) as tar:
            try:
                for m in tar:
                    if m.isfile() and m.offset_data + m.size <= end:
                        self.members[m.name] = (m.offset_data, m.size)
            except tarfile.ReadError:  # cut short (a job that ended with os._exit): its whole members
                pass
        self.fd = os.open(path, os.O_RDONLY)

    def read(self, name: str) -> bytes:
        try:
            offset, size = self.members[name]
        except KeyError:
            raise FileNotFoundError(f"{self.path} has no {name}") from None
        return os.pread(self.fd, size, offset)  # no shared position: safe from several threads


# The archives read last, kept open: opening a file costs 0.3 ms here, reading a member 10 us.
# (A removed map's archive stays until 16 others are read after it.)
OPEN_ARCHIVES: dict[Path, Archive] = {}
KEPT_OPEN = 16


def archive(path: Path) -> Archive:
    if path not in OPEN_ARCHIVES:
        if len(OPEN_ARCHIVES) >= KEPT_OPEN:
            os.close(OPEN_ARCHIVES.pop(next(iter(OPEN_ARCHIVES))).fd)
        OPEN_ARCHIVES[path] = Archive(path)
    return OPEN_ARCHIVES[path]


def output_archive(map_dir: Path, job: tuple[object, object]) -> Path:
    return map_dir / names.OUTPUTS_DIR / f"chunk-{job[0]}.{job[1]}.tar"


def item_jobs(state: "MapState") -> dict[int, tuple[int, int]]:
    """Each finished item's latest job, in the map's state (rebuilt from its event log)."""
    return state.__dict__.setdefault("_item_jobs", {})


def job_finished(state: "MapState", job: tuple[int, int], items: list[int]) -> None:
    """A chunk job ended: its items' outputs are in its archive; their output files unpacked."""
    jobs = item_jobs(state)
    for item in items:
        jobs[item] = job
    try:
        unpack_output_files(state.map._map_dir, job, items)
    except (OSError, tarfile.TarError) as e:  # the items' results stay readable
        logger.warning(f"output files of job {job[0]}.{job[1]} of map {state.map.tag} not unpacked: {e}")


def unpack_output_files(map_dir: Path, job: tuple[int, int], items: list[int]) -> None:
    """Each of the job's items' output files, into output_files/ITEM as HTMap has them, once.

    Only the job's own items' folders, each moved in whole from a folder of this process's: the
    notebook and the dashboard both read the events, and an item's files are unpacked only while
    its folder is absent (a rerun removes it first).
    """
    path = output_archive(map_dir, job)
    own = {f"{OUTPUT_FILES}/{item}" for item in items}
    wanted = [name for name in archive(path).members if "/".join(name.split("/")[:2]) in own]
    if not wanted:
        return
    with tempfile.TemporaryDirectory(dir=map_dir, prefix=".unpack-") as scratch, tarfile.open(path) as tar:
        tar.extractall(scratch, members=[tar.getmember(name) for name in wanted], filter="data")
        for folder in (Path(scratch) / OUTPUT_FILES).iterdir():
            target = map_dir / OUTPUT_FILES / folder.name
            if not target.exists():
                folder.rename(target)


def item_output(found: "Map", item: int, kind: str) -> io.BytesIO | None:
    """An item's output ("out"), stdout or stderr from its job's archive; None: not a chunked map."""
    if found._chunksize == 1:
        return None
    job = item_jobs(found._state).get(item)
    if job is None:
        raise FileNotFoundError(f"no output yet for item {item} of map {found.tag}")
    outputs = archive(output_archive(found._map_dir, job))
    if kind == names.OUTPUT_EXT:
        return io.BytesIO(outputs.read(f"{OUTPUTS}/{item}.{kind}"))
    if f"{LOGS}/{item}.{kind}" not in outputs.members and f"{OUTPUTS}/{item}.{names.OUTPUT_EXT}" in outputs.members:
        return io.BytesIO()  # the item ran: an empty stream has no member
    return io.BytesIO(outputs.read(f"{LOGS}/{item}.{kind}"))


def chunked(
    submit: MutableMapping[str, str], itemdata: list[dict[str, str]], chunksize: int, map_dir: Path
) -> list[dict[str, str]]:
    """Rewrite a map's submit description for chunk jobs (in place); one itemdatum per chunk."""
    if any("extra_remaps" in item for item in itemdata):
        raise ValueError("output_remaps work one item per job: use chunksize=1 with them")
    map_dir = map_dir.absolute()
    per_item_inputs = (map_dir / names.INPUTS_DIR / f"$(component).{names.INPUT_EXT}").as_posix()
    submit["transfer_input_files"] = ",".join(
        [
            *(f for f in submit["transfer_input_files"].split(",") if f.strip() != per_item_inputs),
            (map_dir / RUNNER).as_posix(),
            "$(chunk_inputs)",
        ]
    )
    # The job starts in the map's directory: the inputs' relative names are short.
    submit["initialdir"] = map_dir.as_posix()
    submit["transfer_output_files"] = OUTPUT_ARCHIVE
    job_archive = output_archive(map_dir, ("$(Cluster)", "$(Process)"))
    submit["transfer_output_remaps"] = f'"{OUTPUT_ARCHIVE}={job_archive.as_posix()}"'
    if "transfer_plugins" in submit:
        submit["transfer_plugins"] = ""  # HTCondor's Submit cannot delete a key; empty has no effect
    for stream in ("stdout", "stderr"):
        submit[stream] = (map_dir / names.JOB_LOGS_DIR / f"chunk-$(Cluster).$(Process).{stream}").as_posix()
    submit["MY.component"] = '"$(component)"'
    return [
        chunk_itemdatum(itemdata[start : start + chunksize], chunksize) for start in range(0, len(itemdata), chunksize)
    ]


def chunk_itemdatum(items: list[dict[str, str]], chunksize: int) -> dict[str, str]:
    """One chunk's itemdatum from its items': their input archives and files, one value per option."""
    numbers = [int(item["component"]) for item in items]
    datum = {
        "component": spec_of(numbers),
        "chunk_inputs": ", ".join(dict.fromkeys(input_archive(n, chunksize) for n in numbers)),
    }
    if any("extra_input_files" in item for item in items):
        files = (f.strip() for item in items for f in item.get("extra_input_files", "").split(","))
        unique = list(dict.fromkeys(f for f in files if f))
        by_name: dict[str, str] = {}
        for f in unique:
            other = by_name.setdefault(f.rstrip("/").rsplit("/", 1)[-1], f)
            if other != f:
                raise ValueError(f"input files {other} and {f} of one job share a name: give chunksize=1")
        datum["extra_input_files"] = ", ".join(unique)
    for key in {key for item in items for key in item if key.startswith("itemdata_for_")}:
        values = {item.get(key) for item in items}
        if len(values) > 1:
            option = key.removeprefix("itemdata_for_")
            raise ValueError(f"MapOptions {option}: one value for the items of a job (chunksize > 1), or chunksize=1")
        datum[key] = values.pop() or ""
    return datum

"""Run a chunk of a map's items in one job and one interpreter (installed as htmap/run/).

_htmap_run.py starts it when its argument is a chunk ("3-9,12-12": inclusive ranges). Each item
is run as HTMap runs a component: its own stdout and stderr, its output (the result, or its error
with its own traceback), its output files. The items' inputs come in zip files (chunk-N.zip, a
member N.in per item) and their outputs go out in one tar file, each item's members added (through
the file's buffer) as it finishes: a file per item would cost more than a trivial item's run on
both sides. An empty stream has no member (half a trivial item's archive).
"""

import io
import os
import shutil
import sys
import tarfile
import textwrap
import traceback
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

OUTPUT_ARCHIVE = "_htmap_chunk.tar"
INPUT_ARCHIVES = "chunk-*.zip"
# Members of the output archive, named as in the map's directory (htmap/names.py).
OUTPUTS, LOGS, OUTPUT_FILES = "outputs", "logs", "output_files"


def spec_of(items: list[int]) -> str:
    """The chunk's argument for its items: sorted inclusive ranges, e.g. [3, 4, 5, 12] -> "3-5,12-12"."""
    ranges: list[list[int]] = []
    for item in sorted(items):
        if ranges and item == ranges[-1][1] + 1:
            ranges[-1][1] = item
        else:
            ranges.append([item, item])
    return ",".join(f"{first}-{last}" for first, last in ranges)


def items_of(spec: str) -> list[int]:
    """The items of a chunk's argument ("3-5,12-12" -> [3, 4, 5, 12]); a plain component is itself."""
    items: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        items.extend(range(int(first), int(last or first) + 1))
    return items


class ItemStreams:
    """Each item's stdout and stderr, at the file descriptors (a subprocess's too), in memory."""

    def __init__(self) -> None:
        self.files = [os.fdopen(os.memfd_create(name), "w+b") for name in ("stdout", "stderr")]

    def __enter__(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.saved = [os.dup(1), os.dup(2)]
        for fd, file in zip((1, 2), self.files, strict=True):
            file.seek(0)
            file.truncate()
            os.dup2(file.fileno(), fd)

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, saved in zip((1, 2), self.saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)

    def contents(self) -> list[bytes]:
        out = []
        for file in self.files:
            file.seek(0)
            out.append(file.read())
        return out


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def failure(run: ModuleType, item: int, error: BaseException, node_info: object, python_info: object) -> object:
    """The item's error as HTMap reports a component's, its traceback from the item's own frame."""
    trace = error.__traceback__
    return run.ExecutionError(
        component=item,
        exception_msg=textwrap.dedent("\n".join(traceback.format_exception_only(type(error), error))).rstrip(),
        stack_summary=traceback.StackSummary.from_list(run.build_frames(trace)),
        node_info=node_info,
        python_info=python_info,
        scratch_dir_contents=[],
    )


def installed(run: ModuleType) -> object:
    """The interpreter and its packages, for error reports only (as HTMap's run script)."""
    try:
        return (*run.get_python_info()[:2], run.pip_freeze())
    except Exception:
        return None


def run_chunk(run: ModuleType, spec: str) -> None:
    """Run each item of the chunk with the run script's own helpers (`run` is its __main__)."""
    os.environ["HTMAP_ON_EXECUTE"] = "1"
    os.environ["HTMAP_IN_CHUNK"] = "1"  # htmap.checkpoint and URL outputs: one item per job only
    node_info = run.get_node_info()
    run.print_node_info(node_info)
    scratch_dir = Path.cwd()
    transfer_dir = scratch_dir / run.USER_TRANSFER_DIR
    items = items_of(spec)
    print(f"Running {len(items)} items: {spec}", flush=True)
    inputs = {
        name: zipped
        for zipped in map(zipfile.ZipFile, sorted(scratch_dir.glob(INPUT_ARCHIVES)))
        for name in zipped.namelist()
    }

    python_info = None
    streams = ItemStreams()
    try:
        run.check_notebook_versions(sys.argv[2:4])
        func = run.load_func()
    except Exception as e:  # every item's error: made once (its traceback would grow at each raise)
        python_info = installed(run)
        stderr = "".join(traceback.format_exception(e)).encode()
        loaded: Any = (e, stderr)
    else:
        loaded = None

    # Symbolic links in an item's output files are sent as the files they point to.
    with tarfile.open(OUTPUT_ARCHIVE, "w", format=tarfile.PAX_FORMAT, dereference=True) as tar:
        for item in items:
            os.environ["HTMAP_COMPONENT"] = str(item)
            if loaded is not None:
                status, result_or_error = "ERR", failure(run, item, loaded[0], node_info, python_info)
                texts = [b"", loaded[1]]
            else:
                with streams:
                    try:
                        args, kwargs = run.load_object(inputs[f"{item}.in"].open(f"{item}.in"))
                        result_or_error, status = func(*args, **kwargs), "OK"
                    except (Exception, SystemExit) as e:  # the item's own error; the next item runs
                        if python_info is None:
                            python_info = installed(run)
                        result_or_error, status = failure(run, item, e, node_info, python_info), "ERR"
                        traceback.print_exception(type(e), e, e.__traceback__.tb_next)  # from the item's frame
                texts = streams.contents()
            output = io.BytesIO()
            run.save_objects([status, result_or_error], output)
            add(tar, f"{OUTPUTS}/{item}.out", output.getvalue())
            for stream, text in zip(("stdout", "stderr"), texts, strict=True):
                if text:
                    add(tar, f"{LOGS}/{item}.{stream}", text)
            # An item that sent files with htmap.transfer_output_files imported htmap: its files
            # go into the archive at once, so that the job's disk holds one item's. What else is
            # left in the transfer folder (a subprocess's, say) goes in at the end. (Looking for
            # every item's folder took 0.15 ms an item, as long as a trivial item's whole run.)
            if "htmap" in sys.modules:
                send_output_files(tar, transfer_dir, str(item))
        for left in sorted(os.listdir(transfer_dir)) if transfer_dir.exists() else []:
            send_output_files(tar, transfer_dir, left)
    print(f"Finished {len(items)} items", flush=True)


def send_output_files(tar: tarfile.TarFile, transfer_dir: Path, item: str) -> None:
    """An item's output files, if it has any, into the archive and off the job's disk."""
    files = transfer_dir / item
    if files.is_dir():  # what htmap.transfer_output_files makes; anything else is not sent
        tar.add(files, f"{OUTPUT_FILES}/{item}")
        shutil.rmtree(files)

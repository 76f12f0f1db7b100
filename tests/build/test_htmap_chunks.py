"""Chunked maps' submission rules (base-notebook/htmap-chunks), on the host, without HTCondor.

The two modules are installed into HTMap's package; here they are loaded as a package of
their own with HTMap's few names. The jobs themselves run in test_htmap_chunks (image tests).
"""

import importlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

SOURCE = Path(__file__).parents[2] / "base-notebook" / "htmap-chunks"
NAMES = 'INPUTS_DIR = "inputs"\nINPUT_EXT = "in"\nOUTPUTS_DIR = "outputs"\nOUTPUT_EXT = "out"\nJOB_LOGS_DIR = "logs"\n'


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("pkg")
    package = root / "htmap_under_test"
    (package / "run").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "names.py").write_text(NAMES)
    (package / "run" / "__init__.py").write_text("")
    shutil.copy(SOURCE / "chunks.py", package)
    shutil.copy(SOURCE / "_htmap_run_chunk.py", package / "run")
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("htmap_under_test.chunks")
    finally:
        sys.path.remove(str(root))


def test_a_chunks_items_are_ranges_in_its_argument(chunks: ModuleType) -> None:
    assert chunks.spec_of([12, 3, 5, 4]) == "3-5,12-12"
    assert chunks.items_of("3-5,12-12") == [3, 4, 5, 12]
    assert chunks.items_of("7") == [7]  # a component's own notes, unchunked


@pytest.mark.parametrize(("items", "slots", "size"), [(10_000, 2, 1000), (200, 2, 25), (5, 2, 1), (200, 0, 50)])
def test_auto_makes_a_few_jobs_per_slot(chunks: ModuleType, items: int, slots: int, size: int) -> None:
    assert chunks.resolve("auto", items, lambda: slots) == size


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "big", None])
def test_a_bad_chunk_size_is_one_line(chunks: ModuleType, bad: object) -> None:
    with pytest.raises(
        ValueError, match=r"^chunksize must be a whole number of items per job \(1 or more\) or 'auto', not "
    ):
        chunks.resolve(bad, 10, lambda: 1)


def submit_of(map_dir: Path) -> dict[str, str]:
    """The parts of a map's submit description that chunks change, as HTMap writes them."""
    return {
        "transfer_input_files": ",".join(
            ["/run.py", f"{map_dir}/func", f"{map_dir}/inputs/$(component).in", "/data.csv", "$(extra_input_files)"]
        ),
        "transfer_output_files": "_htmap_transfer/ , _htmap_user_transfer/$(component)",
        "transfer_output_remaps": '" $(component).out=/x/outputs/$(component).out "',
        "initialdir": f"{map_dir}/output_files",
        "stdout": f"{map_dir}/logs/$(component).stdout",
        "stderr": f"{map_dir}/logs/$(component).stderr",
        "MY.component": "$(component)",
    }


def test_a_map_is_submitted_as_one_job_per_chunk(chunks: ModuleType, tmp_path: Path) -> None:
    submit = submit_of(tmp_path)
    itemdata = [{"component": str(i), "extra_input_files": f"/in/{i}.txt"} for i in range(5)]
    jobs = chunks.chunked(submit, itemdata, 2, tmp_path)
    assert [job["component"] for job in jobs] == ["0-1", "2-3", "4-4"]
    assert [job["chunk_inputs"] for job in jobs] == ["inputs/chunk-0.zip", "inputs/chunk-2.zip", "inputs/chunk-4.zip"]
    assert jobs[0]["extra_input_files"] == "/in/0.txt, /in/1.txt"
    files = submit["transfer_input_files"].split(",")
    assert files == [
        "/run.py",
        f"{tmp_path}/func",
        "/data.csv",
        "$(extra_input_files)",
        f"{tmp_path}/_htmap_run_chunk.py",
        "$(chunk_inputs)",
    ]
    assert submit["initialdir"] == str(tmp_path)
    assert submit["transfer_output_files"] == "_htmap_chunk.tar"
    assert submit["transfer_output_remaps"] == f'"_htmap_chunk.tar={tmp_path}/outputs/chunk-$(Cluster).$(Process).tar"'
    assert submit["stdout"] == f"{tmp_path}/logs/chunk-$(Cluster).$(Process).stdout"
    assert submit["MY.component"] == '"$(component)"'  # a string: "0-1" is not an expression


def test_a_rerun_sends_each_item_its_chunks_inputs(chunks: ModuleType, tmp_path: Path) -> None:
    jobs = chunks.chunked(submit_of(tmp_path), [{"component": "1"}, {"component": "4"}], 2, tmp_path)
    assert jobs == [{"component": "1-1,4-4", "chunk_inputs": "inputs/chunk-0.zip, inputs/chunk-4.zip"}]


def test_options_per_item_must_agree_within_a_job(chunks: ModuleType, tmp_path: Path) -> None:
    same = [{"component": str(i), "itemdata_for_request_memory": "1GB"} for i in range(2)]
    assert chunks.chunked(submit_of(tmp_path), same, 2, tmp_path)[0]["itemdata_for_request_memory"] == "1GB"
    differ = [{"component": str(i), "itemdata_for_request_memory": f"{i + 1}GB"} for i in range(2)]
    with pytest.raises(ValueError, match=r"^MapOptions request_memory: one value for the items of a job"):
        chunks.chunked(submit_of(tmp_path), differ, 2, tmp_path)
    with pytest.raises(ValueError, match=r"^output_remaps work one item per job"):
        chunks.chunked(submit_of(tmp_path), [{"component": "0", "extra_remaps": "a=b"}], 2, tmp_path)


def item(x: int) -> int:
    """A mapped function: prints to both streams and from a subprocess, sends a file, fails for 1 and 2."""
    print(f"out {x}")
    print(f"err {x}", file=sys.stderr)
    subprocess.run(["echo", f"sub {x}"], check=True)
    files = Path("_htmap_user_transfer", str(x))
    files.mkdir(parents=True)
    (files / "f.txt").write_text(str(x))
    if x == 1:
        raise ValueError("one")
    if x == 2:
        sys.exit(5)
    return 10 * x


class ExecutionError:
    """HTMap's, as its run script has it: the fields of a component's error."""

    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def stub_run(load_func: Callable[[], object]) -> ModuleType:
    """HTMap's run script's helpers that the runner uses, with pickle for cloudpickle."""
    run = ModuleType("stub_run")
    run.__dict__.update(
        USER_TRANSFER_DIR="_htmap_user_transfer",
        ExecutionError=ExecutionError,
        get_node_info=lambda: ("node", "127.0.0.1", None, "me"),
        print_node_info=lambda info: print("Landed on", info[0]),
        check_notebook_versions=lambda versions: None,
        load_func=load_func,
        load_object=pickle.load,
        save_objects=lambda objects, file: [pickle.dump(o, file) for o in objects],
        build_frames=lambda tb: list(traceback.extract_tb(tb))[1:],
        get_python_info=lambda: ("python", "3.13", "(listed when a component fails)"),
        pip_freeze=lambda: "pkg==1",
    )
    return run


def run_in(folder: Path, chunks: ModuleType, run: ModuleType, spec: str) -> dict[str, bytes]:
    """Run a chunk in `folder` with inputs x = item; the output archive's members."""
    runner = sys.modules[chunks.__name__.replace(".chunks", ".run._htmap_run_chunk")]
    with zipfile.ZipFile(folder / "chunk-0.zip", "w") as zipped:
        for x in runner.items_of(spec):
            zipped.writestr(f"{x}.in", pickle.dumps(((x,), {})))
    # In a job, sys.stdout and sys.stderr write to file descriptors 1 and 2; pytest's do not.
    cwd, streams = Path.cwd(), (sys.stdout, sys.stderr)
    os.chdir(folder)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    try:
        runner.run_chunk(run, spec)
    finally:
        os.chdir(cwd)
        sys.stdout, sys.stderr = streams
    with tarfile.open(folder / "_htmap_chunk.tar") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def outcome(members: dict[str, bytes], x: int) -> tuple[str, object]:
    loaded = io.BytesIO(members[f"outputs/{x}.out"])
    return pickle.load(loaded), pickle.load(loaded)  # noqa: S301 (the test's own)


def test_each_item_of_a_job_has_its_own_result_error_streams_and_files(chunks: ModuleType, tmp_path: Path) -> None:
    members = run_in(tmp_path, chunks, stub_run(lambda: item), "0-3")
    assert outcome(members, 0) == ("OK", 0) and outcome(members, 3) == ("OK", 30)
    status, error = outcome(members, 1)
    assert status == "ERR" and error.exception_msg == "ValueError: one" and error.component == 1
    assert error.stack_summary[0].name == "item"  # from the item's own frame
    status, error = outcome(members, 2)  # sys.exit in an item: its error, and the next item runs
    assert status == "ERR" and error.exception_msg == "SystemExit: 5"
    assert members["logs/0.stdout"] == b"out 0\nsub 0\n" and members["logs/0.stderr"] == b"err 0\n"
    assert members["logs/1.stderr"].startswith(b"err 1\nTraceback") and b"ValueError: one" in members["logs/1.stderr"]
    assert members["output_files/3/f.txt"] == b"3"
    assert not (tmp_path / "_htmap_user_transfer" / "3").exists()  # sent at the job's end (htmap not imported)


def test_a_function_that_does_not_load_is_each_items_error_made_once(chunks: ModuleType, tmp_path: Path) -> None:
    def broken() -> None:
        raise ModuleNotFoundError("No module named 'missing'")

    members = run_in(tmp_path, chunks, stub_run(broken), "0-299")
    errors = [outcome(members, x)[1] for x in range(300)]
    assert {e.exception_msg for e in errors} == {"ModuleNotFoundError: No module named 'missing'"}
    assert [e.component for e in errors] == list(range(300))
    assert len({len(members[f"logs/{x}.stderr"]) for x in range(300)}) == 1  # the traceback does not grow


def quiet_or_sending(x: int) -> int:
    """A mapped function: 0 prints, 1 is silent and leaves a plain file among the sent folders, 2 and up send files."""
    if x == 0:
        print("zero")
    if x == 1:
        Path("_htmap_user_transfer").mkdir()
        Path("_htmap_user_transfer", "notes.txt").write_text("not an item's folder: not sent")
    if x >= 2:
        assert not Path("_htmap_user_transfer", str(x - 1)).exists()
        files = Path("_htmap_user_transfer", str(x))
        files.mkdir(parents=True)
        (files / "f.txt").write_text(str(x))
    return x


def test_an_items_empty_streams_have_no_member_and_read_as_empty(chunks: ModuleType, tmp_path: Path) -> None:
    members = run_in(tmp_path, chunks, stub_run(lambda: quiet_or_sending), "0-1")
    assert sorted(members) == ["logs/0.stdout", "outputs/0.out", "outputs/1.out"]
    (tmp_path / "outputs").mkdir()
    (tmp_path / "_htmap_chunk.tar").rename(chunks.output_archive(tmp_path, (7, 0)))
    found = SimpleNamespace(_chunksize=2, _state=SimpleNamespace(), _map_dir=tmp_path, tag="t")
    chunks.item_jobs(found._state).update({0: (7, 0), 1: (7, 0)})
    assert chunks.item_output(found, 0, "stdout").read() == b"zero\n"
    assert chunks.item_output(found, 1, "stdout").read() == chunks.item_output(found, 1, "stderr").read() == b""
    assert pickle.load(chunks.item_output(found, 1, "out")) == "OK"  # noqa: S301 (the test's own)
    chunks.item_jobs(found._state)[2] = (7, 0)  # not in that job: its output and streams are missing, not empty
    for kind, member in (("out", "outputs/2.out"), ("stdout", "logs/2.stdout")):
        with pytest.raises(FileNotFoundError, match=f"has no {member}"):
            chunks.item_output(found, 2, kind)


def test_an_item_of_htmaps_sends_its_files_before_the_next_runs(
    chunks: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "htmap", ModuleType("htmap"))  # the function imported htmap to send files
    members = run_in(tmp_path, chunks, stub_run(lambda: quiet_or_sending), "2-4")
    assert [members[f"output_files/{x}/f.txt"] for x in (2, 3, 4)] == [b"2", b"3", b"4"]
    assert not (tmp_path / "_htmap_user_transfer" / "4").exists()


@pytest.mark.parametrize("into", ["data", "header"])
def test_an_archive_cut_short_keeps_its_whole_members(chunks: ModuleType, tmp_path: Path, into: str) -> None:
    """A job that ends with os._exit(0) leaves its archive as far as its buffer was written."""
    run_in(tmp_path, chunks, stub_run(lambda: quiet_or_sending), "0-1")
    path = tmp_path / "_htmap_chunk.tar"
    whole = chunks.Archive(path).members
    offset, _ = whole["outputs/1.out"]
    os.truncate(path, offset + 1 if into == "data" else offset - 400)  # in its data, or in its header
    assert chunks.Archive(path).members == {name: at for name, at in whole.items() if name != "outputs/1.out"}

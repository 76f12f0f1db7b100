"""Chunked maps' submission rules (base-notebook/htmap-chunks), on the host, without HTCondor.

The two modules are installed into HTMap's package; here they are loaded as a package of
their own with HTMap's few names. The jobs themselves run in test_htmap_chunks (image tests).
"""

import importlib
import shutil
import sys
from pathlib import Path
from types import ModuleType

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

"""Chunked maps (`chunksize`): many items per job, and everything the user sees still per item.

In the personal pool here; at a site whose execute nodes share nothing with the notebook in
test_access_point. HTMap and its patch are the base image's layers: base only.
"""

import json

import pytest

from tests.base_notebook.test_htmap_surface import htmap_cli, run
from tests.containers import Container, Containers, docker

pytestmark = pytest.mark.usefixtures("own_image_only")

# Items 3, 10, 17, 24, 31 and 38 fail until the fix exists, one in each chunk of 10 but the
# last's two; every item prints to both streams and sends back a file.
CHUNKED = """
import json, sys
from pathlib import Path
import htcondor2 as htcondor
import htmap
from htc_dashboard.widget import counts_of

fix = Path(f"/tmp/{T}-fix")

def item(x):
    print(f"stdout of {x}")
    print(f"stderr of {x}", file=sys.stderr)
    if x % 7 == 3 and not fix.exists():
        raise ValueError(f"item {x} needs {fix}")
    Path(f"square-{x}.txt").write_text(str(x * x))
    htmap.transfer_output_files(f"square-{x}.txt")
    return x * x

def jobs(m):
    events = htcondor.JobEventLog(str(m._map_dir / "events")).events(0)
    return len([e for e in events if e.type is htcondor.JobEventType.SUBMIT and e.proc >= 0])

m = htmap.map(item, range(40), tag=T, chunksize=10)
m.wait(timeout=300, errors_ok=True)
out = {"jobs": jobs(m), "len": len(m), "widget": counts_of(m)}
out["by_status"] = {str(k): list(v) for k, v in m.components_by_status().items()}
out["errors"] = sorted(m.errors)
out["error_3"] = m.get_err(3).exception_msg
try:
    m.get(10)
except htmap.exceptions.MapComponentError as e:
    out["get_10"] = str(e).splitlines()[0]
out["stdout"] = [m.stdout[0].strip(), m.stdout[3].strip()]
out["stderr"] = m.stderr[3]
out["file_5"] = (m.output_files[5] / "square-5.txt").read_text()
out["input_5"] = m._load_input(5)
fix.write_text("fixed")
m.rerun(m.errors)
out["rerun"] = list(m)
out["jobs_after_rerun"] = jobs(m)
print(json.dumps(out))
"""

# The other ways to make a map, "auto", holds by chunk, and bad input.
OTHERS = """
import json
from pathlib import Path
import htmap

out = {}
out["starmap"] = list(htmap.starmap(pow, [(2, 1), (2, 2), (2, 3)], tag=T + "-star", chunksize=2))
with htmap.build_map(lambda x, y=0: x + y, tag=T + "-built", chunksize="auto") as builder:
    for x in range(5):
        builder(x, y=10)
out["build_map"] = list(builder.map)
out["productmap"] = list(htmap.productmap(pow, [1, 2, 3], [1, 2], tag=T + "-product", chunksize=4))

@htmap.mapped
def triple(x):
    return 3 * x

out["mapped"] = list(triple.map(range(5), tag=T + "-mapped", chunksize=2))

missing = Path(f"/tmp/{T}-missing.txt")
held = htmap.map(
    lambda x: x + 1, range(6), tag=T + "-held", chunksize=3,
    map_options=htmap.MapOptions(input_files=[[] for _ in range(5)] + [missing.as_posix()]),
)
out["held_first"] = held.get(0, timeout=120)
held.wait(timeout=120, holds_ok=True)
out["holds"] = {str(k): [v.code, v.reason] for k, v in held.holds.items()}
missing.write_text("here")
held.release()
out["released"] = list(held)

bad = []
for chunksize in (0, 2.5, "big"):
    try:
        htmap.map(str, [1], tag=T + "-bad", chunksize=chunksize)
    except ValueError as e:
        bad.append(str(e))
try:
    htmap.map(str, [1, 2], tag=T + "-mem", chunksize=2,
              map_options=htmap.MapOptions(request_memory=["100MB", "200MB"]))
except ValueError as e:
    bad.append(str(e))
for name in ("a", "b"):
    Path(f"/tmp/{T}-{name}").mkdir(exist_ok=True)
    Path(f"/tmp/{T}-{name}/same.txt").write_text(name)
try:
    htmap.map(str, [1, 2], tag=T + "-same", chunksize=2,
              map_options=htmap.MapOptions(input_files=[f"/tmp/{T}-a/same.txt", f"/tmp/{T}-b/same.txt"]))
except ValueError as e:
    bad.append(str(e))
out["bad"] = bad

def checkpoints(x):
    Path("state.txt").write_text("1")
    htmap.checkpoint("state.txt")

out["checkpoint"] = htmap.map(checkpoints, [1], tag=T + "-checkpoint", chunksize=2).get_err(0).exception_msg
out["tags"] = sorted(htmap.get_tags())
print(json.dumps(out))
"""


def test_a_chunked_map_is_per_item_for_results_errors_streams_files_and_rerun(container: Container, tag: str) -> None:
    out = run(container, tag, CHUNKED)
    assert (out["jobs"], out["len"]) == (4, 40)  # 40 items, 4 jobs
    errored = [3, 10, 17, 24, 31, 38]
    assert out["errors"] == errored and out["by_status"]["ERRORED"] == errored
    assert out["by_status"]["COMPLETED"] == [x for x in range(40) if x not in errored]
    assert out["widget"]["errored"] == 6 and out["widget"]["completed"] == 34, out["widget"]
    assert out["error_3"] == f"ValueError: item 3 needs /tmp/{tag}-fix", out["error_3"]
    assert out["get_10"] == f"Component 10 of map {tag} encountered error while executing. Error report:"
    assert out["stdout"][0] == "stdout of 0" and out["stdout"][1] == "stdout of 3"
    # The item's stderr, with its traceback from the function's frame on.
    assert out["stderr"].splitlines()[:2] == ["stderr of 3", "Traceback (most recent call last):"], out["stderr"]
    assert out["stderr"].splitlines()[2].endswith(", in item") and "ValueError: item 3 needs" in out["stderr"]
    assert out["file_5"] == "25" and out["input_5"] == [[5], {}]
    # The errored items rerun together, in one more job.
    assert out["rerun"] == [x * x for x in range(40)] and out["jobs_after_rerun"] == 5
    # What the dashboard and the CLI count: items.
    (shown,) = [m for m in container.get_json("/htcondor/state.json")["maps"] if m["tag"] == tag]
    assert shown["components"] == 40 and shown["counts"]["completed"] == 40, shown
    status = json.loads(htmap_cli(container, "status", "--format", "json", "--no-meta").stdout)
    assert status[tag]["component_status_counts"]["completed"] == 40, status
    assert htmap_cli(container, "stdout", tag, "17").stdout.strip() == "stdout of 17"
    htmap_cli(container, "remove", tag)


def test_starmap_build_map_productmap_mapped_auto_holds_and_bad_chunk_sizes(container: Container, tag: str) -> None:
    out = run(container, tag, OTHERS)
    assert out["starmap"] == [2, 4, 8] and out["build_map"] == [10, 11, 12, 13, 14]
    assert out["productmap"] == [1, 1, 2, 4, 3, 9] and out["mapped"] == [0, 3, 6, 9, 12]
    # Item 5's input file is missing: its job (items 3 to 5) is held, the other job runs.
    assert out["held_first"] == 1
    assert sorted(out["holds"]) == ["3", "4", "5"] and {code for code, _ in out["holds"].values()} == {13}
    assert all(f"{tag}-missing.txt" in reason for _, reason in out["holds"].values())
    assert out["released"] == [1, 2, 3, 4, 5, 6]
    expected = "chunksize must be a whole number of items per job (1 or more) or 'auto', not "
    assert out["bad"][:3] == [expected + "0", expected + "2.5", expected + "'big'"]
    assert (
        out["bad"][3] == "MapOptions request_memory: one value for the items of a job (chunksize > 1), or chunksize=1"
    )
    same = f"input files /tmp/{tag}-a/same.txt and /tmp/{tag}-b/same.txt of one job share a name: give chunksize=1"
    assert out["bad"][4] == same
    assert [t for t in out["tags"] if t.split("-")[-1] in ("bad", "mem", "same")] == []
    assert out["checkpoint"] == "RuntimeError: htmap.checkpoint works one item per job: map with chunksize=1"
    names = ("star", "built", "product", "mapped", "held", "checkpoint")
    htmap_cli(container, "remove", *(f"{tag}-{name}" for name in names))


RESTARTED = """
import htmap
from pathlib import Path

def negate(x):
    Path(f"{x}.txt").write_text(str(-x))
    htmap.transfer_output_files(f"{x}.txt")
    return -x

htmap.map(negate, range(30), tag="kept", chunksize=8).wait(timeout=300)
"""


def test_a_chunked_map_loads_after_the_container_restarts(containers: Containers) -> None:
    box = containers.start(wait="healthy")
    box.map_script(RESTARTED)
    docker("restart", box.cid)
    box.wait_for(lambda: box.health() == "healthy", "healthy status after the restart")
    # Without its saved state too: rebuilt from the map's event log.
    box.exec("sh", "-c", "rm -r ~/.htmap/maps/*/map_state ~/.htmap/maps/*/output_files/29")
    script = (
        "import htmap\nm = htmap.load('kept')\n"
        "print(list(m), m.stdout[29] == '', len(m), m.is_done, (m.output_files[29] / '29.txt').read_text())"
    )
    assert box.map_script(script)[-1] == f"{[-x for x in range(30)]} True 30 True -29"

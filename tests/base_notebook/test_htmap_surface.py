"""HTMap's user surface through the personal pool.

Mapping, tags, files, checkpoints, holds and errors, the CLI, the delivery methods, and a
notebook without warnings.

Every test works on maps whose tags start with its own prefix, and removes them: the one
container of the run stays usable for the tests after it. HTMap, its patch and the pool are
the base image's layers, so these run with the base image only; the seed example
(test_htmap.py) runs on every image.
"""

import json
import shlex
import subprocess
import time
from typing import Any

import pytest

from tests.containers import Container

pytestmark = pytest.mark.usefixtures("own_image_only")
WAIT = 120  # seconds any one component may take, within a script or a CLI call


def run(container: Container, tag: str, script: str, env: dict[str, str] | None = None) -> Any:  # noqa: ANN401 (JSON)
    """Run a script (with `T` set to the tag prefix) as the notebook user; return its last line's JSON."""
    code = f"T = {tag!r}\n{script}"
    if env is None:
        lines = container.map_script(code, timeout=600)
    else:
        done = container.exec("python", "-c", code, env=env, check=False, timeout=600)
        assert done.returncode == 0, f"script failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        lines = done.stdout.strip().splitlines()
    return last_json("\n".join(lines))


def last_json(output: str) -> Any:  # noqa: ANN401 (JSON)
    """A script's last line, as JSON; all of its output if that is not JSON."""
    try:
        return json.loads(output.splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise AssertionError(f"no JSON at the end of:\n{output[-3000:]}") from None


def htmap_cli(container: Container, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    """Run the htmap CLI as a script would (no terminal); it must succeed."""
    done = container.exec("htmap", *args, check=False, timeout=timeout)
    assert done.returncode == 0, f"htmap {shlex.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


MAPPING = """
import json
import htmap

def power(x, p=2):
    return x**p

@htmap.mapped(map_options=htmap.MapOptions(request_memory="64MB"))
def triple(x):
    return 3 * x

m = htmap.map(power, range(5), tag=T + "-map")
star = htmap.starmap(power, args=[(2,), (3,)], kwargs=[{"p": 3}, {"p": 4}], tag=T + "-starmap")
with htmap.build_map(power, tag=T + "-build") as builder:
    for x in range(1, 4):
        builder(x, p=x)
# productmap: ours (HTMap 0.6.1 had none), every combination of the arguments.
product = htmap.productmap(power, [1, 2, 3], [1, 2], tag=T + "-product")
decorated = triple.map([1, 2], tag=T + "-mapped")
transient = htmap.map(power, [7])
print(json.dumps({
    "map": list(m), "starmap": list(star), "build": list(builder.map), "product": list(product),
    "mapped": list(decorated), "transient": [transient.tag, transient.is_transient, list(transient)],
    "tagged_transient": m.is_transient, "len": len(m)
}))
"""

RECOVER = """
import json
import htmap

m = htmap.load(T + "-map")
before = sorted(htmap.get_tags(T + "-*"))
loaded = sorted(x.tag for x in htmap.load_maps(T + "-*"))
result = {"results": list(m), "done": m.is_done, "status": m.status(), "tags": before, "loaded": loaded}
m.retag(T + "-renamed")
result["retagged"] = list(htmap.load(T + "-renamed"))
try:
    htmap.load(T + "-map")
except htmap.exceptions.TagNotFound:
    result["old_tag_gone"] = True
result["cleaned"] = htmap.clean()
htmap.remove(T + "-renamed")
result["removed_exists"] = m.exists
for suffix in ("starmap", "build", "product", "mapped"):
    htmap.load(T + "-" + suffix).remove()
try:
    htmap.remove(T + "-renamed", not_exist_ok=False)
except htmap.exceptions.TagNotFound:
    result["remove_twice_refused"] = True
result["after"] = list(htmap.get_tags(T + "-*"))
print(json.dumps(result))
"""


def test_map_starmap_build_map_and_a_map_loaded_by_a_later_process(container: Container, tag: str) -> None:
    made = run(container, tag, MAPPING)
    assert made["map"] == [0, 1, 4, 9, 16]
    assert made["starmap"] == [8, 81]
    assert made["build"] == [1, 4, 27]
    assert made["product"] == [1, 1, 2, 4, 3, 9]
    assert made["mapped"] == [3, 6]
    transient_tag, is_transient, transient_results = made["transient"]
    assert is_transient and transient_results == [49]
    assert made["tagged_transient"] is False and made["len"] == 5

    # The process that made the maps has ended: another finds them by tag, with their results.
    found = run(container, tag, RECOVER)
    assert found["results"] == [0, 1, 4, 9, 16] and found["done"] is True
    assert "COMPLETED = 5" in found["status"], found["status"]
    suffixes = ["build", "map", "mapped", "product", "starmap"]
    assert found["tags"] == found["loaded"] == [f"{tag}-{s}" for s in suffixes]
    assert found["retagged"] == [0, 1, 4, 9, 16] and found["old_tag_gone"] is True
    assert transient_tag in found["cleaned"] and not any(t.startswith(tag) for t in found["cleaned"])
    assert found["removed_exists"] is False and found["remove_twice_refused"] is True
    assert found["after"] == []


FILES = """
import json, os
from pathlib import Path
import htmap

data = Path("/tmp") / T
data.mkdir(exist_ok=True)
for i in range(2):
    (data / f"in{i}.txt").write_text(f"payload {i}")
    (data / f"extra{i}.txt").write_text(f"extra {i}")
(data / "fixed.txt").write_text("for every component")

def work(path):
    component = os.environ["HTMAP_COMPONENT"]
    text = path.read_text()
    out = Path("out.txt")
    out.write_text(text.upper())
    htmap.transfer_output_files(out)
    return [path.name, text, Path("fixed.txt").read_text(), Path(f"extra{component}.txt").read_text()]

options = htmap.MapOptions(
    fixed_input_files=[htmap.TransferPath(data / "fixed.txt")],
    input_files=[[data / "extra0.txt"], [htmap.TransferPath(data / "extra1.txt")]],
)
m = htmap.map(work, [htmap.TransferPath(data / f"in{i}.txt") for i in range(2)], map_options=options, tag=T)
try:
    results = list(m)
    outputs = [(m.output_files[i] / "out.txt").read_text() for i in m.components]
finally:
    m.remove()
print(json.dumps({"results": results, "outputs": outputs}))
"""


def test_input_files_output_files_and_transfer_paths(container: Container, tag: str) -> None:
    done = run(container, tag, FILES)
    assert done["results"] == [
        ["in0.txt", "payload 0", "for every component", "extra 0"],
        ["in1.txt", "payload 1", "for every component", "extra 1"],
    ]
    assert done["outputs"] == ["PAYLOAD 0", "PAYLOAD 1"]


FILE_URL = """
import json
from pathlib import Path
import htmap

Path(f"/tmp/{T}-arg.txt").write_text("read through a file URL")
Path(f"/tmp/{T}-fixed.txt").write_text("fixed, through a file URL")
arg = htmap.TransferPath(f"/tmp/{T}-arg.txt", protocol="file")
fixed = htmap.TransferPath(f"/tmp/{T}-fixed.txt", protocol="file")
print(json.dumps([arg.as_url(), fixed.as_url()]))

def read(path):
    return [path.read_text(), Path(f"{T}-fixed.txt").read_text()]

m = htmap.map(read, [arg], map_options=htmap.MapOptions(fixed_input_files=[fixed]), tag=T)
try:
    result = m.get(0, timeout=120)
finally:
    m.remove()
print(json.dumps(result))
"""


def test_a_file_url_transfer_path(container: Container, tag: str) -> None:
    """protocol="file" gives file:///tmp/... (Python 3.12+ alone gives file:tmp/...), which HTCondor fetches."""
    lines = container.map_script(f"T = {tag!r}\n{FILE_URL}")
    assert json.loads(lines[-2]) == [f"file:///tmp/{tag}-arg.txt", f"file:///tmp/{tag}-fixed.txt"]
    assert json.loads(lines[-1]) == ["read through a file URL", "fixed, through a file URL"]


CHECKPOINT = """
import json, time
from pathlib import Path
import htmap

announce = Path(f"/tmp/{T}-checkpointed")

def count(n):
    state = Path("count.txt")
    start = int(state.read_text()) if state.exists() else 0
    for i in range(start, n):
        state.write_text(str(i + 1))
        htmap.checkpoint(state)
        if i + 1 == n // 2 and start == 0:
            announce.write_text("half-way")
            deadline = time.time() + 120
            while time.time() < deadline:  # until evicted
                time.sleep(0.1)
            return "never evicted"
    return {"resumed_from": start, "count": int(state.read_text())}

m = htmap.map(count, [6], tag=T)
try:
    deadline = time.time() + 120
    while not announce.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert announce.exists(), m.status()
    m.vacate()
    result = m.get(0, timeout=120)
finally:
    m.remove()
print(json.dumps(result))
"""


def test_a_vacated_component_resumes_from_its_checkpoint(container: Container, tag: str) -> None:
    assert run(container, tag, CHECKPOINT) == {"resumed_from": 3, "count": 6}


HOLDS_AND_ERRORS = """
import json, sys, time
from pathlib import Path
import htmap

fix = Path(f"/tmp/{T}-fix.txt")
missing = Path(f"/tmp/{T}-missing.txt")
gate = Path(f"/tmp/{T}-gate")
out = {}

def job(x):
    print(f"stdout of {x}")
    print(f"stderr of {x}", file=sys.stderr)
    return x if x == 0 else fix.read_text()

def read(path):
    return path.read_text()

def gated(x):
    deadline = time.time() + 120
    while not gate.exists() and time.time() < deadline:
        time.sleep(0.1)
    return x

m = htmap.map(job, [0, 1], tag=T + "-errors")
held = htmap.map(read, [htmap.TransferPath(missing)], tag=T + "-held")
blocked = htmap.map(gated, ["opened"], tag=T + "-blocked")
try:
    try:
        m.wait(timeout=120)
    except htmap.exceptions.MapComponentError as e:
        out["wait_error"] = str(e)
    m.wait(timeout=120, errors_ok=True)
    err = m.get_err(1)
    out["error"] = [err.component, err.exception_msg]
    out["errors"] = sorted(m.errors)
    out["reports"] = list(m.error_reports())
    out["by_status"] = {str(k): v for k, v in m.components_by_status().items()}
    try:
        m.get(1)
    except htmap.exceptions.MapComponentError:
        out["get_raises"] = True
    out["stdout"] = [m.stdout[0], m.stdout[1]]
    out["stderr"] = [m.stderr[0], m.stderr[1]]
    fix.write_text("fixed")
    m.rerun([1])
    m.wait(timeout=120)
    out["rerun"] = list(m)

    try:
        held.wait(timeout=120)
    except htmap.exceptions.MapComponentHeld as e:
        out["wait_held"] = str(e)
    out["holds"] = {c: [h.code, h.reason] for c, h in held.holds.items()}
    out["hold_report"] = held.hold_report()
    missing.write_text("there now")
    held.release()
    out["released"] = held.get(0, timeout=120)

    try:
        blocked.wait(timeout=1)
    except htmap.exceptions.TimeoutError as e:
        out["timeout"] = str(e)
    out["status"] = htmap.status()
    gate.touch()
    blocked.wait(timeout=120)
    out["opened"] = list(blocked)
finally:
    for x in (m, held, blocked):
        x.remove()
print(json.dumps(out))
"""


def test_holds_errors_rerun_stdout_stderr_and_wait(container: Container, tag: str) -> None:
    out = run(container, tag, HOLDS_AND_ERRORS)
    fix = f"/tmp/{tag}-fix.txt"
    # A component that raises: the map says which, with the exception, and reruns once fixed.
    assert f"Component 1 of map {tag}-errors encountered error" in out["wait_error"]
    component, message = out["error"]
    assert int(component) == 1 and message.startswith("FileNotFoundError") and fix in message, message
    assert out["errors"] == [1] and len(out["reports"]) == 1 and "FileNotFoundError" in out["reports"][0]
    assert out["by_status"] == {"COMPLETED": [0], "ERRORED": [1]}
    assert out["get_raises"] is True
    assert "stdout of 0" in out["stdout"][0] and "stdout of 1" in out["stdout"][1]
    assert "stderr of 0" in out["stderr"][0] and "stdout of 0" not in out["stderr"][0]
    assert "stderr of 1" in out["stderr"][1] and "FileNotFoundError" in out["stderr"][1]
    assert out["rerun"] == [0, "fixed"]
    # A component whose input file is missing is held, with the reason; released once it exists.
    missing = f"{tag}-missing.txt"
    assert f"Component 0 of map {tag}-held was held" in out["wait_held"] and missing in out["wait_held"]
    ((held, (code, reason)),) = out["holds"].items()
    assert held == "0" and code == 13 and missing in reason, out["holds"]  # 13: input file transfer failed
    assert missing in out["hold_report"]
    assert out["released"] == "there now"
    # Map.wait's timeout, and the status table of all maps.
    assert f"Timeout while waiting for Map(tag = {tag}-blocked)" in out["timeout"], out["timeout"]
    lines = out["status"].splitlines()
    assert lines[0].split()[:2] == ["Tag", "HELD"] and any(line.startswith(f"{tag}-blocked ") for line in lines)
    assert out["opened"] == ["opened"]


START_AT_ONCE = """
import json
import htcondor2 as htcondor
import htmap

def double(x):
    return 2 * x

m = htmap.map(double, range(2), tag=T)
out = {"results": list(m)}
events = htcondor.JobEventLog(str(m._map_dir / "events")).events(0)
out["events"] = sorted({e.type.name for e in events})
asked = htmap.map(double, range(2), tag=T + "-asked", map_options=htmap.MapOptions(hold="true"))
jobs = htcondor.Schedd().query(f"ClusterId == {asked._cluster_ids[0]}", ["JobStatus", "HoldReasonCode"])
out["asked"] = sorted([j["JobStatus"], j["HoldReasonCode"]] for j in jobs)
asked.release()
out["asked_released"] = asked.get(1, timeout=120)
for x in (m, asked):
    x.remove()
print(json.dumps(out))
"""


def test_maps_are_released_at_submission_unless_the_user_holds_them(container: Container, tag: str) -> None:
    out = run(container, tag, START_AT_ONCE)
    # Submitted on hold and released in the next call (patch-htmap: starts them on 25.14 at
    # once): released, run, and no hold event; a map the user asks to hold stays held (15:
    # submitted on hold) until released.
    assert out["results"] == [0, 2]
    assert "JOB_RELEASED" in out["events"] and "JOB_HELD" not in out["events"], out["events"]
    assert out["asked"] == [[5, 15], [5, 15]]
    assert out["asked_released"] == 2


LATE_RELEASE = """
import json, time
import htmap
from htmap import names

def double(x):
    return 2 * x

m = htmap.map(double, range(2), tag=T)
list(m)
# The order the schedd once wrote (patch-htmap): each job's "released" event after its end.
events = m._map_dir / names.EVENT_LOG
deadline = time.time() + 30
while events.read_text().count("\\n013 ") < 2 and time.time() < deadline:  # the schedd writes them late
    time.sleep(0.1)
blocks = [b + "...\\n" for b in events.read_text().split("...\\n") if b]
released = [b for b in blocks if b.startswith("013 ")]
events.write_text("".join([b for b in blocks if b not in released] + released))
(m._map_dir / names.MAP_STATE).unlink()
print(json.dumps(len(released)))
"""

LOADED = """
import json
import htmap

m = htmap.load(T)
out = {"statuses": [s.name for s in m.component_statuses]}
if out["statuses"] == ["COMPLETED"] * 2:
    out["results"] = [m.get(i) for i in range(2)]
m.remove()
print(json.dumps(out))
"""


def test_a_release_written_after_the_jobs_end_leaves_them_done(container: Container, tag: str) -> None:
    assert run(container, tag, LATE_RELEASE) == 2
    # A later process rebuilds the map's state from its event log.
    out = run(container, tag, LOADED)
    assert out == {"statuses": ["COMPLETED", "COMPLETED"], "results": [0, 2]}


CLI_MAPS = """
import json, sys, time
from pathlib import Path
import htmap

gate = Path(f"/tmp/{T}-gate")
fix = Path(f"/tmp/{T}-fix.txt")

def slow(x):
    deadline = time.time() + 120
    while not gate.exists() and time.time() < deadline:
        time.sleep(0.1)
    print(f"cli stdout {x}")
    print(f"cli stderr {x}", file=sys.stderr)
    return x + 100

def fragile(x):
    return fix.read_text() + str(x)

htmap.map(slow, [1], tag=T + "-slow")
fragile_map = htmap.map(fragile, [2], tag=T + "-fragile")
print(json.dumps(fragile_map.get_err(0, timeout=120).exception_msg))
"""


def test_the_cli(container: Container, tag: str) -> None:
    slow, fragile = f"{tag}-slow", f"{tag}-fragile"
    assert run(container, tag, CLI_MAPS).startswith("FileNotFoundError")

    status = htmap_cli(container, "status", "--no-color")
    table = status.stdout
    assert table.split()[:2] == ["Tag", "HELD"] and slow in table and fragile in table
    assert "Loading map" not in status.stderr, status.stderr  # no spinner off a terminal
    as_json = json.loads(htmap_cli(container, "status", "--format", "json", "--no-meta").stdout)
    assert as_json[fragile]["component_status_counts"]["errored"] == 1

    edited = htmap_cli(container, "edit", "memory", slow, "256")
    assert f"Set memory request for map {slow} to 256 MB" in edited.stdout + edited.stderr
    queue = container.exec("condor_q", "-constraint", f'JobBatchName == "{slow}"', "-af", "RequestMemory")
    assert queue.stdout.split() == ["256"]

    held = htmap_cli(container, "hold", slow)
    assert f"Held map {slow}" in held.stdout + held.stderr
    deadline = time.monotonic() + WAIT  # until the map's event log has the hold
    while slow not in (reasons := htmap_cli(container, "reasons", slow).stdout):
        assert time.monotonic() < deadline, f"no hold of {slow} after {WAIT} s"
    # Code 1: held by the user (the bindings' hold, as the CLI's, says "Python-initiated action").
    assert f"Map {slow} (1 hold)" in reasons and reasons.splitlines()[2].split()[:2] == ["0", "1"], reasons
    assert "(by user jovyan)" in reasons, reasons
    released = htmap_cli(container, "release", slow)
    assert f"Released map {slow}" in released.stdout + released.stderr
    container.exec("touch", f"/tmp/{tag}-gate")
    htmap_cli(container, "wait", slow)
    assert "cli stdout 1" in htmap_cli(container, "stdout", slow, "0", "--timeout", "10").stdout
    assert "cli stderr 1" in htmap_cli(container, "stderr", slow, "0", "--timeout", "10").stdout

    errors = htmap_cli(container, "errors", fragile).stdout
    assert f"/tmp/{tag}-fix.txt" in errors and "FileNotFoundError" in errors, errors
    container.exec("sh", "-c", f"printf fixed > /tmp/{tag}-fix.txt")
    rerun = htmap_cli(container, "rerun", "components", fragile, "0")
    assert f"Reran components (0,) of map {fragile}" in rerun.stdout + rerun.stderr
    htmap_cli(container, "wait", fragile)
    assert container.python(f"import htmap; print(htmap.load({fragile!r}).get(0))").strip() == "fixed2"

    log = htmap_cli(container, "logs").stdout.strip()
    assert log == "/home/jovyan/.htmap/logs/htmap.log"
    container.exec("test", "-s", log)
    removed = htmap_cli(container, "remove", slow, fragile)
    assert f"✔ Removed map {slow}" in removed.stderr, removed.stderr  # a spinner's final line, off a terminal
    tags = htmap_cli(container, "tags").stdout.split()
    assert slow not in tags and fragile not in tags
    gone = container.exec("htmap", "stdout", slow, "0", check=False)
    assert gone.returncode == 1 and f"could not find a map with tag {slow}" in gone.stderr


WHERE = """
import json, sys
import cloudpickle, htmap

def where(_):
    import sys
    import cloudpickle
    return [sys.prefix, cloudpickle.__version__]

out = {"here": [sys.prefix, cloudpickle.__version__], "default": htmap.settings["DELIVERY_METHOD"]}
methods = [None] if out["default"] == "assume" else [None, "assume"]
for method in methods:
    if method:
        htmap.settings["DELIVERY_METHOD"] = method
    m = htmap.map(where, [0], tag=f"{T}-{method or out['default']}")
    try:
        out[method or out["default"]] = m.get(0, timeout=120)
    except htmap.exceptions.MapComponentHeld as e:
        out[method or out["default"]] = f"{e}\\nstdout:\\n{m.stdout.get(0, 5)}\\nstderr:\\n{m.stderr.get(0, 5)}"
    finally:
        m.remove()
print(json.dumps(out))
"""


def test_shared_and_assume_delivery_run_the_image_python(container: Container, tag: str) -> None:
    """Both delivery methods run the image's Python, with its packages.

    `shared` (the image's default) runs the submitting Python; `assume` runs the run script
    through `#!/usr/bin/env python3`, which must find the image's Python first on the job's PATH.
    """
    out = run(container, tag, WHERE)
    assert out["default"] == "shared"
    assert out["shared"] == out["here"]
    assert out["assume"] == out["here"], out["assume"]
    by_env = run(container, tag, WHERE, env={"HTMAP_DELIVERY_METHOD": "assume"})
    assert by_env["default"] == "assume" and by_env["assume"] == by_env["here"], by_env["assume"]


def test_a_map_in_a_notebook_prints_no_warning(container: Container, tag: str) -> None:
    """Nothing a user sees of a map in a notebook warns: the cells' outputs, nor a component's stderr."""
    outputs = container.run_notebook(
        [
            "import sys\nimport htmap\n\n"
            "def square(x):\n    print(f'squaring {x}', file=sys.stderr)\n    return x * x\n\n"
            f"m = htmap.map(square, range(4), tag={tag!r})",
            "m.wait(timeout=120, show_progress_bar=True)\nprint(list(m), m.is_done)",
            "print(htmap.status())\nm.status()",
            "m.stderr[0]",
            "m.remove()\nm.exists",
        ]
    )
    shown = [str(x) for cell in outputs for out in cell for x in (out.get("text"), *out.get("data", {}).values()) if x]
    warned = [line for text in shown for line in text.splitlines() if "warning" in line.lower()]
    assert warned == []
    assert "[0, 1, 4, 9] True" in "".join(out.get("text", "") for out in outputs[1])
    assert tag in "".join(out.get("text", "") for out in outputs[2])
    assert "squaring 0" in outputs[3][0]["data"]["text/plain"]
    assert outputs[4][0]["data"]["text/plain"] == "False"


STATUS_FORMATS = """
import json
import htmap

m = htmap.map(str, [1, 2], tag=T)
try:
    m.wait(timeout=120)
    print(json.dumps([htmap.status([m]), htmap.status_csv([m]), htmap.status_json([m])]))
finally:
    m.remove()
"""


def test_status_in_every_format(container: Container, tag: str) -> None:
    """htmap.status, status_csv and status_json with the maps' metadata (disk, memory, runtime)."""
    table, csv, as_json = run(container, tag, STATUS_FORMATS)
    assert table.splitlines()[1].split()[:6] == [tag, "0", "0", "0", "0", "2"], table
    assert csv.splitlines()[1].startswith(f"{tag},0,0,0,0,2,"), csv
    assert json.loads(as_json)[tag]["component_status_counts"]["completed"] == 2

"""The notebook as its own access point: its own schedd in the site's pool, nothing shared with the site.

At the site whose execute nodes run jobs in containers (no /opt/venv, no shared home): the
notebook container gets the site's collector and the user's token only, and no volume.
With the base image only: the entrypoint and its configuration are base's layers.
"""

import json

import pytest

from tests.base_notebook.test_htmap_surface import htmap_cli, last_json
from tests.containers import Container, Containers, docker
from tests.site_pool import ACCESS_POINT_READY, EXECUTE_NODES, Site

# The seed example, and where each component ran (the machine ad HTCondor gives every job).
SEED = """
import json, os
import htmap

def double(x):
    ad = open(os.environ["_CONDOR_MACHINE_AD"]).read()
    machine = next(line.split('"')[1] for line in ad.splitlines() if line.startswith("Machine "))
    return 2 * x, machine

doubled = htmap.map(double, range(10), tag="Simulation1")
results = list(doubled)
print(json.dumps([[value for value, _ in results], sorted({machine for _, machine in results})]))
"""
# Daemons an access point runs (the procd, shared port and shadows are the schedd's helpers;
# process names stop at 15 characters); nothing else.
ACCESS_POINT_DAEMONS = {"condor_master", "condor_schedd", "condor_procd", "condor_shared_p", "condor_shadow"}


@pytest.fixture(scope="module")
def access_point(base_container_site: Site, module_containers: Containers) -> Container:
    """A notebook on the site's network with the collector and the user's token: no volume."""
    return base_container_site.start_access_point(module_containers)


def test_the_seed_map_runs_at_the_site_from_the_notebooks_own_schedd(
    access_point: Container, base_container_site: Site
) -> None:
    site = base_container_site
    assert access_point.inspect()["Mounts"] == []  # nothing shared with any site container
    values, machines = json.loads(access_point.python(SEED).splitlines()[-1])
    assert values == [2 * x for x in range(10)]
    assert set(machines) <= set(EXECUTE_NODES), machines
    # Every component a container job of the notebook's image, by digest, in this schedd's history.
    history = "import htcondor2\nfor ad in htcondor2.Schedd().history('JobBatchName == \"Simulation1\"', []):\n"
    history += "    print(ad['WantContainer'], ad['ContainerImage'], ad['LastRemoteHost'])"
    ads = [line.split() for line in access_point.python(history).splitlines()]
    assert [ad[:2] for ad in ads] == [["True", site.job_image]] * 10, ads
    assert {ad[2].split("@")[1].split(".")[0] for ad in ads} <= set(EXECUTE_NODES), ads
    # Only the schedd runs here; the site's collector holds its ad, reached through CCB.
    daemons = {name for _, name in access_point.processes() if name.startswith("condor_")}
    assert "condor_schedd" in daemons and daemons <= ACCESS_POINT_DAEMONS, daemons
    [line] = [line for line in access_point.logs().splitlines() if ACCESS_POINT_READY in line]
    name = line.split("schedd '")[1].split("'")[0]
    query = ("condor_status", "-schedd", "-const", f'Name == "{name}"', "-af", "MyAddress")
    assert "CCBID=" in docker("exec", site.roles["cm"], *query).stdout


def test_the_dashboard_shows_the_sites_machines_and_this_schedds_jobs(access_point: Container) -> None:
    access_point.python("import htmap; htmap.map(str, range(3), tag='AccessPointDashboard').wait(timeout=300)")
    state = access_point.get_json("/htcondor/state.json")
    assert (state["mode"], state["schedd"], state["problems"]) == (
        "access point",
        "this notebook's schedd at cm",
        [],
    ), state
    assert set(EXECUTE_NODES) <= {row["machine"].split(".")[0] for row in state["machines"]}, state["machines"]
    assert state["jobs"] is not None
    [shown] = [m for m in state["maps"] if m["tag"] == "AccessPointDashboard"]
    assert shown["counts"]["completed"] == 3


# A chunked map at the site: 4 jobs of 6 items in containers on nodes that share nothing with
# the notebook. Item 7 fails until the notebook's fix.txt (sent with every job) says "fixed"; item
# 23's input file is missing at first, which holds its job (items 18 to 23).
CHUNKED = """
import json
from pathlib import Path
import htcondor2
import htmap
from htc_dashboard.widget import counts_of

fix, late = Path("fix.txt").absolute(), Path("late.txt").absolute()
fix.write_text("broken")

def item(x):
    if x == 7 and Path("fix.txt").read_text() != "fixed":
        raise ValueError("item 7 fails")
    Path(f"out-{x}.txt").write_text(f"{x} was here")
    htmap.transfer_output_files(f"out-{x}.txt")
    print(f"item {x}")
    return 3 * x

options = htmap.MapOptions(fixed_input_files=[fix.as_posix()], input_files=[[]] * 23 + [[late.as_posix()]])
m = htmap.map(item, range(24), tag="ChunkedAtTheSite", chunksize=6, map_options=options)
m.wait(timeout=600, errors_ok=True, holds_ok=True)
out = {"errors": sorted(m.errors), "message": m.get_err(7).exception_msg, "stdout": m.stdout[14].strip()}
out["held"] = sorted(m.holds)
out["hold_reasons"] = sorted({(h.code, late.as_posix() in h.reason) for h in m.holds.values()})
out["file"] = (m.output_files[5] / "out-5.txt").read_text()
out["widget"] = counts_of(m)
print(json.dumps(out))
"""
# Then the fix, the late file, a release of the held job and a rerun of the errored item.
MENDED = """
import json, time
from pathlib import Path
import htcondor2
import htmap

Path("fix.txt").write_text("fixed")
Path("late.txt").write_text("here")
m = htmap.load("ChunkedAtTheSite")
m.release()
m.rerun(m.errors)
out = {"results": list(m), "file": (m.output_files[20] / "out-20.txt").read_text()}
for _ in range(600):  # a job's history is written after its last event: until all 5 are there
    ads = htcondor2.Schedd().history('JobBatchName == "ChunkedAtTheSite"', ["WantContainer"])
    out["jobs"] = [str(ad["WantContainer"]) for ad in ads]
    if len(out["jobs"]) == 5:
        break
    time.sleep(0.1)
print(json.dumps(out))
"""


def cli_counts(box: Container, tag: str) -> dict[str, int]:
    """A map's items per state (those with any) as `htmap status` shows them."""
    status = json.loads(htmap_cli(box, "status", "--format", "json", "--no-meta").stdout)
    return {state: n for state, n in status[tag]["component_status_counts"].items() if n}


def test_a_chunked_map_is_per_item_at_the_site_and_loads_after_a_restart(access_point: Container) -> None:
    out = last_json(access_point.python(CHUNKED))
    assert out["errors"] == [7] and out["message"] == "ValueError: item 7 fails"
    assert out["held"] == list(range(18, 24)) and out["hold_reasons"] == [[13, True]], out
    assert (out["stdout"], out["file"]) == ("item 14", "5 was here")
    expected = {"completed": 17, "errored": 1, "held": 6}
    assert {state: n for state, n in out["widget"].items() if n} == expected, out["widget"]
    (shown,) = [m for m in access_point.get_json("/htcondor/state.json")["maps"] if m["tag"] == "ChunkedAtTheSite"]
    assert {state: n for state, n in shown["counts"].items() if n} == expected, shown
    assert cli_counts(access_point, "ChunkedAtTheSite") == expected
    mended = last_json(access_point.python(MENDED))
    assert mended["results"] == [3 * x for x in range(24)] and mended["file"] == "20 was here"
    assert mended["jobs"] == ["True"] * 5  # the 4 chunks (one held, then released) and the rerun
    assert htmap_cli(access_point, "stdout", "ChunkedAtTheSite", "7").stdout.strip() == "item 7"
    # The access point restarts (this is the module's last test to use it); the map loads from
    # its event log alone.
    docker("restart", access_point.cid)
    access_point.wait_for(
        lambda: access_point.logs().count(ACCESS_POINT_READY) == 2, "the access point ready after the restart"
    )
    access_point.wait_for(lambda: access_point.http_status("/api") == 200, "Jupyter after the restart")
    access_point.exec("sh", "-c", "rm ~/.htmap/maps/*/map_state")
    load = "import htmap\nm = htmap.load('ChunkedAtTheSite')\nprint(list(m) == [3 * x for x in range(24)], m.is_done)"
    assert access_point.python(load).split() == ["True", "True"]
    assert cli_counts(access_point, "ChunkedAtTheSite") == {"completed": 24}


WRONG_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqb3Z5YW5Ac2l0ZSIsImlzcyI6InNpdGUifQ.bm90LXNpZ25lZA"  # noqa: S105


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"HTC_CONDOR_TOKEN": ""}, "access point not started: no HTCondor token in"),
        ({"HTC_CONDOR_TOKEN": WRONG_TOKEN}, "access point: collector 'cm' refused jovyan@site"),
        ({"_CONDOR_COLLECTOR_HOST": "nosuch"}, "access point: collector 'nosuch' does not answer"),
    ],
    ids=["missing-token", "wrong-token", "unreachable-collector"],
)
def test_bad_access_point_settings_are_one_clear_line(
    base_container_site: Site, containers: Containers, env: dict[str, str], line: str
) -> None:
    site = base_container_site
    box = containers.start(env=site.access_point_env(**env), options=("--network", site.network), wait="jupyter")
    box.wait_for_log(line, timeout=60)
    assert len([text for text in box.logs().splitlines() if line in text]) == 1
    assert box.http_status("/api") == 200

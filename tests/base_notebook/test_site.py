"""Site mode: the notebook on a multi-node pool through the site's schedd, with IDTOKENS.

Also at a site that runs an older HTCondor than the notebook's (Debian stable's 23.9.6 on
every node): sites live with version skew.
"""

import re
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.base_notebook.test_dashboard import (
    check_filter_select_and_bulk_actions,
    check_job_stories_and_history,
    check_submit_from_the_file_browser,
    check_submit_from_the_page,
    open_dashboard,
    shown_jobs,
    until,
)
from tests.containers import Container, Containers
from tests.site_pool import CONDOR23_VERSION, EXECUTE_NODES, SCHEDD, Site, node_image, site_pool

HOSTNAMES = "import htmap, socket\nprint(sorted(set(htmap.map(lambda _: socket.gethostname(), range(20)))))"
# Where each component ran, from the machine ad HTCondor gives every job (in a container too).
MACHINES = """
import htmap, os

def machine(_):
    ad = open(os.environ["_CONDOR_MACHINE_AD"]).read()
    return next(line.split('"')[1] for line in ad.splitlines() if line.startswith("Machine "))

print(sorted(set(htmap.map(machine, range(20)))))
"""
# A chunked map through the site's schedd: 20 items in 4 jobs (from the map's event log).
CHUNKED = """
import htcondor2, htmap
m = htmap.map(lambda x: x + 1, range(20), tag="ChunkedThroughTheSite", chunksize=5)
events = htcondor2.JobEventLog(str(m._map_dir / "events")).events(0)
jobs = [e for e in events if e.type is htcondor2.JobEventType.SUBMIT and e.proc >= 0]
print(list(m) == list(range(1, 21)), len(jobs))
"""
ANSWER = f"remote mode: collector 'cm' and schedd '{SCHEDD}' answer"
# Site mode is the entrypoint's and the pool's: base's layers in every image. A flavour's own
# packages at a site: scipy's test at a site that shares nothing.
pytestmark = pytest.mark.usefixtures("own_image_only")
WRONG_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqb3Z5YW5Ac2l0ZSJ9.bm90LXNpZ25lZA"  # noqa: S105 (signed by no key)


def assert_one_line(box: Container, line: str) -> None:
    """The entrypoint's check says `line`, once."""
    box.wait_for_log(line, timeout=60)
    assert len([text for text in box.logs().splitlines() if line in text]) == 1


@pytest.fixture(scope="module")
def notebook(base_site: Site, module_containers: Containers) -> Container:
    """A notebook joined to the site as an admin would set it up."""
    return base_site.start_notebook(module_containers)


def test_map_runs_on_the_execute_nodes(notebook: Container) -> None:
    notebook.wait_for_log(f"and schedd '{SCHEDD}' answer")
    assert notebook.python(HOSTNAMES).splitlines()[-1] == str(sorted(EXECUTE_NODES))
    assert notebook.python(CHUNKED).splitlines()[-1].split() == ["True", "4"]


def test_condor_q_shows_the_site_queue_and_no_daemon_runs_here(notebook: Container) -> None:
    assert f"-- Schedd: {SCHEDD} :" in notebook.exec("condor_q").stdout
    assert [name for _, name in notebook.processes() if name.startswith("condor_")] == []
    assert ANSWER in notebook.logs()


def test_the_dashboard_shows_the_site_pool_and_my_jobs_there(notebook: Container) -> None:
    notebook.wait_for_log(f"and schedd '{SCHEDD}' answer")
    notebook.python("import htmap; htmap.map(str, range(3), tag='SiteDashboard').wait(timeout=300)")
    state = notebook.get_json("/htcondor/state.json")
    assert (state["mode"], state["schedd"], state["problems"]) == ("remote", SCHEDD, []), state
    machines = {row["machine"].split(".")[0] for row in state["machines"]}
    assert set(EXECUTE_NODES) <= machines, state["machines"]
    assert state["jobs"] is not None
    [shown] = [m for m in state["maps"] if m["tag"] == "SiteDashboard"]
    assert shown["counts"]["completed"] == 3
    # A component's story: its job from the map's event log, read from the site schedd's history.
    story = notebook.get_json("/htcondor/maps/SiteDashboard/components/2")
    assert story["component"] == "component 2 of SiteDashboard", story
    assert "ended: exit code 0" in [line["what"] for line in story["timeline"]], story["timeline"]


def test_the_dashboards_stories_history_bulk_actions_and_submit_at_the_site(
    notebook: Container, browser: WebDriver
) -> None:
    """The site's schedd and collector answer the story; the log and streams are in the shared home."""
    notebook.wait_for_log(f"and schedd '{SCHEDD}' answer")
    check_job_stories_and_history(notebook, browser)
    check_filter_select_and_bulk_actions(notebook, browser)
    check_submit_from_the_page(notebook, browser)
    check_submit_from_the_file_browser(notebook, browser)


# Another user of the site submits a job (held: it only has to be in the queue), with her token.
ALICE_SUBMITS = """
mkdir -p /tmp/alice && cd /tmp/alice && umask 077 && printf %s "$1" > token
printf 'executable = /bin/true\\nbatch_name = Alices\\nhold = true\\nqueue\\n' > alice.sub
_CONDOR_SEC_TOKEN_DIRECTORY=/tmp/alice condor_submit -terse alice.sub
"""


def test_the_dashboard_shows_every_users_jobs_at_the_site_when_asked(
    base_site: Site, notebook: Container, browser: WebDriver
) -> None:
    """Mine by default; every user's on request, another user's job neither selectable nor opened."""
    notebook.wait_for_log(f"and schedd '{SCHEDD}' answer")
    submitted = notebook.exec("sh", "-c", ALICE_SUBMITS, "sh", base_site.token("alice@site")).stdout
    alices = submitted.split()[0]
    rm_as_alice = "_CONDOR_SEC_TOKEN_DIRECTORY=/tmp/alice condor_rm " + alices.split(".")[0]
    try:
        open_dashboard(notebook, browser)
        choice = until(browser, "the every-user choice", lambda d: d.find_element(By.ID, "everyone-choice"))
        until(browser, "the every-user choice shown", lambda d: choice.is_displayed())
        assert alices not in shown_jobs(browser)
        choice.find_element(By.ID, "everyone").click()
        until(browser, "another user's job", lambda d: alices in shown_jobs(d))
        assert browser.find_element(By.ID, "jobs-title").text == "Every user's jobs"
        row = browser.find_element(By.XPATH, f"//td[@data-for='{alices}']/..")
        assert "alice" in row.text and "Alices" in row.text, row.text
        assert not row.find_element(By.CSS_SELECTOR, "input[data-pick]").is_enabled()
        assert row.get_attribute("data-job") is None  # no story of another user's job
        assert browser.find_elements(By.CSS_SELECTOR, '#jobs th[data-sort="owner"]')
        # Select shown takes mine only: none here (the count is said at once, before a redraw).
        browser.find_element(By.CSS_SELECTOR, 'button[data-select="shown"]').click()
        assert browser.find_element(By.ID, "selected").text == ""
        browser.find_element(By.ID, "everyone").click()
        until(browser, "mine only again", lambda d: alices not in shown_jobs(d))
    finally:
        notebook.exec("sh", "-c", rm_as_alice, check=False)


def test_the_dashboard_says_when_the_site_schedd_does_not_answer(base_site: Site, containers: Containers) -> None:
    env = base_site.notebook_env(_CONDOR_SCHEDD_HOST="nosuch@submit")
    box = containers.start(env=env, options=("--network", base_site.network), wait="jupyter")
    state = box.get_json("/htcondor/state.json")
    assert state["jobs"] is None
    assert any(line.startswith("The schedd (nosuch@submit) does not answer") for line in state["problems"]), state


def test_token_file_is_private(notebook: Container) -> None:
    token = notebook.host.file("/home/jovyan/.condor/tokens.d/htc-notebook.token")
    assert token.mode == 0o600 and token.user == "jovyan"


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"HTC_CONDOR_TOKEN": WRONG_TOKEN},
            "refused this user's credentials",
        ),
        ({"HTC_CONDOR_TOKEN": ""}, "requires a token"),
        ({"_CONDOR_SCHEDD_HOST": "nosuch@submit"}, "schedd 'nosuch@submit' does not answer"),
    ],
    ids=["wrong-token", "missing-token", "unreachable-schedd"],
)
def test_bad_site_setup_is_one_clear_line(
    base_site: Site, containers: Containers, env: dict[str, str], line: str
) -> None:
    # Its own (empty) home: the shared one already holds the good token.
    box = containers.start(env=base_site.notebook_env(**env), options=("--network", base_site.network), wait="jupyter")
    assert_one_line(box, line)
    assert box.http_status("/api") == 200


@pytest.fixture(scope="module")
def older_site(own_image_only: None, image: str) -> Iterator[Site]:
    """A site whose every node runs Debian stable's HTCondor 23.9.6 (see tests/site_pool.py).

    Its execute nodes run the notebook's jobs in its image (the container delivery).

    With the base image only, as tests/operations: HTCondor and the entrypoint are its layers in
    every image.
    """
    with site_pool(image, node_image(), execute_image=node_image()) as pool:
        yield pool


@pytest.fixture(scope="module")
def older_site_notebook(older_site: Site, image: str, platform_options: tuple[str, ...]) -> Iterator[Container]:
    """A notebook of the image under test joined to the older site, removed before the site is."""
    factory = Containers(image, platform_options)
    try:
        yield older_site.start_notebook(factory)
    finally:
        factory.remove_all()


def test_map_runs_at_a_site_of_older_htcondor(older_site_notebook: Container) -> None:
    older_site_notebook.wait_for_log(ANSWER)
    checks = [line for line in older_site_notebook.logs().splitlines() if "remote mode: collector" in line]
    assert len(checks) == 1 and re.fullmatch(rf"INFO\[[-0-9]{{10}} [:0-9]{{8}}\] {re.escape(ANSWER)}", checks[0]), (
        checks
    )
    # The notebook's tools read every daemon of the site, and each is the older HTCondor.
    assert f"$CondorVersion: {CONDOR23_VERSION} " not in older_site_notebook.exec("condor_version").stdout
    ads = older_site_notebook.exec("condor_status", "-any", "-af:t", "MyType", "CondorVersion").stdout.splitlines()
    daemons = [ad.split("\t", 1) for ad in ads if not ad.startswith("Accounting\t")]  # the negotiator's books
    assert {"DaemonMaster", "Collector", "Negotiator", "Scheduler", "Machine"} <= {kind for kind, _ in daemons}, ads
    assert all(version.startswith(f"$CondorVersion: {CONDOR23_VERSION} ") for _, version in daemons), ads
    assert older_site_notebook.python(MACHINES).splitlines()[-1] == str(sorted(EXECUTE_NODES))
    assert older_site_notebook.python(CHUNKED).splitlines()[-1].split() == ["True", "4"]


def test_wrong_token_at_a_site_of_older_htcondor_is_one_clear_line(older_site: Site, containers: Containers) -> None:
    env = older_site.notebook_env(HTC_CONDOR_TOKEN=WRONG_TOKEN)
    box = containers.start(env=env, options=("--network", older_site.network), wait="jupyter")
    assert_one_line(box, "refused this user's credentials")

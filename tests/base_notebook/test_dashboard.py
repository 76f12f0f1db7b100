"""The HTCondor dashboard and the map widget, in a real browser (Debian's Chromium, headless).

The screenshots in the README are taken here (docs/).
"""

import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.containers import Container, Containers

DOCS = Path(__file__).parents[2] / "docs"
TILE = "//div[contains(@class, 'jp-LauncherCard')][.//p[text()='HTCondor']]"
# Components that wait for a file, so the test sees them idle before it lets them finish.
WAITING_MAP = """
import htmap, pathlib, time

def wait_for(x):
    while not pathlib.Path("{flag}").exists():
        time.sleep(0.2)
    return x

m = htmap.map(wait_for, range({n}), tag="{tag}")
print(m.tag)
"""


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of one request, redirects not followed (a login page is not an answer)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310 (the test's container)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def lab(module_containers: Containers, own_image_only: None) -> Container:
    """A notebook of its own: the test's maps and holds are all its dashboard shows.

    The dashboard is the same layers in every image: its workings are tested with the base image.
    """
    return module_containers.start(wait="healthy")


@pytest.mark.smoke
def test_the_dashboard_answers_only_with_jupyters_token(container: Container) -> None:
    """In every image (its shared container): the tile's server is there, behind Jupyter's login."""
    base = f"http://127.0.0.1:{container.port()}"
    for path in ("/htcondor/", "/htcondor/state.json"):
        status, body = fetch(base + path)
        assert status in (302, 403), (path, status)
        assert b"machines" not in body
    state = container.get_json("/htcondor/state.json")
    assert state["problems"] == [], state
    assert state["mode"] == "personal"
    [machine] = state["machines"]
    assert machine["cpus"] >= 1 and machine["memory"] > 0
    # An action needs Jupyter's _xsrf cookie sent back in a header, as Jupyter's own API does.
    status, _ = fetch(
        f"{base}/htcondor/maps/nothing/remove", method="POST", headers={"Authorization": f"token {container.token()}"}
    )
    assert status == 403


FAILING_MAP = """
import htmap

def fail(x):
    raise ValueError(f"bad item {x}")

htmap.map(fail, [7, 8], tag="Failing").wait(errors_ok=True, timeout=300)
"""


def test_an_errored_map_shows_its_error_and_can_be_rerun_and_removed(lab: Container) -> None:
    lab.map_script(FAILING_MAP)
    [failing] = [m for m in lab.get_json("/htcondor/state.json")["maps"] if m["tag"] == "Failing"]
    assert failing["counts"]["errored"] == 2
    assert failing["error"]["component"] == 0
    assert "bad item 7" in failing["error"]["message"]
    # The frame where it was raised (a script's source does not travel with the function).
    assert failing["error"]["traceback"][-1].endswith(", in fail"), failing["error"]
    # A component's story: its job's, found in the map's event log (out of the queue: the history).
    cluster = lab.python("import htmap; print(htmap.load('Failing')._cluster_ids[0])").strip()
    story = lab.get_json("/htcondor/maps/Failing/components/1")
    assert (story["id"], story["component"]) == (f"{cluster}.1", "component 1 of Failing"), story
    assert "ended: exit code 0" in [line["what"] for line in story["timeline"]], story["timeline"]
    auth = {"Authorization": f"token {lab.token()}"}
    for path, said in [
        ("Failing/components/2", "map Failing has 2 components (0 to 1)"),
        ("Nope/components/0", "there is no map Nope"),
    ]:
        status, body = fetch(f"http://127.0.0.1:{lab.port()}/htcondor/maps/{path}", headers=auth)
        assert (status, json.loads(body)["error"]) == (404, said)
    # Actions through the page's own route, with the double-submitted _xsrf cookie the page sends.
    post = {"Authorization": f"token {lab.token()}", "Cookie": "_xsrf=test-xsrf", "X-XSRFToken": "test-xsrf"}
    base = f"http://127.0.0.1:{lab.port()}/htcondor/maps/Failing"
    status, body = fetch(f"{base}/rerun", method="POST", headers=post)
    assert (status, json.loads(body)["done"]) == (200, "reran 2 errored component(s) of Failing")
    status, body = fetch(f"{base}/remove", method="POST", headers=post)
    assert (status, json.loads(body)["done"]) == (200, "removed Failing")
    assert "Failing" not in lab.python("import htmap; print(htmap.get_tags())")
    status, _ = fetch(f"{base}/remove", method="POST", headers=post)
    assert status == 404


def until(driver: WebDriver, what: str, predicate: Callable[[WebDriver], Any], timeout: float = 120) -> Any:  # noqa: ANN401
    """Wait for `predicate` to return something true; a redrawn element is looked up again."""

    def attempt(d: WebDriver) -> Any:  # noqa: ANN401
        try:
            return predicate(d)
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.3).until(attempt)
    except TimeoutException:
        shot = Path(tempfile.gettempdir()) / f"htc-dashboard-{what.replace(' ', '-')}.png"
        driver.save_screenshot(str(shot))
        raise AssertionError(f"no {what} after {timeout} s; the browser showed {shot}") from None


def click(driver: WebDriver, what: str, selector: str) -> None:
    """Click an element once it is there (found again if an update redrew it meanwhile)."""
    until(driver, what, lambda d: d.find_element(By.CSS_SELECTOR, selector).click() or True)


def map_card(driver: WebDriver, tag: str) -> WebElement:
    """The dashboard's card of one map."""
    return driver.find_element(By.CSS_SELECTOR, f'.map[data-tag="{tag}"]')


def count(driver: WebDriver, tag: str, state: str) -> int:
    """A map's count of components in one state, as the page shows it."""
    text = map_card(driver, tag).find_element(By.CSS_SELECTOR, f'[data-state="{state}"]').text
    return int(text.split()[-1])


def test_the_launcher_tile_opens_a_live_dashboard(lab: Container, browser: WebDriver) -> None:
    browser.get(f"http://127.0.0.1:{lab.port()}/lab?token={lab.token()}")
    until(browser, "HTCondor tile in the launcher", lambda d: d.find_element(By.XPATH, TILE)).click()
    frame = until(browser, "dashboard frame", lambda d: d.find_element(By.CSS_SELECTOR, ".jp-MainAreaWidget iframe"))
    browser.switch_to.frame(frame)
    until(browser, "healthy badge", lambda d: d.find_element(By.ID, "health").text == "healthy")
    assert "personal pool" in browser.find_element(By.ID, "where").text

    # A map of 20 goes from idle to completed while the page watches.
    lab.map_script(WAITING_MAP.format(flag="/tmp/go-twenty", n=20, tag="Twenty"))
    until(browser, "Twenty waiting", lambda d: count(d, "Twenty", "idle") + count(d, "Twenty", "running") == 20)
    assert count(browser, "Twenty", "completed") == 0
    lab.exec("touch", "/tmp/go-twenty")
    until(browser, "Twenty completed", lambda d: count(d, "Twenty", "completed") == 20)

    # One held component: its reason in plain words, and released from the page.
    lab.map_script(WAITING_MAP.format(flag="/tmp/go-held", n=2, tag="Holding"))
    cluster = lab.python("import htmap; print(htmap.load('Holding')._cluster_ids[0])").strip()
    lab.exec("condor_hold", "-reason", "held by the dashboard test", f"{cluster}.0")
    until(browser, "the held component", lambda d: count(d, "Holding", "held") == 1)
    reason = map_card(browser, "Holding").find_element(By.CSS_SELECTOR, ".holds").text
    assert "You (or an administrator) held it." in reason and "held by the dashboard test" in reason
    jobs = browser.find_element(By.ID, "jobs").text
    assert "held (1)" in jobs and "held by the dashboard test" in jobs
    DOCS.mkdir(exist_ok=True)
    browser.switch_to.default_content()
    browser.save_screenshot(str(DOCS / "dashboard.png"))
    browser.switch_to.frame(frame)

    # The held component's story, from its row in the map's card.
    map_card(browser, "Holding").find_element(By.CSS_SELECTOR, '.holds tr[data-component="0"]').click()
    heading = f"Job {cluster}.0 component 0 of Holding · held"
    until(browser, "the held component's story", lambda d: heading in d.find_element(By.CSS_SELECTOR, "#story h2").text)
    assert "held: You (or an administrator) held it." in browser.find_element(By.CSS_SELECTOR, "#story .timeline").text
    browser.find_element(By.CSS_SELECTOR, "#story button[data-close]").click()
    map_card(browser, "Holding").find_element(By.CSS_SELECTOR, 'button[data-action="release"]').click()
    alert = until(browser, "the question before releasing", lambda d: d.switch_to.alert)
    assert "Release the held components of map Holding?" in alert.text
    alert.accept()
    until(browser, "the release", lambda d: count(d, "Holding", "held") == 0)
    assert "released 1 held component(s) of Holding" in browser.find_element(By.ID, "message").text
    lab.exec("touch", "/tmp/go-held")
    until(browser, "Holding completed", lambda d: count(d, "Holding", "completed") == 2)
    assert lab.python("import htmap; print(list(htmap.load('Holding')))").strip() == "[0, 1]"


WIDGET_NOTEBOOK = [
    "import htmap, time\n\n"
    "def slow_square(x):\n    time.sleep(1)\n    return x * x\n\n"
    'squares = htmap.map(slow_square, range(8), tag="Squares")\n'
    "squares.wait(show_progress_bar=True)\n"
    "squares",
]


def test_a_map_in_a_notebook_cell_shows_a_progress_widget_and_a_table(lab: Container, browser: WebDriver) -> None:
    notebook = {
        "type": "notebook",
        "content": {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [
                {"cell_type": "code", "id": "c0", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
                for s in WIDGET_NOTEBOOK
            ],
        },
    }
    base = f"http://127.0.0.1:{lab.port()}"
    request = urllib.request.Request(  # noqa: S310 (http to the test's container)
        f"{base}/api/contents/widget.ipynb",
        data=json.dumps(notebook).encode(),
        method="PUT",
        headers={"Authorization": f"token {lab.token()}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (http to the test's container)
        pass
    # ?reset: the notebook alone, not the layout the last test left (the dashboard in front).
    browser.get(f"{base}/lab/tree/widget.ipynb?reset&token={lab.token()}")
    until(browser, "the notebook's kernel", lambda d: d.find_element(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
    # Its kernel started (Run before that makes Lab ask which kernel), then Run All.
    status_bar = "#jp-main-statusbar, .jp-StatusBar-Widget"
    until(browser, "an idle kernel", lambda d: "| Idle" in d.find_element(By.CSS_SELECTOR, status_bar).text)
    browser.find_element(By.XPATH, "//div[contains(@class, 'lm-MenuBar-itemLabel')][text()='Run']").click()
    browser.find_element(By.XPATH, "//div[contains(@class, 'lm-Menu-itemLabel')][text()='Run All Cells']").click()
    # The kernel starts, the cell runs: the widget follows the map to its end, then the table.
    progress = until(browser, "the progress widget", lambda d: d.find_element(By.CSS_SELECTOR, ".widget-hprogress"))
    assert progress.is_displayed()
    until(
        browser,
        "8 completed in the widget",
        lambda d: (
            "completed 8" in d.find_element(By.CSS_SELECTOR, ".jp-OutputArea .widget-hbox").text.replace("\xa0", " ")
        ),
    )
    table = until(browser, "the map's table", lambda d: d.find_element(By.CSS_SELECTOR, "table.htmap-map"))
    assert "Squares" in table.text and "completed" in table.text
    DOCS.mkdir(exist_ok=True)
    browser.save_screenshot(str(DOCS / "map-widget.png"))


# Three jobs with a story: one ran, wrote to both streams and was held for its exit code; one asks
# more memory than any machine has, and waits; one ran and left the queue (the schedd's history).
# In a folder of the home (a site's submit node shares it), submitted with condor_submit.
STORY_JOBS = """
mkdir -p ~/story && cd ~/story
cat > held.sub <<'SUB'
executable = /bin/sh
arguments = "-c 'echo story-out; echo story-err >&2; exit 3'"
on_exit_hold = ExitCode =!= 0
log = story.log
output = held.out
error = held.err
queue
SUB
cat > big.sub <<'SUB'
executable = /bin/true
request_memory = 900000
log = story.log
queue
SUB
cat > done.sub <<'SUB'
executable = /bin/echo
arguments = done-out
log = story.log
output = done.out
queue
SUB
condor_submit -terse held.sub && condor_submit -terse big.sub && condor_submit -terse done.sub
"""


def check_job_stories_and_history(box: Container, browser: WebDriver, screenshot: str = "") -> None:
    """Submit STORY_JOBS, click each job's row on the dashboard (the finished one's in its history)."""
    submitted = box.exec("sh", "-c", STORY_JOBS).stdout.split("\n")
    held, big, done = (line.split()[0] for line in submitted if line.strip())
    try:
        open_dashboard(box, browser)
        row = f'#jobs h3[data-jobs="held"] + table tr[data-job="{held}"]'
        click(browser, f"job {held} held on the page", row)
        until(browser, "the held job's story", lambda d: "Timeline" in d.find_element(By.ID, "story").text)
        story = browser.find_element(By.ID, "story")
        lines = story.find_element(By.CSS_SELECTOR, ".timeline").text
        assert "submitted" in lines and "started on" in lines, lines
        assert "held: A policy expression of the job or the pool held it." in lines, lines
        assert "exit code 3" in story.find_element(By.TAG_NAME, "h2").text
        assert story.find_element(By.CSS_SELECTOR, 'pre[data-stream="stdout"]').text == "story-out"
        assert story.find_element(By.CSS_SELECTOR, 'pre[data-stream="stderr"]').text == "story-err"
        assert "memory" in story.text and "128 MB" in story.text  # asked, and the use beside it
        row = f'#jobs h3[data-jobs="idle"] + table tr[data-job="{big}"]'
        click(browser, f"job {big} idle on the page", row)
        until(browser, "the idle job's story", lambda d: f"Job {big} idle" in d.find_element(By.ID, "story").text)
        why = browser.find_element(By.CSS_SELECTOR, "#story ul.why").text
        assert why == "No machine has the memory it asks for (900000 MB).", why
        if screenshot:
            browser.save_screenshot(str(DOCS / screenshot))
        browser.find_element(By.CSS_SELECTOR, "#story button[data-close]").click()
        assert not browser.find_element(By.ID, "story").is_displayed()
        # The finished job, from the schedd's history once it has left the queue.
        query = ("condor_q", done, "-af", "JobStatus")
        box.wait_for(lambda: box.exec(*query).stdout.strip() == "", f"job {done} out of the queue", 120)
        browser.find_element(By.CSS_SELECTOR, 'button[data-history="0"]').click()
        row = f'#history tr[data-job="{done}"]'
        shown = until(browser, f"job {done} in the history", lambda d: d.find_element(By.CSS_SELECTOR, row))
        assert "exit code 0" in shown.text and "ago" in shown.text, shown.text
        click(browser, f"job {done}'s row in the history", row)
        until(
            browser,
            "the finished job's story",
            lambda d: f"Job {done} completed" in d.find_element(By.ID, "story").text,
        )
        assert "ended: exit code 0" in browser.find_element(By.CSS_SELECTOR, "#story .timeline").text
        assert browser.find_element(By.CSS_SELECTOR, '#story pre[data-stream="stdout"]').text == "done-out"
    finally:
        box.exec("condor_rm", held.split(".")[0], big.split(".")[0], check=False)


# Three jobs of one batch and one of another, as condor_submit makes them: the page's filter,
# selection and bulk actions act on the three only.
BULK_JOBS = """
mkdir -p ~/bulk && cd ~/bulk
printf 'executable = /bin/sleep\\narguments = 600\\nbatch_name = Bulk\\nqueue 3\\n' > bulk.sub
printf 'executable = /bin/sleep\\narguments = 600\\nbatch_name = Other\\nqueue\\n' > other.sub
condor_submit -terse bulk.sub && condor_submit -terse other.sub
"""


def open_dashboard(box: Container, browser: WebDriver) -> None:
    """The dashboard's page, after Lab's (where a user opens its tile).

    Lab sets Jupyter's _xsrf cookie, which the page's actions send back.
    """
    browser.get(f"http://127.0.0.1:{box.port()}/lab?token={box.token()}")
    browser.get(f"http://127.0.0.1:{box.port()}/htcondor/")


def shown_jobs(driver: WebDriver) -> list[str]:
    """The job ids the page lists now, in its order."""
    return [cell.get_attribute("data-for") for cell in driver.find_elements(By.CSS_SELECTOR, "#jobs td[data-for]")]


def check_filter_select_and_bulk_actions(box: Container, browser: WebDriver) -> None:
    """Filter by batch, select what is shown, hold the three at once, then remove them at once."""
    bulk, other = (line.split(" - ") for line in box.exec("sh", "-c", BULK_JOBS).stdout.split("\n") if line.strip())
    cluster = bulk[0].split(".")[0]
    three = [f"{cluster}.{proc}" for proc in range(3)]
    try:
        open_dashboard(box, browser)
        until(browser, "the other batch's job", lambda d: other[0] in shown_jobs(d))
        browser.find_element(By.ID, "text").send_keys("bulk")
        until(browser, "only the Bulk jobs", lambda d: sorted(shown_jobs(d)) == three)
        browser.find_element(By.CSS_SELECTOR, 'button[data-select="shown"]').click()
        assert browser.find_element(By.ID, "selected").text == "3 selected"
        # Ticked jobs stay ticked across updates, and only they are acted on.
        until(
            browser,
            "three ticked after an update",
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#jobs input:checked")) == 3,
        )
        browser.find_element(By.CSS_SELECTOR, 'button[data-bulk="hold"]').click()
        alert = until(browser, "the question before holding", lambda d: d.switch_to.alert)
        assert alert.text == f"Hold 3 selected job(s): {', '.join(three)}?", alert.text
        alert.accept()
        until(
            browser, "the hold said", lambda d: d.find_element(By.ID, "message").text == "held 3 of 3 selected job(s)"
        )
        held = '#jobs h3[data-jobs="held"]'
        until(browser, "three held", lambda d: d.find_element(By.CSS_SELECTOR, held).text == "held (3)")
        assert "held from the dashboard" in browser.find_element(By.ID, "jobs").text
        # A click on a column's header sorts on it (held jobs are listed first), again the other way.
        click(browser, "the Job column's header", f'{held} + table th[data-sort="id"]')
        until(browser, "the held jobs newest first", lambda d: shown_jobs(d)[:3] == three[::-1])
        assert browser.find_element(By.CSS_SELECTOR, f'{held} + table th[data-sort="id"]').text == "Job ▼"
        click(browser, "the Job column's header again", f'{held} + table th[data-sort="id"]')
        until(browser, "the held jobs oldest first", lambda d: shown_jobs(d)[:3] == three)
        Select(browser.find_element(By.ID, "state")).select_by_value("held")
        until(browser, "the held ones only", lambda d: sorted(shown_jobs(d)) == three)
        browser.find_element(By.CSS_SELECTOR, 'button[data-select="shown"]').click()
        browser.find_element(By.CSS_SELECTOR, 'button[data-bulk="remove"]').click()
        until(browser, "the question before removing", lambda d: d.switch_to.alert).accept()
        said = "removed 3 of 3 selected job(s)"
        until(browser, "the removal said", lambda d: d.find_element(By.ID, "message").text == said)
        until(browser, "the Bulk jobs gone", lambda d: shown_jobs(d) == [])
        # The other batch's job was never touched.
        assert box.exec("condor_q", other[0], "-af", "JobStatus").stdout.strip() in ("1", "2")
    finally:
        box.exec("condor_rm", cluster, other[0].split(".")[0], check=False)


# A submit file and a broken one, in a folder of the home.
SUBMIT_FILES = """
mkdir -p ~/subs && cd ~/subs
printf 'executable = /bin/sleep\\narguments = 600\\nbatch_name = FromThePage\\nqueue 2\\n' > ok.sub
printf 'executable = /no/such/program\\nqueue\\n' > bad.sub
"""


def check_submit_from_the_page(box: Container, browser: WebDriver) -> None:
    """A broken submit file answers with HTCondor's own line and submits nothing; a good one submits."""
    box.exec("sh", "-c", SUBMIT_FILES)
    try:
        open_dashboard(box, browser)
        field = until(browser, "the submit field", lambda d: d.find_element(By.ID, "subfile"))
        field.send_keys("subs/bad.sub")
        browser.find_element(By.CSS_SELECTOR, '#submit button[type="submit"]').click()
        said = "submit: ERROR: Can't access executable file /no/such/program: No such file or directory"
        until(browser, "HTCondor's line", lambda d: d.find_element(By.ID, "message").text == said)
        assert box.exec("condor_q", "-const", 'Cmd == "/no/such/program"', "-af", "ClusterId").stdout.strip() == ""
        field.clear()
        field.send_keys("subs/ok.sub")
        browser.find_element(By.CSS_SELECTOR, '#submit button[type="submit"]').click()
        done = "submitted subs/ok.sub: 2 job(s) in cluster "
        message = until(browser, "the submission said", lambda d: done in d.find_element(By.ID, "message").text and d)
        cluster = message.find_element(By.ID, "message").text.split()[-1]
        until(browser, "the new jobs", lambda d: {f"{cluster}.0", f"{cluster}.1"} <= set(shown_jobs(d)))
        assert box.exec("condor_q", cluster, "-af", "JobBatchName").stdout.split() == ["FromThePage"] * 2
    finally:
        box.exec("condor_rm", "-const", 'JobBatchName == "FromThePage"', check=False)


def test_a_submit_file_submitted_from_the_page(lab: Container, browser: WebDriver) -> None:
    check_submit_from_the_page(lab, browser)


def submit_from_the_file_browser(driver: WebDriver, name: str, said: str) -> str:
    """Right-click a file in Lab's file browser, Submit to HTCondor: the text of the notification that says `said`."""
    item = f"//li[contains(@class, 'jp-DirListing-item')][.//span[text()='{name}']]"
    ActionChains(driver).context_click(
        until(driver, f"{name} listed", lambda d: d.find_element(By.XPATH, item))
    ).perform()
    menu = "//li[contains(@class, 'lm-Menu-item')][.//div[text()='Submit to HTCondor']]"
    until(driver, "Submit to HTCondor in the menu", lambda d: d.find_element(By.XPATH, menu)).click()
    toast = f"//div[contains(@class, 'Toastify__toast')][contains(., \"{said}\")]"
    return until(driver, f"the notification of {name}", lambda d: d.find_element(By.XPATH, toast)).text


def check_submit_from_the_file_browser(box: Container, browser: WebDriver) -> None:
    """The right-click menu of a .sub file; HTCondor's own line for a broken one (nothing submitted)."""
    box.exec("sh", "-c", SUBMIT_FILES)
    try:
        browser.get(f"http://127.0.0.1:{box.port()}/lab/tree/subs?reset&token={box.token()}")
        said = submit_from_the_file_browser(browser, "bad.sub", "submit: ERROR")
        assert "submit: ERROR: Can't access executable file /no/such/program" in said, said
        assert box.exec("condor_q", "-const", 'Cmd == "/no/such/program"', "-af", "ClusterId").stdout.strip() == ""
        # From Jupyter's root folder, whichever it is (the home here).
        said = submit_from_the_file_browser(browser, "ok.sub", "subs/ok.sub: 2 job(s) in cluster ")
        assert said.startswith("submitted ") and "/subs/ok.sub: 2 job(s) in cluster " in said, said
        procs = box.exec("condor_q", "-const", 'JobBatchName == "FromThePage"', "-af", "ProcId").stdout.split()
        assert procs == ["0", "1"], procs
    finally:
        box.exec("condor_rm", "-const", 'JobBatchName == "FromThePage"', check=False)


def test_a_submit_file_submitted_from_labs_file_browser(lab: Container, browser: WebDriver) -> None:
    check_submit_from_the_file_browser(lab, browser)


def test_jobs_filtered_selected_and_held_and_removed_together(lab: Container, browser: WebDriver) -> None:
    check_filter_select_and_bulk_actions(lab, browser)


def test_a_jobs_story_its_timeline_streams_resources_why_it_waits_and_the_history(
    lab: Container, browser: WebDriver
) -> None:
    check_job_stories_and_history(lab, browser, screenshot="job-story.png")

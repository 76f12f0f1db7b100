"""The dashboard's page and JSON.

jupyter-server-proxy starts it on a Unix socket of its own and lets through only requests that
carry Jupyter's authentication, so it has no login of its own.
"""

import asyncio
import functools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import tornado.web

from htc_dashboard import model
from htc_dashboard.sources import NoSuchJob, NoSuchMap, Sources

STATIC = Path(__file__).parent / "static"
# The page asks every few seconds; pages open side by side share one snapshot, so the schedd
# gets at most one query per this many seconds whatever the number of tabs.
FRESH_FOR = 2.0
# History pages of model.HISTORY_PAGE jobs: 200 of them are 10,000 jobs.
MAX_HISTORY_PAGE = 200
# How long after a page last asked for every user's jobs the snapshots still read them.
EVERYONE_FOR = 10.0


class State:
    """One reader of HTCondor and HTMap, in one thread (the bindings block), and its last snapshot."""

    def __init__(self) -> None:
        self.sources = Sources()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="htcondor")
        # What is read when asked (a job's story: up to a minute of condor_q's analysis; a
        # history page) has its own reader and thread: the updates never wait for it.
        self.asked = Sources()
        self.asked_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="htcondor-asked")
        # The last snapshot: when, what, and whether every user's jobs were asked for.
        self.last: tuple[float, dict[str, Any], bool] | None = None
        self.lock = asyncio.Lock()
        self.acting = False
        # Until when the snapshots read every user's jobs: a page asked for them lately.
        self.everyone_until = 0.0

    async def snapshot(self, everyone: bool = False) -> dict[str, Any]:
        """The last snapshot while fresh or while an action runs, else a new one.

        An action can take seconds (removing a map waits for its jobs to leave the queue).
        `everyone`: this page shows every user's jobs; the snapshots read them while pages ask.
        """
        now = time.monotonic()
        if everyone:
            self.everyone_until = now + EVERYONE_FOR
        if self.acting and self.last is not None:
            return self.last[1]
        async with self.lock:
            # A page that asks for everyone's jobs first gets a new snapshot: the last one read mine.
            if self.last is None or now - self.last[0] > FRESH_FOR or (everyone and not self.last[2]):
                asked = now < self.everyone_until
                read = functools.partial(self.sources.snapshot, everyone=asked)
                view = await asyncio.get_running_loop().run_in_executor(self.pool, read)
                self.last = (time.monotonic(), view, asked)
            return self.last[1]

    async def story(self, cluster: int, proc: int) -> dict[str, Any]:
        """One job's story, read now (its event log, stream files and HTCondor's analysis)."""
        return await asyncio.get_running_loop().run_in_executor(self.asked_pool, self.asked.story, cluster, proc)

    async def component_story(self, tag: str, component: int) -> dict[str, Any]:
        """The story of the job that runs or ran a map's component last.

        Which job, from the map's event log by the snapshots' reader (one reader per map's files).
        """
        loop = asyncio.get_running_loop()
        cluster, proc = await loop.run_in_executor(self.pool, self.sources.component_job, tag, component)
        try:
            story = await self.story(cluster, proc)
        except NoSuchJob:
            raise NoSuchJob(f"component {component} of {tag}: its job {cluster}.{proc} has left the history") from None
        return story | {"component": f"component {component} of {tag}"}

    async def history(self, page: int) -> dict[str, Any]:
        """A page of my finished jobs, read now."""
        return await asyncio.get_running_loop().run_in_executor(self.asked_pool, self.asked.history, page)

    async def act(self, do: Callable[..., str], *args: Any) -> str:  # noqa: ANN401
        """An action on a map or on jobs; the next snapshot is a new one."""
        async with self.lock:
            self.acting = True
            try:
                return await asyncio.get_running_loop().run_in_executor(self.pool, do, *args)
            finally:
                self.acting = False
                self.last = None


class PageHandler(tornado.web.RequestHandler):
    """The page itself: static HTML that asks for state.json."""

    def get(self) -> None:
        """The page."""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write((STATIC / "index.html").read_bytes())


class JsonHandler(tornado.web.RequestHandler):
    """A route of the shared state that answers JSON, never cached."""

    def initialize(self, state: State) -> None:
        """The shared state."""
        self.state = state

    def prepare(self) -> None:
        """JSON, fresh each time."""
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")

    def error(self, status: int, message: str) -> None:
        """Why not, in one line the page shows."""
        self.set_status(status)
        self.write(json.dumps({"error": message}))


class StateHandler(JsonHandler):
    """The pool, my jobs and my maps, as JSON."""

    async def get(self) -> None:
        """The current snapshot, its jobs filtered (?text=, ?state=, ?all=1: every user's) and sorted (?order=)."""
        everyone = self.get_argument("all", "") == "1"
        view = dict(await self.state.snapshot(everyone))
        if view["jobs"] is not None:
            text, state, order = (self.get_argument(name, "") for name in ("text", "state", "order"))
            owner = None if everyone and view["everyone"] else view["user"]
            view["jobs"] = model.jobs_view(view["jobs"], text, state, order or "id", owner)
        self.write(json.dumps(view))


class StoryHandler(JsonHandler):
    """GET jobs/CLUSTER.PROC: one of my jobs' story, from the queue or the schedd's history."""

    async def get(self, cluster: str, proc: str) -> None:
        """The story, or in one line why not."""
        try:
            self.write(json.dumps(await self.state.story(int(cluster), int(proc))))
        except NoSuchJob:
            self.error(404, f"there is no job {cluster}.{proc} of yours")
        except Exception as exc:  # the schedd's refusal, said on the page
            self.error(500, f"job {cluster}.{proc} could not be read: {exc}")


class ComponentStoryHandler(JsonHandler):
    """GET maps/TAG/components/N: the story of a map's component (its last job)."""

    async def get(self, tag: str, component: str) -> None:
        """The story, or in one line why not."""
        try:
            self.write(json.dumps(await self.state.component_story(tag, int(component))))
        except NoSuchMap:
            self.error(404, f"there is no map {tag}")
        except NoSuchJob as exc:  # out of the map's range, not run yet, or out of the history
            self.error(404, str(exc))
        except Exception as exc:  # the schedd's refusal, said on the page
            self.error(500, f"component {component} of {tag} could not be read: {exc}")


class HistoryHandler(JsonHandler):
    """GET history.json?page=N: my finished jobs, from the schedd's history."""

    async def get(self) -> None:
        """A page of them, or in one line why not."""
        page = self.get_argument("page", "0")
        if not page.isdigit() or int(page) > MAX_HISTORY_PAGE:
            self.error(400, f"page: a number from 0 to {MAX_HISTORY_PAGE}")
            return
        try:
            self.write(json.dumps(await self.state.history(int(page))))
        except Exception as exc:  # the schedd's refusal, said on the page
            self.error(500, f"the schedd's history could not be read: {exc}")


class ActionHandler(JsonHandler):
    """POST maps/TAG/release|rerun|remove.

    Jupyter's own rule, which the proxy leaves to us: the _xsrf cookie, sent back in a header. A
    page on another site can make the browser send the cookie, but cannot read it.
    """

    def refused(self) -> bool:
        """True, and a 403 said, when the request lacks the _xsrf cookie in its header."""
        cookie = self.get_cookie("_xsrf")
        if cookie and self.request.headers.get("X-XSRFToken") == cookie:
            return False
        self.error(403, "the _xsrf cookie must come back in the X-XSRFToken header")
        return True

    async def post(self, tag: str, action: str) -> None:
        """Do it, and say what was done, or in one line why not."""
        if self.refused():
            return
        try:
            self.write(json.dumps({"done": await self.state.act(self.state.sources.act, tag, action)}))
        except NoSuchMap:
            self.error(404, f"there is no map {tag}")
        except Exception as exc:  # HTMap's or the schedd's refusal, said on the page
            self.error(500, f"{action} {tag} failed: {exc}")


class JobsActionHandler(ActionHandler):
    """POST jobs/hold|release|remove with {"ids": ["12.0", ...]}: several of my jobs at once."""

    async def post(self, action: str) -> None:  # type: ignore[override]
        """Do it, and say what was done, or in one line why not."""
        if self.refused():
            return
        try:
            body = json.loads(self.request.body or b"{}")
            ids = body.get("ids") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not all(isinstance(job, str) for job in ids):
                raise ValueError('send {"ids": ["12.0", ...]}')
            self.write(json.dumps({"done": await self.state.act(self.state.sources.act_on_jobs, action, ids)}))
        except ValueError as exc:  # no or bad ids
            self.error(400, f"{action}: {exc}")
        except Exception as exc:  # the schedd's refusal, said on the page
            self.error(500, f"{action} failed: {exc}")


class SubmitHandler(ActionHandler):
    """POST submit with {"path": "folder/job.sub"}: condor_submit that file from its folder."""

    async def post(self) -> None:  # type: ignore[override]
        """Submit it, and say what was submitted, or HTCondor's message in one line."""
        if self.refused():
            return
        try:
            body = json.loads(self.request.body or b"{}")
            path = body.get("path") if isinstance(body, dict) else None
            if not isinstance(path, str):
                raise ValueError('send {"path": "folder/job.sub"}')
            self.write(json.dumps({"done": await self.state.act(self.state.sources.submit, path)}))
        except ValueError as exc:  # no such file, or condor_submit's refusal
            self.error(400, f"submit: {exc}")
        except Exception as exc:
            self.error(500, f"submit failed: {exc}")


def application() -> tornado.web.Application:
    """The dashboard's routes, relative to wherever the proxy mounts it."""
    state = State()
    return tornado.web.Application(
        [
            (r"/", PageHandler),
            (r"/state\.json", StateHandler, {"state": state}),
            (r"/jobs/(\d+)\.(\d+)", StoryHandler, {"state": state}),
            (r"/history\.json", HistoryHandler, {"state": state}),
            (r"/jobs/(hold|release|remove)", JobsActionHandler, {"state": state}),
            (r"/submit", SubmitHandler, {"state": state}),
            (r"/maps/([^/]+)/(release|rerun|remove)", ActionHandler, {"state": state}),
            (r"/maps/([^/]+)/components/(\d+)", ComponentStoryHandler, {"state": state}),
            (r"/static/(.*)", tornado.web.StaticFileHandler, {"path": str(STATIC)}),
        ]
    )

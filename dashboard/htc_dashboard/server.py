"""The dashboard's page and JSON.

jupyter-server-proxy starts it on a Unix socket of its own and lets through only requests that
carry Jupyter's authentication, so it has no login of its own.
"""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import tornado.web

from htc_dashboard.sources import Sources

STATIC = Path(__file__).parent / "static"
# The page asks every few seconds; pages open side by side share one snapshot, so the schedd
# gets at most one query per this many seconds whatever the number of tabs.
FRESH_FOR = 2.0


class State:
    """One reader of HTCondor and HTMap, in one thread (the bindings block), and its last snapshot."""

    def __init__(self) -> None:
        self.sources = Sources()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="htcondor")
        self.last: tuple[float, dict[str, Any]] | None = None
        self.lock = asyncio.Lock()

    async def snapshot(self) -> dict[str, Any]:
        """The last snapshot while fresh, else a new one."""
        async with self.lock:
            if self.last is None or time.monotonic() - self.last[0] > FRESH_FOR:
                view = await asyncio.get_running_loop().run_in_executor(self.pool, self.sources.snapshot)
                self.last = (time.monotonic(), view)
            return self.last[1]

    async def act(self, tag: str, action: str) -> str:
        """An action on a map; the next snapshot is a new one."""
        async with self.lock:
            done = await asyncio.get_running_loop().run_in_executor(self.pool, self.sources.act, tag, action)
            self.last = None
            return done


class PageHandler(tornado.web.RequestHandler):
    """The page itself: static HTML that asks for state.json."""

    def get(self) -> None:
        """The page."""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write((STATIC / "index.html").read_bytes())


class StateHandler(tornado.web.RequestHandler):
    """The pool, my jobs and my maps, as JSON."""

    def initialize(self, state: State) -> None:
        """The shared state."""
        self.state = state

    async def get(self) -> None:
        """The current snapshot."""
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(await self.state.snapshot()))


class ActionHandler(tornado.web.RequestHandler):
    """POST maps/TAG/release|rerun|remove."""

    def initialize(self, state: State) -> None:
        """The shared state."""
        self.state = state

    def check_xsrf(self) -> None:
        """Jupyter's own rule, which the proxy leaves to us: the _xsrf cookie, sent back in a header.

        A page on another site can make the browser send the cookie, but cannot read it.
        """
        cookie = self.get_cookie("_xsrf")
        if not cookie or self.request.headers.get("X-XSRFToken") != cookie:
            raise tornado.web.HTTPError(403, "the _xsrf cookie must come back in the X-XSRFToken header")

    async def post(self, tag: str, action: str) -> None:
        """Do it, and say what was done."""
        self.check_xsrf()
        try:
            done = await self.state.act(tag, action)
        except KeyError:
            raise tornado.web.HTTPError(404, f"there is no map {tag!r}") from None
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"done": done}))


def application() -> tornado.web.Application:
    """The dashboard's routes, relative to wherever the proxy mounts it."""
    state = State()
    return tornado.web.Application(
        [
            (r"/", PageHandler),
            (r"/state\.json", StateHandler, {"state": state}),
            (r"/maps/([^/]+)/(release|rerun|remove)", ActionHandler, {"state": state}),
            (r"/static/(.*)", tornado.web.StaticFileHandler, {"path": str(STATIC)}),
        ]
    )

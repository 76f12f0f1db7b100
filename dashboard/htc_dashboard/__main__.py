"""Serve the dashboard on a Unix socket (jupyter-server-proxy's): python -m htc_dashboard SOCKET."""

import asyncio
import sys

import tornado.httpserver
import tornado.netutil

from htc_dashboard.server import application


async def serve(socket_path: str) -> None:
    """Until the proxy stops us."""
    server = tornado.httpserver.HTTPServer(application())
    server.add_socket(tornado.netutil.bind_unix_socket(socket_path, mode=0o600))
    await asyncio.Event().wait()


def main() -> None:
    """One argument: the socket's path."""
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m htc_dashboard SOCKET")
    asyncio.run(serve(sys.argv[1]))


if __name__ == "__main__":
    main()

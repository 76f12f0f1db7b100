"""Code run in a Jupyter kernel over its websocket protocol, as Lab runs a cell."""

import json
import uuid

import websocket


def execute(server: str, token: str, kernel: str, code: str, timeout: float = 300) -> str:
    """Run `code` in kernel `kernel` of the server at `server` (host:port/prefix); return its stdout.

    An error in the code fails the caller with its output and traceback.
    """
    ws = websocket.create_connection(
        f"ws://{server}/api/kernels/{kernel}/channels", header=[f"Authorization: token {token}"], timeout=timeout
    )
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "username": "", "session": uuid.uuid4().hex, "msg_type": "execute_request"}
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}
    request = {
        "header": {**header, "version": "5.3", "date": ""},
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "buffers": [],
        "content": {**content, "stop_on_error": True},
    }
    out = []
    try:
        ws.send(json.dumps(request))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                raise AssertionError("".join(out) + "\n" + "\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(out)
    finally:
        ws.close()

"""Real containers of the image under test, driven through the docker CLI and testinfra."""

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import testinfra
from testinfra.host import Host

from tests import jupyter_kernel

LABEL = "org.htcondor.test"
READY_TIMEOUT = 180.0


def docker(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a docker command, capturing its output."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def engine_platform() -> str:
    """The engine's own platform (linux/amd64, linux/arm64): images of it run natively."""
    return f"linux/{docker('version', '-f', '{{.Server.Arch}}').stdout.strip()}"


@dataclass
class Container:
    """A running container of the image under test."""

    cid: str
    name: str
    _host: Host | None = field(default=None, repr=False)

    @property
    def host(self) -> Host:
        """A testinfra host for the container (docker backend, as the container's user)."""
        if self._host is None:
            self._host = testinfra.get_host(f"docker://{self.cid}")
        return self._host

    def exec(
        self,
        *cmd: str,
        user: str | None = None,
        check: bool = True,
        timeout: float = 300,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the container."""
        opts = ["-u", user] if user else []
        for key, value in (env or {}).items():
            opts += ["-e", f"{key}={value}"]
        return docker("exec", *opts, self.cid, *cmd, check=check, timeout=timeout)

    def python(self, code: str, timeout: float = 300) -> str:
        """Run Python code in the container as the notebook user; return its stdout."""
        done = self.exec("python", "-c", code, check=False, timeout=timeout)
        assert done.returncode == 0, f"python failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def logs(self) -> str:
        """Everything the container printed."""
        done = docker("logs", self.cid)
        return done.stdout + done.stderr

    def inspect(self) -> dict[str, Any]:
        """`docker inspect` of the container."""
        return json.loads(docker("inspect", self.cid).stdout)[0]

    def health(self) -> str:
        """Docker's health status: starting, healthy or unhealthy."""
        return self.inspect()["State"]["Health"]["Status"]

    def port(self, private: int = 8888) -> int:
        """The host port published for a container port."""
        return int(docker("port", self.cid, str(private)).stdout.split(":")[-1].split()[0])

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = READY_TIMEOUT) -> None:
        """Poll `predicate()` until true; fail with the logs when it does not come."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if not self.inspect()["State"]["Running"]:
                raise AssertionError(f"container stopped while waiting for {what}:\n{self.logs()}")
            time.sleep(0.2)
        raise AssertionError(f"no {what} after {timeout:.0f} s:\n{self.logs()}")

    def wait_for_log(self, text: str, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the container's log holds `text`."""
        self.wait_for(lambda: text in self.logs(), f"log line {text!r}", timeout)

    def token(self) -> str:
        """Jupyter's token, as the running server reports it."""
        servers = self.exec("jupyter", "server", "list", "--json").stdout.splitlines()
        return json.loads(servers[0])["token"]

    def http_status(self, path: str, token: str | None = None, private: int = 8888) -> int:
        """GET a path of the container's Jupyter through its published port; return the status."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port(private)}{path}")
        if token:
            request.add_header("Authorization", f"token {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (http to the test's container)
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, ConnectionError):
            return 0

    def get_json(self, path: str, method: str = "GET", body: Any = None) -> Any:  # noqa: ANN401 (whatever the API answers)
        """Call a path of the container's Jupyter with its token (GET, or `method` with a body); the JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port()}{path}", data=data, method=method)
        request.add_header("Authorization", f"token {self.token()}")
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (http to the test's container)
            text = answer.read()
        return json.loads(text) if text else None

    def run_notebook(self, cells: list[str], kernel: str = "python3", timeout: float = 600) -> list[dict[str, Any]]:
        """Execute a notebook of `cells` with nbclient inside the container; return each cell's outputs."""
        script = (
            "import json, sys, nbformat, nbclient\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in json.loads(sys.argv[1])])\n"
            "nbclient.NotebookClient(nb, kernel_name=sys.argv[2], timeout=int(sys.argv[3])).execute()\n"
            "print(json.dumps([c.outputs for c in nb.cells]))\n"
        )
        done = self.exec(
            "python", "-c", script, json.dumps(cells), kernel, str(int(timeout)), check=False, timeout=timeout + 60
        )
        assert done.returncode == 0, f"notebook failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return json.loads(done.stdout.splitlines()[-1])

    def in_kernel(self, code: str, timeout: float = 300) -> str:
        """Run `code` in a new kernel of the container's Jupyter, as a cell (in Jupyter's environment); its stdout."""
        kernel = self.get_json("/api/kernels", "POST", {"name": "python3"})["id"]
        try:
            return jupyter_kernel.execute(f"127.0.0.1:{self.port()}", self.token(), kernel, code, timeout)
        finally:
            self.get_json(f"/api/kernels/{kernel}", "DELETE")

    def imports(self, *modules: str) -> None:
        """Assert that the notebook's Python imports every module."""
        self.python("import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules))

    def kernels(self) -> set[str]:
        """The names of the Jupyter kernels registered in the image."""
        return set(json.loads(self.exec("jupyter", "kernelspec", "list", "--json").stdout)["kernelspecs"])

    def map_script(self, script: str, timeout: float = 600) -> list[str]:
        """Run a Python script (typically an htmap.map) in the container; return its stdout lines."""
        self.exec("sh", "-c", f"cat > /tmp/map_script.py <<'EOF'\n{script}\nEOF")
        done = self.exec("python", "/tmp/map_script.py", check=False, timeout=timeout)
        assert done.returncode == 0, f"script failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout.strip().splitlines()

    def pids(self, name: str) -> list[str]:
        """The pids of the processes whose command name is `name`."""
        out = self.exec(
            "sh", "-c", f'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = {name} ] && echo ${{p#/proc/}}; done; true'
        )
        return sorted(out.stdout.split())

    def kill(self, name: str, signal: str = "KILL") -> None:
        """Send a signal to every process whose command name is `name`."""
        pids = self.pids(name)
        if pids:
            self.exec("sh", "-c", f"kill -{signal} {' '.join(pids)}", check=False)  # kill: the shell's builtin

    def processes(self, numeric: bool = False) -> list[tuple[str, str]]:
        """(user, command name) of every process in the container; the uid when `numeric`."""
        owner = "%u" if numeric else "%U"
        out = self.exec(
            "sh",
            "-c",
            # A process that ends mid-loop (the loop's own subshells among them) is skipped, not read as blank.
            f"for p in /proc/[0-9]*; do u=$(stat -c {owner} $p 2>/dev/null) && c=$(cat $p/comm 2>/dev/null)"
            ' && echo "$u $c"; done',
            check=False,
        ).stdout
        return [tuple(line.split(" ", 1)) for line in out.splitlines() if " " in line]  # type: ignore[misc]


class Containers:
    """Starts containers of one image and removes them all at the end."""

    def __init__(self, image: str, platform_options: tuple[str, ...] = ()) -> None:
        self.image = image
        # --platform and QEMU_CPU for another platform's image, run under emulation.
        self.platform_options = platform_options
        self.started: list[Container] = []

    def start(
        self, *cmd: str, env: dict[str, str] | None = None, options: tuple[str, ...] = (), wait: str | None = None
    ) -> Container:
        """`docker run -d` the image; wait for "healthy", for Jupyter ("jupyter"), or not at all."""
        name = f"htc-test-{uuid.uuid4().hex[:8]}"
        args = [
            "run",
            "-d",
            "--name",
            name,
            "--label",
            LABEL,
            "-p",
            "127.0.0.1::8888",
            *self.platform_options,
            *options,
        ]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        cid = docker(*args, self.image, *cmd).stdout.strip()
        box = Container(cid, name)
        self.started.append(box)
        if wait == "healthy":
            box.wait_for(lambda: box.health() == "healthy", "healthy status")
            box.wait_for_log("pool ready:")
        elif wait == "jupyter":
            box.wait_for(lambda: box.http_status("/api") == 200, "Jupyter answering /api")
        return box

    def run(self, *cmd: str, options: tuple[str, ...] = (), timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`docker run --rm` the image with a command; return what it printed."""
        return docker(
            "run",
            "--rm",
            "--label",
            LABEL,
            *self.platform_options,
            *options,
            self.image,
            *cmd,
            check=False,
            timeout=timeout,
        )

    def remove_all(self) -> None:
        """Remove every container started here."""
        for box in self.started:
            docker("rm", "-f", "-v", box.cid, check=False)

"""Secure by default: Jupyter's token, a pool no other container can reach, private key and token files."""

import pytest

from tests.containers import Container, Containers, docker

PROTECTED = ["/api/contents", "/api/kernels", "/api/sessions", "/api/terminals", "/api/kernelspecs", "/api/me"]


@pytest.mark.parametrize("path", PROTECTED)
def test_jupyter_refuses_api_requests_without_the_token(container: Container, path: str) -> None:
    assert container.http_status(path) == 403
    assert container.http_status(path, token="not-the-token")  # noqa: S106 (a wrong token on purpose) == 403
    assert container.http_status(path, token=container.token()) == 200


def test_jupyter_refuses_to_start_a_kernel_without_the_token(container: Container) -> None:
    done = container.exec(
        "python",
        "-c",
        "import urllib.request, urllib.error\n"
        "req = urllib.request.Request('http://127.0.0.1:8888/api/kernels', data=b'{}', method='POST')\n"
        "try:\n    urllib.request.urlopen(req)\nexcept urllib.error.HTTPError as e:\n    print(e.code)\n",
    )
    assert done.stdout.strip() == "403"


def listening_ports(box: Container) -> set[int]:
    """Every TCP port the container listens on."""
    out = box.python(
        "for name in ('/proc/net/tcp', '/proc/net/tcp6'):\n"
        "    for line in open(name).read().splitlines()[1:]:\n"
        "        f = line.split()\n"
        "        if f[3] == '0A': print(int(f[1].split(':')[1], 16))\n"
    )
    return {int(port) for port in out.split()}


def test_the_pool_cannot_be_reached_from_another_container(containers: Containers) -> None:
    network = "htc-test-isolation"
    docker("network", "create", network, check=False)
    try:
        box = containers.start(options=("--network", network), wait="healthy")
        address = box.inspect()["NetworkSettings"]["Networks"][network]["IPAddress"]
        ports = sorted(listening_ports(box) - {8888})
        assert 9618 in ports
        probe = (
            "import socket, sys\n"
            "for port in map(int, sys.argv[2:]):\n"
            "    s = socket.socket(); s.settimeout(3)\n"
            "    print(port, s.connect_ex((sys.argv[1], port)))\n"
        )
        other = containers.run("python", "-c", probe, address, "8888", *map(str, ports), options=("--network", network))
        results = dict(line.split() for line in other.stdout.splitlines())
        assert results.pop("8888") == "0", other.stdout + other.stderr  # Jupyter is meant to be reached
        assert results and all(code != "0" for code in results.values()), results
        status = containers.run(
            "condor_status", "-pool", f"{address}:9618", options=("--network", network, "-e", "_CONDOR_SCHEDD_HOST=x")
        )
        assert status.returncode != 0
    finally:
        docker("network", "rm", network, check=False)


def test_the_pool_allows_writes_only_from_inside(container: Container) -> None:
    pool = {"CONDOR_CONFIG": "/etc/condor/personal-pool.conf", "HTC_POOL_DIR": "/home/jovyan/.condor/state"}
    for level in ("READ", "WRITE", "DAEMON", "NEGOTIATOR", "ADMINISTRATOR", "ADVERTISE_STARTD", "ADVERTISE_SCHEDD"):
        value = container.exec("condor_config_val", f"ALLOW_{level}", env=pool, check=False).stdout.strip()
        assert value in ("*/127.0.0.1", ""), f"ALLOW_{level} = {value}"
    assert container.exec("condor_config_val", "NETWORK_INTERFACE", env=pool).stdout.strip() == "127.0.0.1"


def test_key_and_token_files_are_private(container: Container) -> None:
    state = "/home/jovyan/.condor/state"
    out = container.exec(
        "sh", "-c", f"find {state}/passwords.d {state}/tokens.d {state}/cred_dir -type f -printf '%m %p\\n'"
    ).stdout
    files = [line.split(" ", 1) for line in out.splitlines()]
    assert files, "the pool has no signing key"
    assert [path for mode, path in files if mode != "600"] == []


def test_a_token_given_in_remote_mode_is_private(containers: Containers) -> None:
    env = {"_CONDOR_SCHEDD_HOST": "somewhere", "_CONDOR_COLLECTOR_HOST": "somewhere", "HTC_CONDOR_TOKEN": "eyJ.a.b"}
    box = containers.start(env=env, wait="jupyter")
    stat = box.exec("stat", "-c", "%a %U", "/home/jovyan/.condor/tokens.d/htc-notebook.token").stdout.split()
    assert stat == ["600", "jovyan"]

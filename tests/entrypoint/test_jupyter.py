"""The command to exec."""

from pathlib import Path

import pytest
from htc_entrypoint import jupyter, selfsigned


def test_default_is_jupyterlab_on_all_interfaces_ipv4_and_ipv6() -> None:
    cmd = jupyter.command([], {})
    assert cmd.argv[:2] == ["jupyter", "lab"]
    assert "--ServerApp.ip=" in cmd.argv
    assert "--ServerApp.port=8888" in cmd.argv
    assert cmd.api_url == "http://127.0.0.1:8888/api"


def fake_jupyter_app(tmp_path: Path, app: str) -> str:
    (tmp_path / f"jupyter-{app}").write_text("#!/bin/sh\n")
    (tmp_path / f"jupyter-{app}").chmod(0o755)
    return str(tmp_path)


def test_port_cmd_and_args_as_docker_stacks(tmp_path: Path) -> None:
    env = {
        "PATH": fake_jupyter_app(tmp_path, "notebook"),
        "JUPYTER_PORT": "9999",
        "DOCKER_STACKS_JUPYTER_CMD": "notebook",
        "NOTEBOOK_ARGS": "--NotebookApp.x='a b' --y",
    }
    cmd = jupyter.command([], env)
    assert cmd.argv[:2] == ["jupyter", "notebook"]
    assert "--ServerApp.port=9999" in cmd.argv
    assert cmd.argv[-2:] == ["--NotebookApp.x=a b", "--y"]


def test_shell_metacharacters_stay_arguments() -> None:
    cmd = jupyter.command([], {"NOTEBOOK_ARGS": "--x=$(touch /tmp/pwned); rm -rf ~"})
    assert cmd.argv[-5:] == ["--x=$(touch", "/tmp/pwned);", "rm", "-rf", "~"]


@pytest.mark.parametrize("value", ["notaport", "0", "70000", "-1"])
def test_bad_port_falls_back_with_one_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    cmd = jupyter.command([], {"JUPYTER_PORT": value})
    assert "--ServerApp.port=8888" in cmd.argv
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "JUPYTER_PORT" in err


def test_unbalanced_quotes_in_notebook_args(capsys: pytest.CaptureFixture[str]) -> None:
    cmd = jupyter.command([], {"NOTEBOOK_ARGS": "--x='open"})
    assert cmd.argv[-1] == "--ServerApp.open_browser=False"
    assert "NOTEBOOK_ARGS" in capsys.readouterr().err


def test_any_installed_jupyter_subcommand(tmp_path: Path) -> None:
    env = {"PATH": fake_jupyter_app(tmp_path, "nbclassic"), "DOCKER_STACKS_JUPYTER_CMD": "nbclassic"}
    assert jupyter.command([], env).argv[1] == "nbclassic"


@pytest.mark.parametrize("app", ["rm -rf", "nosuchapp"])
def test_unknown_jupyter_cmd_uses_lab(app: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert jupyter.command([], {"DOCKER_STACKS_JUPYTER_CMD": app, "PATH": "/nonexistent"}).argv[1] == "lab"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DOCKER_STACKS_JUPYTER_CMD" in err


def test_spawned_by_a_hub() -> None:
    env = {
        "JUPYTERHUB_API_TOKEN": "t",
        "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/alice/",
        "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
    }
    cmd = jupyter.command([], env)
    assert cmd.argv == ["jupyterhub-singleuser"]
    assert cmd.api_url == "http://127.0.0.1:8888/user/alice/api"


def test_a_users_command_runs_as_given() -> None:
    cmd = jupyter.command(["python", "script.py"], {"JUPYTERHUB_API_TOKEN": "t"})
    assert cmd.argv == ["python", "script.py"] and cmd.api_url is None


def test_the_images_cmd_starts_jupyter_with_appended_arguments() -> None:
    cmd = jupyter.command(["start-notebook", "--ServerApp.base_url=/x/"], {})
    assert cmd.argv[:2] == ["jupyter", "lab"] and cmd.argv[-1] == "--ServerApp.base_url=/x/"
    hub = jupyter.command(["start-notebook", "--debug"], {"JUPYTERHUB_API_TOKEN": "t"})
    assert hub.argv == ["jupyterhub-singleuser", "--debug"]


@pytest.mark.parametrize("name", ["start-notebook.py", "start-notebook.sh", "/usr/local/bin/start-notebook.py"])
def test_docker_stacks_start_notebook_names(name: str) -> None:
    cmd = jupyter.command([name, "--ServerApp.base_url=/x/"], {})
    assert cmd.argv[:2] == ["jupyter", "lab"] and cmd.argv[-1] == "--ServerApp.base_url=/x/"


@pytest.mark.parametrize("name", ["start-singleuser.py", "start-singleuser.sh"])
def test_start_singleuser_is_always_the_hub_server(name: str) -> None:
    cmd = jupyter.command([name, "--debug"], {"NOTEBOOK_ARGS": "--a"})
    assert cmd.argv == ["jupyterhub-singleuser", "--a", "--debug"]


def test_start_sh_runs_its_command_or_bash() -> None:
    assert jupyter.command(["start.sh", "python", "-V"], {}) == jupyter.Command(["python", "-V"], None)
    assert jupyter.command(["start.sh"], {}) == jupyter.Command(["bash"], None)
    assert jupyter.command(["start.sh", "start-notebook.py"], {}).argv[:2] == ["jupyter", "lab"]


def test_gen_cert_serves_https_with_the_certificate_in_jupyters_data_dir() -> None:
    cmd = jupyter.command([], {"GEN_CERT": "yes", "HOME": "/home/u"})
    assert "--ServerApp.certfile=/home/u/.local/share/jupyter/notebook.pem" in cmd.argv
    assert cmd.api_url == "https://127.0.0.1:8888/api"


def test_make_certificate(tmp_path: Path) -> None:
    env = {"JUPYTER_DATA_DIR": str(tmp_path / "data")}
    jupyter.make_certificate(env)
    pem = tmp_path / "data" / "notebook.pem"
    assert "BEGIN CERTIFICATE" in pem.read_text() and "PRIVATE KEY" in pem.read_text()
    assert pem.stat().st_mode & 0o777 == 0o600


def test_the_users_port_and_ip_replace_ours() -> None:
    cmd = jupyter.command(["start-notebook", "--ip", "127.0.0.1"], {"NOTEBOOK_ARGS": "--ServerApp.port=9999"})
    assert cmd.argv[2:] == ["--ServerApp.open_browser=False", "--ServerApp.port=9999", "--ip", "127.0.0.1"]


def test_resource_limits_are_the_containers_unless_the_user_set_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jupyter.resources, "memory_bytes", lambda: 1024**3)
    monkeypatch.setattr(jupyter.resources, "cpu_share", lambda: 1.5)
    env: dict[str, str] = {}
    jupyter.resource_limits(env)
    assert env == {"MEM_LIMIT": "1073741824", "CPU_LIMIT": "1.5"}
    theirs = {"MEM_LIMIT": "2000000000", "CPU_LIMIT": "4"}
    jupyter.resource_limits(theirs)
    assert theirs == {"MEM_LIMIT": "2000000000", "CPU_LIMIT": "4"}


def test_dask_dashboard_link_is_under_the_hubs_prefix_unless_the_user_set_one() -> None:
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ana/"}
    jupyter.dask_dashboard_link(env)
    assert env["DASK_DISTRIBUTED__DASHBOARD__LINK"] == "/user/ana/proxy/{port}/status"
    alone: dict[str, str] = {}
    jupyter.dask_dashboard_link(alone)
    assert alone == {}  # dask.yaml's /proxy/{port}/status
    theirs = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ana/", "DASK_DISTRIBUTED__DASHBOARD__LINK": "https://x/{port}"}
    jupyter.dask_dashboard_link(theirs)
    assert theirs["DASK_DISTRIBUTED__DASHBOARD__LINK"] == "https://x/{port}"


def test_a_certificate_openssl_could_not_make_leaves_no_file(tmp_path: Path) -> None:
    # GEN_CERT makes its file once: a half-written one would stay for good.
    with pytest.raises(OSError, match="subject"):
        selfsigned.make(tmp_path / "notebook.pem", "no-slash-subject", days=1)
    assert list(tmp_path.iterdir()) == []

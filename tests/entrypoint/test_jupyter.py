"""The command to exec."""

import pytest
from htc_entrypoint import jupyter


def test_default_is_jupyterlab_on_all_interfaces() -> None:
    cmd = jupyter.command([], {})
    assert cmd.argv[:2] == ["jupyter", "lab"]
    assert "--ServerApp.ip=0.0.0.0" in cmd.argv
    assert "--ServerApp.port=8888" in cmd.argv
    assert cmd.api_url == "http://127.0.0.1:8888/api"


def test_port_cmd_and_args_as_docker_stacks() -> None:
    env = {
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


def test_unknown_jupyter_cmd_uses_lab(capsys: pytest.CaptureFixture[str]) -> None:
    assert jupyter.command([], {"DOCKER_STACKS_JUPYTER_CMD": "rm -rf"}).argv[1] == "lab"
    assert "DOCKER_STACKS_JUPYTER_CMD" in capsys.readouterr().err


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

"""Bad input: one clear line naming the variable, nothing run that was not asked for, and Jupyter serves."""

import pytest

from tests.containers import Containers

CASES = {
    "empty-schedd": ({"_CONDOR_SCHEDD_HOST": ""}, (), "_CONDOR_SCHEDD_HOST is empty"),
    "garbage-schedd": (
        {"_CONDOR_SCHEDD_HOST": "my schedd \"quoted\" 'here'; touch /tmp/pwned"},
        (),
        "is not a host name",
    ),
    "num-cpus": ({"_CONDOR_NUM_CPUS": "abc"}, (), "_CONDOR_NUM_CPUS='abc' is not a whole number"),
    "port": ({"JUPYTER_PORT": "notaport"}, (), "JUPYTER_PORT='notaport' is not a port number"),
    "full-state-disk": (
        {},
        ("--mount", "type=tmpfs,destination=/home/jovyan/.condor/state,tmpfs-size=1m,tmpfs-mode=1777"),
        "has 1 MB free",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_one_line_and_jupyter_serves(containers: Containers, case: str) -> None:
    env, options, message = CASES[case]
    box = containers.start(env=env, options=options, wait="jupyter")
    errors = [line for line in box.logs().splitlines() if "ERROR" in line]
    assert len(errors) == 1 and message in errors[0], box.logs()
    assert box.http_status("/api/contents") == 403
    assert box.exec("test", "-e", "/tmp/pwned", check=False).returncode == 1


def test_an_unresolvable_schedd_is_named_and_jupyter_serves(containers: Containers) -> None:
    env = {"_CONDOR_SCHEDD_HOST": "no-such-host.invalid", "_CONDOR_COLLECTOR_HOST": "no-such-host.invalid"}
    box = containers.start(env=env, wait="jupyter")
    box.wait_for_log("does not answer")
    assert "collector 'no-such-host.invalid' does not answer" in box.logs()
    assert box.http_status("/api/contents") == 403


def test_notebook_args_are_never_run_by_a_shell(containers: Containers) -> None:
    url = "http://h/$(touch /tmp/pwned)`touch /tmp/pwned`;touch /tmp/pwned|true"
    box = containers.start(
        env={"NOTEBOOK_ARGS": f"--ServerApp.base_url=/x/ --ServerApp.custom_display_url='{url}'"}, wait=None
    )
    box.wait_for(lambda: box.http_status("/x/api") == 200, "Jupyter under /x/")
    assert url in box.logs()  # handed to Jupyter as one literal argument
    assert box.exec("test", "-e", "/tmp/pwned", check=False).returncode == 1

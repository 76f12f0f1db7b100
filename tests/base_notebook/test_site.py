"""Site mode: the notebook on a multi-node pool through the site's schedd, with IDTOKENS."""

import pytest

from tests.containers import Container, Containers
from tests.site_pool import EXECUTE_NODES, SCHEDD, Site

HOSTNAMES = "import htmap, socket\nprint(sorted(set(htmap.map(lambda _: socket.gethostname(), range(20)))))"


@pytest.fixture(scope="module")
def notebook(site: Site, module_containers: Containers) -> Container:
    """A notebook joined to the site as an admin would set it up."""
    return site.start_notebook(module_containers)


def test_map_runs_on_the_execute_nodes(notebook: Container) -> None:
    notebook.wait_for_log(f"and schedd '{SCHEDD}' answer")
    assert notebook.python(HOSTNAMES).splitlines()[-1] == str(sorted(EXECUTE_NODES))


def test_condor_q_shows_the_site_queue_and_no_daemon_runs_here(notebook: Container) -> None:
    assert f"-- Schedd: {SCHEDD} :" in notebook.exec("condor_q").stdout
    assert [name for _, name in notebook.processes() if name.startswith("condor_")] == []
    assert f"remote mode: collector 'cm' and schedd '{SCHEDD}' answer" in notebook.logs()


def test_token_file_is_private(notebook: Container) -> None:
    token = notebook.host.file("/home/jovyan/.condor/tokens.d/htc-notebook.token")
    assert token.mode == 0o600 and token.user == "jovyan"


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"HTC_CONDOR_TOKEN": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqb3Z5YW5Ac2l0ZSJ9.bm90LXNpZ25lZA"},
            "refused this user's credentials",
        ),
        ({"HTC_CONDOR_TOKEN": ""}, "requires a token"),
        ({"_CONDOR_SCHEDD_HOST": "nosuch@submit"}, "schedd 'nosuch@submit' does not answer"),
    ],
    ids=["wrong-token", "missing-token", "unreachable-schedd"],
)
def test_bad_site_setup_is_one_clear_line(site: Site, containers: Containers, env: dict[str, str], line: str) -> None:
    # Its own (empty) home: the shared one already holds the good token.
    box = containers.start(env=site.notebook_env(**env), options=("--network", site.network), wait="jupyter")
    box.wait_for_log(line, timeout=60)
    assert len([text for text in box.logs().splitlines() if line in text]) == 1
    assert box.http_status("/api") == 200

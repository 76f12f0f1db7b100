"""Dask at a site: the DASK_* variables for HTCondorCluster(), the TLS key, and when there are none."""

import ast
import ssl
from pathlib import Path

import pytest
from htc_entrypoint import dask_site

# /proc/net/route: a container on a site's network (its default route on eth0) and a second one.
ROUTES = """Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth1	0000A8C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
eth0	00000000	0100120A	0003	0	0	0	00000000	0	0	0
eth0	0000120A	00000000	0001	0	0	0	0000FFFF	0	0	0
"""
IMAGE = {"HTC_NOTEBOOK_IMAGE": "htcondor/htc-scipy-notebook:0123456789ab"}


@pytest.fixture
def dask_image(tmp_path: Path) -> tuple[Path, Path]:
    """An image with Dask's settings (scipy's), and its routing table."""
    config = tmp_path / "htc-notebook.yaml"
    config.write_text("jobqueue: {}\n")
    routes = tmp_path / "route"
    routes.write_text(ROUTES)
    return config, routes


def test_the_scheduler_listens_where_the_default_route_goes(tmp_path: Path) -> None:
    routes = tmp_path / "route"
    routes.write_text(ROUTES)
    assert dask_site.site_interface(routes) == "eth0"
    routes.write_text(ROUTES.splitlines()[0] + "\neth1\t0000A8C0\t00000000\t0001\n")  # no default route
    assert dask_site.site_interface(routes) == "eth1"
    routes.write_text(ROUTES.splitlines()[0] + "\n")  # the loopback only (--network none)
    assert dask_site.site_interface(routes) is None
    assert dask_site.site_interface(tmp_path / "missing") is None


def test_cluster_workers_are_site_jobs_in_the_notebooks_image_over_tls(
    tmp_path: Path, dask_image: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"HOME": str(tmp_path / "home"), **IMAGE}
    dask_site.configure(env, *dask_image)
    pem = tmp_path / "home/.config/dask/htc-site-tls.pem"
    assert pem.stat().st_mode & 0o777 == 0o600
    # One file: the CA that verifies every role, and the certificate and key each presents.
    context = ssl.create_default_context(cafile=str(pem))
    context.load_cert_chain(str(pem))
    assert env["DASK_JOBQUEUE__HTCONDOR__SCHEDULER_OPTIONS__INTERFACE"] == "eth0"
    assert env["DASK_JOBQUEUE__HTCONDOR__SCHEDULER_OPTIONS__PROTOCOL"] == "tls"
    assert ast.literal_eval(env["DASK_JOBQUEUE__HTCONDOR__INTERFACE"]) is None  # workers: their node's address
    assert {env[f"DASK_DISTRIBUTED__COMM__TLS__{name}"] for name in ("CA_FILE", "CLIENT__KEY", "SCHEDULER__CERT")} == {
        str(pem)
    }
    directives = "DASK_JOBQUEUE__HTCONDOR__JOB_EXTRA_DIRECTIVES__"
    assert env[directives + "TRANSFER_INPUT_FILES"] == str(pem)
    assert env[directives + "CONTAINER_IMAGE"] == "docker://htcondor/htc-scipy-notebook:0123456789ab"
    [prologue] = ast.literal_eval(env["DASK_JOBQUEUE__HTCONDOR__JOB_SCRIPT_PROLOGUE"])
    assert "DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY=$_CONDOR_SCRATCH_DIR/htc-site-tls.pem" in prologue.split()
    line = capsys.readouterr().err
    assert f"HTCondorCluster() schedules on eth0 over TLS ({pem}), workers in docker://htcondor/" in line
    assert len(line.splitlines()) == 1


def test_the_users_own_variables_win_and_a_shared_site_needs_no_image(
    tmp_path: Path, dask_image: tuple[Path, Path]
) -> None:
    env = {
        "HOME": str(tmp_path),
        "HTMAP_DELIVERY_METHOD": "shared",
        "DASK_JOBQUEUE__HTCONDOR__SCHEDULER_OPTIONS__INTERFACE": "ib0",
        **IMAGE,
    }
    dask_site.configure(env, *dask_image)
    assert env["DASK_JOBQUEUE__HTCONDOR__SCHEDULER_OPTIONS__INTERFACE"] == "ib0"
    assert "DASK_JOBQUEUE__HTCONDOR__JOB_EXTRA_DIRECTIVES__CONTAINER_IMAGE" not in env


def test_nothing_without_dask_and_one_line_when_no_key_can_be_made(
    tmp_path: Path, dask_image: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"HOME": str(tmp_path), **IMAGE}
    dask_site.configure(env, tmp_path / "no-dask.yaml", dask_image[1])
    assert env == {"HOME": str(tmp_path), **IMAGE} and capsys.readouterr().err == ""
    (tmp_path / ".config").write_text("")  # not a folder
    dask_site.configure(env, *dask_image)
    assert not [name for name in env if name.startswith("DASK_")]
    [line] = capsys.readouterr().err.splitlines()
    assert "Dask at the site: cannot make" in line and "fix that and restart" in line

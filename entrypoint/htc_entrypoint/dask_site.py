"""Dask at a site: HTCondorCluster()'s workers as the site's jobs, in the notebook's image, over TLS.

scipy-notebook/dask.yaml is the personal pool's: scheduler and workers on the loopback interface
and the notebook's own file system. At a site (remote and access-point modes) workers run on
execute nodes that share nothing with the notebook, so Jupyter and its kernels get, as DASK_*
variables (the user's own DASK_* variables and HTCondorCluster's arguments win):
- the scheduler on the interface of the container's default route, the one the site reaches (its
  dashboard stays on the loopback interface, behind Jupyter's proxy); workers where their node is;
- TLS both ways, with a key made at each start: a scheduler runs whatever code it is sent, and
  here it listens beyond the container. HTCondor's file transfer puts the key in each worker
  job's sandbox, as any input;
- workers in the notebook's image, as HTMap's jobs at a site (none where the site's nodes share
  the notebook's environment: HTMAP_DELIVERY_METHOD=shared).
"""

from collections.abc import Mapping
from pathlib import Path

from . import job_image, log, selfsigned

# The image's Dask settings: scipy-notebook's and the images built on it; elsewhere no Dask.
IMAGE_CONFIG = Path("/etc/dask/htc-notebook.yaml")
ROUTES = Path("/proc/net/route")
# Key and self-signed certificate in one file: the CA, and every role's certificate and key.
TLS_FILE = ".config/dask/htc-site-tls.pem"
# An elliptic-curve key: made in about 10 ms here, an RSA key of 2048 bits in 0.15 to 0.8 s.
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
# The same file in a worker job's sandbox, where the job's shell expands it.
SANDBOX_TLS = "$_CONDOR_SCRATCH_DIR/htc-site-tls.pem"


def site_interface(routes: Path = ROUTES) -> str | None:
    """The interface of the default route, else the first routed one but the loopback."""
    try:
        rows = [line.split() for line in routes.read_text().splitlines()[1:]]
    except OSError:
        return None
    routed = [row for row in rows if len(row) > 1 and row[0] != "lo"]
    default = [row[0] for row in routed if row[1] == "00000000"]
    return next(iter(default or [row[0] for row in routed]), None)


def worker_image(env: Mapping[str, str]) -> str:
    """The workers' `container_image`: HTMap's at a site, none where nodes share the notebook's Python."""
    if env.get("HTMAP_DELIVERY_METHOD", "").strip() == "shared":
        return ""
    return job_image.container_image(env)


def settings(interface: str, pem: Path, image: str) -> dict[str, str]:
    """The DASK_* variables (Dask parses their values as Python literals, else as strings)."""
    tls = "DASK_DISTRIBUTED__COMM__TLS__"
    sandbox = [f"{tls}{name}={SANDBOX_TLS}" for name in ("CA_FILE", "WORKER__CERT", "WORKER__KEY")]
    directives = {"SHOULD_TRANSFER_FILES": "YES", "TRANSFER_INPUT_FILES": str(pem)}
    if image:
        directives["CONTAINER_IMAGE"] = image
    return {
        "DASK_JOBQUEUE__HTCONDOR__INTERFACE": "None",
        "DASK_JOBQUEUE__HTCONDOR__SCHEDULER_OPTIONS__INTERFACE": interface,
        "DASK_JOBQUEUE__HTCONDOR__SCHEDULER_OPTIONS__PROTOCOL": "tls",
        "DASK_JOBQUEUE__HTCONDOR__JOB_SCRIPT_PROLOGUE": repr([f"export {' '.join(sandbox)}"]),
        **{f"DASK_JOBQUEUE__HTCONDOR__JOB_EXTRA_DIRECTIVES__{name}": value for name, value in directives.items()},
        f"{tls}CA_FILE": str(pem),
        **{f"{tls}{role}__{part}": str(pem) for role in ("SCHEDULER", "CLIENT") for part in ("CERT", "KEY")},
    }


def configure(env: dict[str, str], image_config: Path = IMAGE_CONFIG, routes: Path = ROUTES) -> None:
    """Set HTCondorCluster() up for the site, with one line; nothing where the image has no Dask."""
    if not image_config.exists():
        return
    interface = site_interface(routes)
    if interface is None:
        log.warn("Dask at the site: no network interface but the loopback: HTCondorCluster()'s workers cannot reach it")
        return
    pem = Path(env.get("HOME") or Path.home()) / TLS_FILE
    try:
        selfsigned.make(pem, "/O=generated/CN=htc-notebook-dask", days=3650, key=EC_KEY)
    except OSError as exc:
        problem = f"cannot make {pem} ({exc.strerror})"
        log.warn(f"Dask at the site: {problem}: HTCondorCluster() keeps the personal pool's; fix that and restart")
        return
    image = worker_image(env)
    for name, value in settings(interface, pem, image).items():
        env.setdefault(name, value)
    where = f"in {image}" if image else "in the nodes' own /opt/venv"
    log.info(f"Dask at the site: HTCondorCluster() schedules on {interface} over TLS ({pem}), workers {where}")

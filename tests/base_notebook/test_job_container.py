"""The image as a job's container, and HTMap's container delivery into the notebook's own image.

A site's execute node (Apptainer or Docker, nothing of ours) starts the image with the job's
command: the entrypoint gets out of the way. HTMap at a site names the image it runs in.
"""

import json
from pathlib import Path

from tests.containers import Container, Containers

# What HTCondor gives a job's container: the job ad's path, the scratch directory as the
# working directory (Docker's universe mounts it; Apptainer binds it).
JOB = (
    *("-e", "_CONDOR_JOB_AD=/srv/.job.ad", "-e", "_CONDOR_SCRATCH_DIR=/srv", "-w", "/srv"),
    # Apptainer's usual run: a read-only image, any uid, no passwd entry, no writable home.
    *("--read-only", "--user", "12345:12345"),
)
WHERE = (
    "import os, sys, cloudpickle, htcondor2\n"
    "home = os.environ['HOME']\n"
    "print(sys.executable, os.getcwd(), home, os.access(home, os.W_OK))\n"
    "sys.exit(3)"
)


def test_the_image_runs_a_jobs_command_at_once_and_silently(containers: Containers, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir(mode=0o777)
    scratch.chmod(0o777)
    done = containers.run("python", "-c", WHERE, options=(*JOB, "-v", f"{scratch}:/srv"), timeout=60)
    assert (done.returncode, done.stderr) == (3, ""), done.stderr
    assert done.stdout == "/opt/venv/bin/python /srv /srv True\n"


CONTAINER_DELIVERY = """
import json, cloudpickle, htcondor2, htmap

def double(x):
    return 2 * x

out = {key: htmap.settings[key] for key in ("DELIVERY_METHOD", "CONTAINER.IMAGE", "DOCKER.IMAGE", "SINGULARITY.IMAGE")}
htmap.settings["DELIVERY_METHOD"] = "container"
# The personal pool has no container runtime: the job waits, and its ad shows what a site gets.
m = htmap.map(double, range(2), tag=T + "-container")
keys = ["WantContainer", "ContainerImage", "Cmd", "Arguments"]
ads = htcondor2.Schedd().query(f'JobBatchName == "{T}-container"', projection=keys)
out["ads"] = [{key: str(ad.get(key)) for key in keys} for ad in ads]
m.remove()
# The same job without its container runs here: the run script, started by the image's Python.
container = htmap.options.BASE_OPTIONS_FUNCTION_BY_DELIVERY["container"]
here = lambda tag, folder: {k: v for k, v in container(tag, folder).items() if k not in ("universe", "container_image")}
htmap.options.register_delivery_method("container-here", here)
htmap.settings["DELIVERY_METHOD"] = "container-here"
out["results"] = list(htmap.map(double, range(3), tag=T + "-vanilla"))
cloudpickle.__version__ = "0.0.1"  # as if the notebook's cloudpickle were another than the job image's
bad = htmap.map(double, [1], tag=T + "-mismatch")
out["mismatch"] = bad.get_err(0, timeout=120).exception_msg
print(json.dumps(out))
"""


def test_htmap_runs_components_in_the_notebooks_own_image(container: Container, own_image_only: None) -> None:
    own = container.exec("printenv", "HTC_NOTEBOOK_IMAGE").stdout.strip()
    lines = container.map_script(f"T = 'delivery'\n{CONTAINER_DELIVERY}", timeout=300)
    out = json.loads(lines[-1])
    assert out["DELIVERY_METHOD"] == "shared"  # beside the personal pool; a site's default: test_site
    assert out["CONTAINER.IMAGE"] == out["SINGULARITY.IMAGE"] == f"docker://{own}"
    assert out["DOCKER.IMAGE"] == own
    assert [ad["WantContainer"] for ad in out["ads"]] == ["True", "True"]  # the container universe
    assert {ad["ContainerImage"] for ad in out["ads"]} == {f"docker://{own}"}
    assert {ad["Cmd"] for ad in out["ads"]} == {"/opt/venv/bin/python"}
    assert out["results"] == [0, 2, 4]
    python = container.python("import platform; print(platform.python_version())").strip()
    assert out["mismatch"].count("\n") == 0 and f"Python {python}" in out["mismatch"], out["mismatch"]
    assert "cloudpickle 0.0.1" in out["mismatch"] and "HTC_JOB_IMAGE" in out["mismatch"]


def test_a_site_notebook_delivers_in_its_own_image(containers: Containers) -> None:
    """Remote mode's default delivery is the container; a site's one variable names another image."""
    code = "import htmap; print(htmap.settings['DELIVERY_METHOD'], htmap.settings['CONTAINER.IMAGE'])"
    sif = "/cvmfs/example.org/htc-base-notebook.sif"
    env = ("-e", "_CONDOR_SCHEDD_HOST=submit.example.org", "-e", f"HTC_JOB_IMAGE={sif}")
    done = containers.run("python", "-c", code, options=env, timeout=60)
    assert done.stdout.split() == ["container", sif], done.stderr

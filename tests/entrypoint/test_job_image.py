"""Where a notebook's jobs run: the image and HTMap's default delivery."""

from htc_entrypoint import job_image

OWN = {"HTC_NOTEBOOK_IMAGE": "htcondor/htc-scipy-notebook:0123456789ab"}


def test_jobs_run_in_the_notebooks_own_image() -> None:
    assert job_image.container_image(OWN) == "docker://htcondor/htc-scipy-notebook:0123456789ab"
    assert job_image.docker_image(OWN) == "htcondor/htc-scipy-notebook:0123456789ab"


def test_a_site_points_jobs_elsewhere_with_one_variable() -> None:
    sif = "/cvmfs/singularity.opensciencegrid.org/htcondor/htc-scipy-notebook:0123456789ab"
    assert job_image.container_image({**OWN, "HTC_JOB_IMAGE": sif}) == sif
    mirror = {**OWN, "HTC_JOB_IMAGE": "docker://mirror.example.org/htc-scipy-notebook@sha256:00"}
    assert job_image.docker_image(mirror) == "mirror.example.org/htc-scipy-notebook@sha256:00"


def test_shared_beside_the_personal_pool_container_at_a_site() -> None:
    assert job_image.delivery(OWN) == "shared"
    assert job_image.delivery({**OWN, "_CONDOR_SCHEDD_HOST": "submit.example.org"}) == "container"

"""Where a notebook's jobs run: HTMap's delivery by mode, and the image of its container delivery.

Read by HTMap's settings (base-notebook/patch-htmap) in the notebook's kernels and terminals.
"""

from collections.abc import Mapping

from . import mode

# The image's own name, set by its build (ORG/htc-NAME:COMMIT).
OWN = "HTC_NOTEBOOK_IMAGE"
# A site's choice instead: a mirror (docker://mirror/...), a .sif on CVMFS, an osdf:// URL.
SITE = "HTC_JOB_IMAGE"


def container_image(env: Mapping[str, str]) -> str:
    """`container_image` for jobs: HTC_JOB_IMAGE as given, else this image from its registry."""
    site = env.get(SITE, "").strip()
    if site:
        return site
    own = env.get(OWN, "").strip()
    return f"docker://{own}" if own else ""


def docker_image(env: Mapping[str, str]) -> str:
    """`docker_image` for HTMap's docker delivery: the same image, without the URL scheme."""
    return container_image(env).removeprefix("docker://")


def delivery(env: Mapping[str, str]) -> str:
    """HTMap's delivery unless set: `shared` beside the personal pool, `container` at a site.

    `shared` runs the notebook's own Python (the fastest); `container` the notebook's image on
    the site's execute nodes, which share nothing with the notebook.
    """
    return "shared" if mode.decide(env).personal else "container"

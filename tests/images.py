"""The image family, in one table: each image's parent. An image's tests run on its descendants too.

Run as a script: with no argument, print every image, parents first; with an image, print its
lineage (root first), as the Makefile builds it.
"""

import re
import sys
from pathlib import Path

PARENT: dict[str, str | None] = {
    "base-notebook": None,
    "minimal-notebook": "base-notebook",
    "scipy-notebook": "minimal-notebook",
    "tensorflow-notebook": "scipy-notebook",
    "pytorch-notebook": "scipy-notebook",
    "r-notebook": "minimal-notebook",
    "pyspark-notebook": "scipy-notebook",
    "datascience-notebook": "scipy-notebook",
}


def version(name: str) -> str:
    """A version from docker-bake.hcl, the one place that holds them (e.g. CONDOR_VERSION)."""
    bake = (Path(__file__).parents[1] / "docker-bake.hcl").read_text()
    found = re.search(rf'variable "{name}" {{ default = "([^"]+)" }}', bake)
    assert found, name
    return found.group(1)


def lineage(image: str) -> list[str]:
    """The image and its ancestors, root first."""
    if image not in PARENT:
        raise SystemExit(f"unknown image {image!r}: one of {', '.join(PARENT)}")
    chain = []
    current: str | None = image
    while current is not None:
        chain.append(current)
        current = PARENT[current]
    return chain[::-1]


def ordered() -> list[str]:
    """Every image, each after its parent."""
    return sorted(PARENT, key=lambda name: len(lineage(name)))


if __name__ == "__main__":
    print(" ".join(lineage(sys.argv[1]) if len(sys.argv) > 1 else ordered()))

"""Host-side unit tests of the entrypoint: fake condor binaries, no Docker."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "entrypoint"))

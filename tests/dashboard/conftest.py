"""Host-side unit tests of the dashboard's data layer and the cell's map view: no HTCondor."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "dashboard"))

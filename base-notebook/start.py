#!/usr/bin/env python
"""jupyter/docker-stacks' start-notebook.py and start-singleuser.py (links to this): the image's start-up."""

import sys
from pathlib import Path

from htc_entrypoint.__main__ import main

main([Path(sys.argv[0]).name, *sys.argv[1:]])

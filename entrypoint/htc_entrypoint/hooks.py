"""An admin's start-up hooks, run by run-hooks.sh as jupyter/docker-stacks runs them.

One implementation: bash sources base-notebook/run-hooks.sh (in name order, `*.sh` sourced,
other executables run, the rest skipped; a failing hook is one line and the rest run), and
the environment it leaves, the sourced hooks' exports, is the start-up's from then on.
"""

import subprocess
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from . import log

RUN_HOOKS = Path("/usr/local/bin/run-hooks.sh")
START_NOTEBOOK = Path("/usr/local/bin/start-notebook.d")
BEFORE_NOTEBOOK = Path("/usr/local/bin/before-notebook.d")
# Whatever ends the shell (a sourced hook's `exit` too), the environment is written, NUL-separated.
SOURCE = '_htc_out=$2; trap \'env -0 > "$_htc_out"\' EXIT; source "$0" "$1"'
NOT_EXPORTED = ("SHLVL", "_", "PWD", "OLDPWD")


def run(directory: Path, env: MutableMapping[str, str]) -> None:
    """Run every hook in `directory`; take the environment they export."""
    if not directory.is_dir():
        return
    with tempfile.NamedTemporaryFile(prefix="htc-hooks-") as out:
        argv = ["bash", "-c", SOURCE, str(RUN_HOOKS), str(directory), out.name]
        code = subprocess.run(argv, env=env, check=False).returncode
        exported = Path(out.name).read_bytes()
    if code:
        log.error(f"a hook in {directory} ended the shell (exit code {code}): its later hooks did not run")
    if exported:
        after = dict(item.split("=", 1) for item in exported.decode(errors="replace").split("\0") if "=" in item)
        for name in NOT_EXPORTED:
            after.pop(name, None)
        for name in set(env) - set(after):
            del env[name]
        env.update(after)

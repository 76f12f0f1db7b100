"""An admin's start-up hooks, as jupyter/docker-stacks runs them.

In name order: `*.sh` files are sourced (what they export reaches the command),
other executable files run, anything else is skipped. A failing hook is named
and the start-up goes on.
"""

import os
import subprocess
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from . import log

START_NOTEBOOK = Path("/usr/local/bin/start-notebook.d")
BEFORE_NOTEBOOK = Path("/usr/local/bin/before-notebook.d")
# Source the hook in bash, then write the environment it leaves, NUL-separated.
SOURCE = 'source "$1"; rc=$?; env -0 > "$2"; exit "$rc"'


def source(hook: Path, env: MutableMapping[str, str]) -> int:
    """Source a shell hook; take the environment it exports. Its exit code."""
    with tempfile.NamedTemporaryFile(prefix="htc-hook-") as out:
        code = subprocess.run(["bash", "-c", SOURCE, "hook", str(hook), out.name], env=env, check=False).returncode
        exported = Path(out.name).read_bytes()
    if exported:
        after = dict(item.split("=", 1) for item in exported.decode(errors="replace").split("\0") if "=" in item)
        for name in ("SHLVL", "_", "PWD", "OLDPWD"):
            after.pop(name, None)
        for name in set(env) - set(after):
            del env[name]
        env.update(after)
    return code


def run(directory: Path, env: MutableMapping[str, str]) -> None:
    """Run every hook in `directory`, one line each."""
    if not directory.is_dir():
        return
    for hook in sorted(directory.iterdir()):
        if hook.name.endswith(".sh"):
            how, code = "sourced", source(hook, env)
        elif hook.is_file() and os.access(hook, os.X_OK):
            try:
                how, code = "ran", subprocess.run([str(hook)], env=env, check=False).returncode
            except OSError as exc:
                log.error(f"hook {hook} cannot run ({exc.strerror}): start-up goes on")
                continue
        else:
            log.info(f"hook {hook}: skipped (neither *.sh nor executable)")
            continue
        if code:
            log.error(f"hook {hook} failed (exit code {code}): start-up goes on")
        else:
            log.info(f"hook {hook}: {how} as uid {os.getuid()}")

"""Start-up hooks, run by run-hooks.sh as docker-stacks runs them: *.sh sourced, executables run, in name order."""

import os
import re
from pathlib import Path

import pytest
from htc_entrypoint import hooks

# A log line without its level and time.
STAMP = re.compile(r"^(INFO|WARNING|ERROR|FATAL)\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] ")


def hook(folder: Path, name: str, text: str, mode: int = 0o755) -> None:
    (folder / name).write_text(text)
    (folder / name).chmod(mode)


def messages(err: str) -> list[str]:
    """Each log line as LEVEL message (bash's own complaints left out)."""
    return [STAMP.sub(lambda m: m[1] + " ", line) for line in err.splitlines() if STAMP.match(line)]


def test_sourced_exports_reach_the_command_and_executables_run_in_name_order(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "trail"
    hook(tmp_path, "20-run", f"#!/bin/sh\necho run:$FROM_HOOK >> {trail}\n")
    hook(tmp_path, "10-env.sh", f"export FROM_HOOK=set\nunset GONE\necho sourced >> {trail}\n", mode=0o644)
    hook(tmp_path, "30-notes.txt", "not a hook", mode=0o644)
    env = {"PATH": os.environ["PATH"], "GONE": "x", "KEPT": "y"}
    hooks.run(tmp_path, env)
    assert trail.read_text().split() == ["sourced", "run:set"]
    assert env["FROM_HOOK"] == "set" and "GONE" not in env and env["KEPT"] == "y"
    # run-hooks.sh's own helpers stay out of the environment.
    assert not [name for name in env if name.startswith("_h")]
    assert messages(capfd.readouterr().err) == [
        f"INFO Running hooks in: {tmp_path} as uid: {os.getuid()} gid: {os.getgid()}",
        f"INFO Sourcing shell script: {tmp_path}/10-env.sh",
        f"INFO Running executable: {tmp_path}/20-run",
        f"INFO Ignoring non-executable: {tmp_path}/30-notes.txt",
        f"INFO Done running hooks in: {tmp_path}",
    ]


def test_a_failing_hook_is_named_in_one_line_and_the_rest_run(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    hook(tmp_path, "10-fails.sh", "export HALF=done\nfalse\n")
    hook(tmp_path, "20-fails", "#!/bin/sh\nexit 3\n")
    hook(tmp_path, "25-bad-interpreter", "#!/no/such/shell\n")
    hook(tmp_path, "40-ok.sh", "export LAST=yes\n")
    env = {"PATH": os.environ["PATH"]}
    hooks.run(tmp_path, env)
    errors = [line for line in messages(capfd.readouterr().err) if line.startswith("ERROR")]
    assert errors == [
        f"ERROR {tmp_path}/10-fails.sh has failed, continuing execution (exit code 1)",
        f"ERROR {tmp_path}/20-fails has failed, continuing execution (exit code 3)",
        f"ERROR {tmp_path}/25-bad-interpreter has failed, continuing execution (exit code 127)",
    ]
    assert env["HALF"] == "done" and env["LAST"] == "yes"


def test_a_sourced_hook_that_exits_keeps_its_exports_and_is_one_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    hook(tmp_path, "10-exits.sh", "export BEFORE=yes\nexit 4\n")
    hook(tmp_path, "20-never.sh", "export AFTER=yes\n")
    env = {"PATH": os.environ["PATH"]}
    hooks.run(tmp_path, env)
    assert env["BEFORE"] == "yes" and "AFTER" not in env
    errors = [line for line in messages(capfd.readouterr().err) if line.startswith("ERROR")]
    assert errors == [f"ERROR a hook in {tmp_path} ended the shell (exit code 4): its later hooks did not run"]


def test_hooks_log_through_docker_stacks_functions_and_quiet_hides_info(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    hook(tmp_path, "10-log.sh", '_log_info "from a hook"; _log_warn "careful"\n', mode=0o644)
    hook(tmp_path, "20-log", '#!/bin/bash\nsource "$(dirname "$0")/../log.sh"\n_log_error run\n')
    (tmp_path.parent / "log.sh").write_text(f"source {hooks.RUN_HOOKS.parent / '_docker_stacks_log.sh'}\n")
    env = {"PATH": os.environ["PATH"], "JUPYTER_DOCKER_STACKS_QUIET": "1"}
    hooks.run(tmp_path, env)
    assert messages(capfd.readouterr().err) == ["WARNING careful", "ERROR run"]
    del env["JUPYTER_DOCKER_STACKS_QUIET"]
    hooks.run(tmp_path, env)
    assert "INFO from a hook" in messages(capfd.readouterr().err)


def test_no_directory_no_lines(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    hooks.run(tmp_path / "missing", {})
    assert capfd.readouterr().err == ""

"""Start-up hooks, as docker-stacks runs them: *.sh sourced, executables run, in name order."""

import os
from pathlib import Path

import pytest
from htc_entrypoint import hooks


def hook(folder: Path, name: str, text: str, mode: int = 0o755) -> None:
    (folder / name).write_text(text)
    (folder / name).chmod(mode)


def test_sourced_exports_reach_the_command_and_executables_run_in_name_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "trail"
    hook(tmp_path, "20-run", f"#!/bin/sh\necho run:$FROM_HOOK >> {trail}\n")
    hook(tmp_path, "10-env.sh", f"export FROM_HOOK=set\nunset GONE\necho sourced >> {trail}\n", mode=0o644)
    hook(tmp_path, "30-notes.txt", "not a hook", mode=0o644)
    env = {"PATH": os.environ["PATH"], "GONE": "x", "KEPT": "y"}
    hooks.run(tmp_path, env)
    assert trail.read_text().split() == ["sourced", "run:set"]
    assert env["FROM_HOOK"] == "set" and "GONE" not in env and env["KEPT"] == "y"
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert "10-env.sh: sourced" in lines[0] and "20-run: ran" in lines[1] and "30-notes.txt: skipped" in lines[2]


def test_a_failing_hook_is_named_in_one_line_and_the_rest_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook(tmp_path, "10-fails.sh", "export HALF=done\nfalse\n")
    hook(tmp_path, "20-fails", "#!/bin/sh\nexit 3\n")
    hook(tmp_path, "30-exits.sh", "exit 4\n")
    hook(tmp_path, "40-ok.sh", "export LAST=yes\n")
    env = {"PATH": os.environ["PATH"]}
    hooks.run(tmp_path, env)
    errors = [line for line in capsys.readouterr().err.splitlines() if "ERROR" in line]
    assert [line.split()[3] for line in errors] == [
        str(tmp_path / n) for n in ("10-fails.sh", "20-fails", "30-exits.sh")
    ]
    assert "exit code 3" in errors[1]
    assert env["HALF"] == "done" and env["LAST"] == "yes"


def test_no_directory_no_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hooks.run(tmp_path / "missing", {})
    assert capsys.readouterr().err == ""

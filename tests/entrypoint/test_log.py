"""The start-up's log lines: docker-stacks' format, colour only on a terminal, NO_COLOR, quiet mode."""

import re
import sys

import pytest
from htc_entrypoint import log

LINE = re.compile(r"^WARNING\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] careful$")


def test_format_on_stderr_without_colour_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    log.warn("careful")
    out, err = capsys.readouterr()
    assert out == "" and LINE.match(err.rstrip("\n")), err


@pytest.mark.parametrize("no_color", ["", "1"])
def test_colour_on_a_terminal_unless_no_color(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_color: str
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", no_color)
    log.warn("careful")
    log.info("plain")
    warning, info = capsys.readouterr().err.splitlines()
    if no_color:
        assert LINE.match(warning), warning
    else:
        assert warning.startswith("\033[0;33mWARNING[") and warning.endswith("careful\033[0m"), repr(warning)
    # INFO is never coloured, as docker-stacks'.
    assert info.startswith("INFO[") and info.endswith("] plain"), repr(info)


def test_quiet_mode_hides_info_only(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JUPYTER_DOCKER_STACKS_QUIET", "1")
    log.info("hidden")
    log.warn("shown")
    log.error("shown")
    assert [line.split("[")[0] for line in capsys.readouterr().err.splitlines()] == ["WARNING", "ERROR"]


def test_fatal_logs_and_ends_the_start_up(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        log.fatal("cannot go on")
    assert ended.value.code == 1
    assert capsys.readouterr().err.startswith("FATAL[")


def test_one_line_whatever_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    log.info("bash -c 'a\nb'")
    assert capsys.readouterr().err.endswith("] bash -c 'a\\nb'\n")

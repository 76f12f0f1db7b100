"""Mode decision from the environment."""

import pytest
from htc_entrypoint import mode


def test_personal_without_schedd_host() -> None:
    chosen = mode.decide({})
    assert chosen.personal and chosen.problem is None
    assert "not set" in chosen.reason


@pytest.mark.parametrize("variable", ["_CONDOR_SCHEDD_HOST", "_condor_SCHEDD_HOST"])
def test_remote_with_schedd_host_in_either_case(variable: str) -> None:
    chosen = mode.decide({variable: "submit.example.org"})
    assert not chosen.personal
    assert chosen.schedd == "submit.example.org"
    assert chosen.reason == f"{variable}=submit.example.org"


def test_empty_schedd_host_means_personal_with_a_hint() -> None:
    chosen = mode.decide({"_CONDOR_SCHEDD_HOST": "  "})
    assert chosen.personal
    assert chosen.problem and "_CONDOR_SCHEDD_HOST is empty" in chosen.problem


@pytest.mark.parametrize("value", ["two words", "host'; rm -rf /", 'a"b'])
def test_garbage_schedd_host_is_named(value: str) -> None:
    chosen = mode.decide({"_CONDOR_SCHEDD_HOST": value})
    assert not chosen.personal
    assert chosen.problem and chosen.problem.startswith("_CONDOR_SCHEDD_HOST=")
    assert "\n" not in chosen.problem


def test_schedd_name_with_user_and_port_is_a_host() -> None:
    assert mode.decide({"_CONDOR_SCHEDD_HOST": "alice@submit-1.example.org:9618"}).problem is None

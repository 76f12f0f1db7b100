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


@pytest.mark.parametrize("variable", ["_CONDOR_COLLECTOR_HOST", "_condor_COLLECTOR_HOST"])
def test_access_point_with_a_collector_and_no_schedd(variable: str) -> None:
    chosen = mode.decide({variable: "cm.example.org:9618"})
    assert not chosen.personal and chosen.access_point and chosen.problem is None
    assert chosen.collector == "cm.example.org:9618" and chosen.schedd is None
    assert chosen.reason == f"{variable}=cm.example.org:9618 and _CONDOR_SCHEDD_HOST is not set"


def test_a_named_schedd_wins_over_the_access_point() -> None:
    chosen = mode.decide({"_CONDOR_SCHEDD_HOST": "submit", "_CONDOR_COLLECTOR_HOST": "cm"})
    assert not chosen.access_point and chosen.schedd == "submit"


def test_an_empty_collector_is_the_personal_pool() -> None:
    assert mode.decide({"_CONDOR_COLLECTOR_HOST": " "}).personal


def test_garbage_collector_host_is_named() -> None:
    chosen = mode.decide({"_CONDOR_COLLECTOR_HOST": "two words"})
    assert chosen.access_point and chosen.problem
    assert chosen.problem.startswith("_CONDOR_COLLECTOR_HOST='two words' is not a host name")

"""Access-point mode's pieces: the token's identity, and what the schedd and Jupyter are given."""

import base64
import json
from pathlib import Path

import pytest
from htc_entrypoint import access_point
from htc_entrypoint.access_point import Identity


def jwt(claims: dict[str, str]) -> str:
    """An unsigned IDTOKEN-shaped JWT with these claims."""
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiIsImtpZCI6IlBPT0wifQ.{payload}.c2ln"


def test_the_identity_is_read_from_the_tokens_claims() -> None:
    assert access_point.identity(jwt({"sub": "alice@site.org", "iss": "cm.site.org"})) == Identity(
        "alice", "site.org", "cm.site.org"
    )


def test_a_token_without_issuer_is_issued_by_its_users_domain() -> None:
    assert access_point.identity(jwt({"sub": "alice@site"})) == Identity("alice", "site", "site")


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c", jwt({"sub": "alice"}), jwt({"iss": "x"})])
def test_what_is_not_an_idtoken_has_no_identity(token: str) -> None:
    assert access_point.identity(token) is None


def test_the_notebooks_own_token_comes_first(tmp_path: Path) -> None:
    (tmp_path / "a-site.token").write_text(jwt({"sub": "other@site"}) + "\n")
    (tmp_path / "htc-notebook.token").write_text(jwt({"sub": "alice@site"}) + "\n")
    (tmp_path / "0-junk").write_text("junk\n")
    assert str(access_point.token_identity(tmp_path)) == "alice@site"


def test_no_folder_no_identity(tmp_path: Path) -> None:
    assert access_point.token_identity(tmp_path / "missing") is None


def test_settings_point_every_client_at_the_access_points_config(tmp_path: Path) -> None:
    found = access_point.settings({}, tmp_path, Identity("alice", "site", "cm"))
    assert found == {
        "CONDOR_CONFIG": str(access_point.CONFIG),
        "HTC_POOL_DIR": str(tmp_path),
        "_CONDOR_UID_DOMAIN": "site",
        "_CONDOR_TRUST_DOMAIN": "cm",
        "_CONDOR_HTC_TOKEN_IDENTITY": "alice@site",
    }


def test_a_sites_own_domain_wins(tmp_path: Path) -> None:
    found = access_point.settings({"_condor_UID_DOMAIN": "mine"}, tmp_path, Identity("alice", "site", "site"))
    assert "_CONDOR_UID_DOMAIN" not in found and found["_CONDOR_TRUST_DOMAIN"] == "site"

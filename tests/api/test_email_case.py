"""Addresses that differ only in case (or surrounding space) are one account, on every call that names an email."""

from __future__ import annotations

import uuid

from chalicelib.services import accounts
from tests.fakes import FakeIdentityProvider, FakeUserRepository, FixedClock
from tests.helpers import PASSWORD, ApiClient, User


def test_sara_in_capitals_and_sara_in_lower_case_are_one_account(api: ApiClient) -> None:
    local = f"sara.{uuid.uuid4().hex[:8]}"
    first = api.post("/auth/signup", body={"email": f"{local.upper()}@EXAMPLE.com", "password": PASSWORD, "display_name": "Sara"})
    assert first.status == 201 and first.body["email"] == f"{local}@example.com", first.body
    again = api.post("/auth/signup", body={"email": f" {local}@example.com ", "password": PASSWORD, "display_name": "Sara 2"})
    assert (again.status, again.body["code"], again.body["field"]) == (409, "account_exists", "email"), again.body
    signed_in = {}
    for typed in (f"{local}@example.com", f"{local.upper()}@EXAMPLE.COM", f"  {local.capitalize()}@Example.Com"):
        r = api.post("/auth/signin", body={"email": typed, "password": PASSWORD})
        assert r.status == 200, (typed, r.body)
        token = r.body["id_token"]
        signed_in[typed] = api.get("/me", User("", typed, token)).body["user_id"]
    assert set(signed_in.values()) == {first.body["user_id"]}


def test_every_call_to_the_user_pool_gets_the_normalised_address() -> None:
    class RecordingIdp(FakeIdentityProvider):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def sign_up(self, email: str, password: str) -> str:
            self.seen.append(email)
            return super().sign_up(email, password)

        def confirm(self, email: str, code: str) -> None:
            self.seen.append(email)

        def sign_in(self, email: str, password: str) -> accounts.Tokens:
            self.seen.append(email)
            return super().sign_in(email, password)

    idp, users, clock = RecordingIdp(), FakeUserRepository(), FixedClock()
    user = accounts.sign_up(" SARA@X.Example ", PASSWORD, "Sara", ("parker",), idp=idp, users=users, clock=clock)
    accounts.confirm("Sara@x.example", "123456", idp=idp)
    accounts.sign_in("SARA@X.EXAMPLE", PASSWORD, idp=idp, users=users, clock=clock)
    assert idp.seen == ["sara@x.example"] * 3 and user.email == "sara@x.example"


def test_the_user_pool_itself_is_case_insensitive_too() -> None:
    """Defence in depth beside the normalisation: a client that reaches Cognito directly (its hosted UI, an SDK) with
    SARA@ and sara@ reaches one user. CaseSensitive can only be set when a pool is created (docs/deployment.md)."""
    import json
    from pathlib import Path

    template = json.loads((Path(__file__).resolve().parents[2] / "infra" / "template.json").read_text())
    assert template["Resources"]["UserPool"]["Properties"]["UsernameConfiguration"] == {"CaseSensitive": False}

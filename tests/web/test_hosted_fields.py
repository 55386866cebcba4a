"""The local payment provider's card fields on their own origin: framed only by the app, tokens minted over real HTTP
by the provider itself, refusals by field, and nothing for another origin."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest

from infra.hosted_fields import HostedFields

APP = "http://127.0.0.1:8001"


@pytest.fixture
def fields(stack: object) -> Iterator[HostedFields]:
    from chalicelib import bootstrap

    bootstrap.override(None)
    served = HostedFields(0, (APP,), bootstrap.deps().payments.tokenise)  # type: ignore[attr-defined]
    served.serve()
    yield served
    served.stop()


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, Message, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_the_page_is_framed_only_by_the_app_and_loads_nothing_foreign(fields: HostedFields) -> None:
    status, headers, body = call(f"{fields.url}?origin={APP}")
    assert status == 200 and b'<label for="number">Card number</label>' in body
    csp = headers["Content-Security-Policy"]
    assert f"frame-ancestors {APP}" in csp and "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert call(f"{fields.url}?origin=https://evil.example")[0] == 400
    assert call(fields.url)[0] == 400


def test_a_test_card_becomes_a_single_use_token_and_a_bad_one_names_its_field(fields: HostedFields) -> None:
    card = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2032, "cvc": "123", "origin": APP}
    status, _, body = call(f"{fields.origin}/tokens", card)
    minted = json.loads(body)
    assert status == 201 and minted["token"].startswith("tok_") and minted["last4"] == "4242" and "4242 4242" not in body.decode()
    status, _, body = call(f"{fields.origin}/tokens", {**card, "cvc": "1"})
    assert status == 400 and json.loads(body)["field"] == "cvc"
    status, _, body = call(f"{fields.origin}/tokens", {**card, "origin": "https://evil.example"})
    assert status == 400 and json.loads(body)["code"] == "origin_not_allowed"
    assert call(f"{fields.origin}/tokens", {"number": "4242"})[0] == 400

"""The small routes and fields the web app needed: quotes before booking, extending and cancelling, directions to a
space, the ownership document for its reviewers, an order's claims, the sharer's earnings, the saved card, and the
local payment provider's card tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from chalicelib import bootstrap
from tests.helpers import ApiClient, User, at
from tests.order_helpers import World, make_world


@pytest.fixture
def people(api: ApiClient) -> dict[str, User]:
    return {"admin": api.sign_up(group="admin"), "sharer": api.sign_up(), "parker": api.sign_up(roles=("parker",))}


OFFICE = {"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "start_time": "06:00", "end_time": "22:00", "rate_minor": 300,
          "daily_cap_minor": 2000}


def _space(api: ApiClient, people: dict[str, User], **fields: Any) -> dict[str, Any]:
    return api.approved_space(people["sharer"], people["admin"], **fields)


def _book(api: ApiClient, parker: User, space_id: str, start: str, end: str) -> dict[str, Any]:
    r = api.post("/reservations", parker, {"space_id": space_id, "plate": "NL-01-AB", "start": start, "end": end})
    assert r.status == 201, r.body
    return dict(r.body)


def test_a_quote_is_the_price_the_booking_then_fixes(api: ApiClient, people: dict[str, User]) -> None:
    space = _space(api, people)
    q = api.get(f"/spaces/{space['space_id']}/quote?start={at(24)}&end={at(26.5)}", people["parker"])
    assert q.status == 200, q.body
    assert q.body["currency"] == "EUR" and q.body["timezone"] == "Europe/Amsterdam" and q.body["rate_minor"] > 0
    booked = _book(api, people["parker"], space["space_id"], at(24), at(26.5))
    assert booked["price_minor"] == q.body["price_minor"] > 0
    taken = api.get(f"/spaces/{space['space_id']}/quote?start={at(25)}&end={at(27)}", people["parker"])
    assert taken.status == 409 and taken.body["code"] == "slot_taken" and taken.body["field"] == "start"


def test_a_quote_is_refused_where_booking_would_be(api: ApiClient, people: dict[str, User]) -> None:
    space = _space(api, people, windows=[OFFICE])
    outside = api.get(f"/spaces/{space['space_id']}/quote?start={at(-1, base=None)}&end={at(30)}", people["parker"])
    assert outside.status in (400, 422) and outside.body["field"] in ("start", "end")
    short = api.get(f"/spaces/{space['space_id']}/quote?start={at(24)}&end={at(24.1)}", people["parker"])
    assert short.status == 400 and short.body["field"] == "end"
    pending = api.post("/spaces", people["sharer"], {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9}).body
    assert api.get(f"/spaces/{pending['space_id']}/quote?start={at(24)}&end={at(26)}", people["parker"]).status == 404
    own = api.get(f"/spaces/{pending['space_id']}/quote?start={at(24)}&end={at(26)}", people["sharer"])
    assert own.status == 422 and own.body["code"] == "space_not_approved"
    bad = api.get(f"/spaces/{space['space_id']}/quote?start=tomorrow&end={at(26)}", people["parker"])
    assert bad.status == 400 and bad.body["field"] == "start"


def test_an_extension_quote_is_what_extend_then_charges(api: ApiClient, people: dict[str, User]) -> None:
    space = _space(api, people)
    booked = _book(api, people["parker"], space["space_id"], at(24), at(26))
    rid = booked["reservation_id"]
    q = api.get(f"/reservations/{rid}/extension?end={at(28)}", people["parker"])
    assert q.status == 200, q.body
    assert q.body["current_price_minor"] == booked["price_minor"] and q.body["extra_minor"] == q.body["price_minor"] - booked["price_minor"]
    assert q.body["extra_minor"] > 0
    longer = api.post(f"/reservations/{rid}/extend", people["parker"], {"end": at(28)})
    assert longer.status == 200 and longer.body["price_minor"] == q.body["price_minor"]
    assert api.get(f"/reservations/{rid}/extension?end={at(27)}", people["parker"]).body["field"] == "end"
    assert api.get(f"/reservations/{rid}/extension?end={at(30)}", people["sharer"]).status == 403
    other = _book(api, people["admin"], space["space_id"], at(28), at(29))
    clash = api.get(f"/reservations/{rid}/extension?end={at(29)}", people["parker"])
    assert clash.status == 409 and clash.body["code"] == "slot_taken", (clash.body, other)


def test_a_reservation_says_what_cancelling_it_now_would_cost(api: ApiClient, people: dict[str, User]) -> None:
    space = _space(api, people)
    booked = _book(api, people["parker"], space["space_id"], at(24), at(26))
    rid = booked["reservation_id"]
    mine = api.get(f"/reservations/{rid}", people["parker"]).body
    assert mine["cancellation"] == {"fee_minor": 0, "refund_minor": booked["price_minor"]}
    assert api.get(f"/reservations/{rid}", people["sharer"]).body["cancellation"] == {"fee_minor": 0, "refund_minor": booked["price_minor"]}
    assert api.get("/reservations", people["parker"]).body["reservations"][0]["cancellation"] is None
    api.post(f"/reservations/{rid}/cancel", people["parker"])
    assert api.get(f"/reservations/{rid}", people["parker"]).body["cancellation"] is None


def test_a_space_carries_directions_to_it(api: ApiClient, people: dict[str, User]) -> None:
    space = _space(api, people, lat=52.37, lng=4.89)
    nav = api.get(f"/spaces/{space['space_id']}", people["parker"]).body["navigation"]
    assert nav["geo"].startswith("geo:52.370000,4.890000") and "destination=52.370000,4.890000" in nav["google_maps"]


def test_the_ownership_document_opens_for_its_owner_and_admins_only(api: ApiClient, people: dict[str, User]) -> None:
    space = api.post("/spaces", people["sharer"], {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9}).body
    sid = space["space_id"]
    none_yet = api.get(f"/spaces/{sid}/document", people["sharer"])
    assert none_yet.status == 422 and none_yet.body["code"] == "upload_missing"
    from tests.helpers import upload_document

    upload_document(api, people["sharer"], sid)
    for who in ("sharer", "admin"):
        link = api.get(f"/spaces/{sid}/document", people[who])
        assert link.status == 200 and link.body["content_type"] == "application/pdf", link.body
        got = requests.get(link.body["url"], timeout=10)
        assert got.status_code == 200 and got.content.startswith(b"%PDF") and len(got.content) == link.body["size"]
        assert f"ownership-{sid}.pdf" in got.headers["Content-Disposition"]
    assert api.get(f"/spaces/{sid}/document", people["parker"]).status == 404


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


def test_earnings_list_each_paid_order_with_the_platform_fee_and_add_up_to_the_balance(world: World) -> None:
    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    assert api.get("/me/earnings", sharer).body == {"balance_minor": 0, "currency": None, "platform_fee_bp": 1500, "paid_minor": 0,
                                                   "fee_minor": 0, "payout_minor": 0, "payouts": []}
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    assert api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"}).status == 200
    rid = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "ab-123-c", "start": at(1), "end": at(3)}).body["reservation_id"]
    world.clock.set(world.at(1) + timedelta(minutes=5))
    assert world.send(gate, gate.event("entry", "AB123C")).body["decision"] == "open"
    world.clock.set(world.at(2))
    assert world.send(gate, gate.event("exit", "AB123C")).body["decision"] == "open"
    world.clock.advance(seconds=20)
    world.settle_payments()
    paid = world.reservation(parker, rid)
    earned = api.get("/me/earnings", sharer).body
    [row] = earned["payouts"]
    assert row["reservation_id"] == rid and row["space_id"] == space["space_id"] and row["paid_minor"] == paid["amount_due_minor"]
    assert row["fee_minor"] == round(row["paid_minor"] * 0.15) and row["payout_minor"] == row["paid_minor"] - row["fee_minor"]
    assert earned["balance_minor"] == row["payout_minor"] == api.get("/me/balance", sharer).body["balance_minor"]
    assert (earned["paid_minor"], earned["fee_minor"], earned["payout_minor"]) == (row["paid_minor"], row["fee_minor"], row["payout_minor"])
    assert api.get("/me/earnings", parker).body["payouts"] == []


def test_claims_of_an_order_are_listed_for_its_parker(api: ApiClient, people: dict[str, User]) -> None:
    space = _space(api, people)
    rid = _book(api, people["parker"], space["space_id"], at(24), at(26))["reservation_id"]
    assert api.get(f"/orders/{rid}/claims", people["parker"]).body == {"claims": []}
    first = api.post(f"/orders/{rid}/claims", people["parker"], {"share_with": ["sharer"], "description": "A scratch"}).body
    second = api.post(f"/orders/{rid}/claims", people["parker"], {"share_with": ["sharer"], "description": "A dent"}).body
    listed = api.get(f"/orders/{rid}/claims", people["parker"]).body["claims"]
    assert {c["claim_id"] for c in listed} == {first["claim_id"], second["claim_id"]}
    assert api.get(f"/orders/{rid}/claims", people["sharer"]).status == 404


def test_the_saved_card_can_be_read_back(api: ApiClient, people: dict[str, User]) -> None:
    none = api.get("/me/payment-method", people["parker"])
    assert none.status == 404 and none.body["code"] == "no_payment_method"
    api.call("PUT", "/me/payment-method", people["parker"], {"token": "tok_mastercard"})
    assert api.get("/me/payment-method", people["parker"]).body | {"method_id": "x"} == {"method_id": "x", "brand": "mastercard",
                                                                                          "last4": "4444"}


def test_a_token_from_the_hosted_card_fields_saves_a_card_once(api: ApiClient, people: dict[str, User]) -> None:
    provider = bootstrap.deps().payments
    minted = provider.tokenise("4000 0000 0000 0002", 12, 2031, "123")  # type: ignore[attr-defined]  # the local provider's own call
    assert minted["brand"] == "visa" and minted["last4"] == "0002" and minted["token"].startswith("tok_")
    saved = api.call("PUT", "/me/payment-method", people["parker"], {"token": minted["token"]})
    assert saved.status == 200 and saved.body["last4"] == "0002"
    again = api.call("PUT", "/me/payment-method", people["parker"], {"token": minted["token"]})
    assert again.status == 400 and again.body["code"] == "invalid_token" and again.body["field"] == "token"


@pytest.mark.parametrize(("number", "month", "year", "cvc", "field"), [
    ("4242 4242 4242 4241", 12, 2031, "123", "number"),  # fails the Luhn check
    ("4111 1111 1111 1111", 12, 2031, "123", "number"),  # a real-looking card: the local provider takes test cards only
    ("4242 4242 4242 4242", 1, 2020, "123", "expiry"),
    ("4242 4242 4242 4242", 13, 2031, "123", "expiry"),
    ("4242 4242 4242 4242", 12, 2031, "12", "cvc"),
])
def test_hosted_card_fields_refuse_bad_cards_by_field(api: ApiClient, number: str, month: int, year: int, cvc: str, field: str) -> None:
    from chalicelib.domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as refused:
        bootstrap.deps().payments.tokenise(number, month, year, cvc)  # type: ignore[attr-defined]
    assert refused.value.field == field

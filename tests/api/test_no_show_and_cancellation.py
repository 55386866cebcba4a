"""No-shows (the scheduled sweep) and late cancellations: the fee goes through the payment port to the sharer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.services.orders import expire_no_shows
from tests.helpers import ApiClient, User, at
from tests.order_helpers import World, make_world


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


def reserve(world: World) -> tuple[User, User, str, str]:
    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="B8")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "NS-01-AA", "start": at(1), "end": at(3)})
    assert r.status == 201, r.body
    return sharer, parker, space["space_id"], r.body["reservation_id"]


def fee_settled(world: World, rid: str) -> None:
    replies = [x for x in world.settle_payments() if x.body.get("reservation_id") == rid]
    assert [x.status for x in replies] == [200], [x.body for x in replies]


def test_reservation_nobody_drove_into_becomes_a_no_show_and_pays_the_fee(world: World) -> None:
    sharer, parker, space_id, rid = reserve(world)
    world.clock.set(world.at(3) + timedelta(minutes=9))
    assert rid not in [r.reservation_id for r in expire_no_shows(world.orders)]  # still inside the grace
    world.clock.set(world.at(3) + timedelta(minutes=10))
    assert rid in [r.reservation_id for r in expire_no_shows(world.orders)]
    gone = world.reservation(parker, rid)
    assert (gone["state"], gone["fee_minor"], gone["payment_status"]) == ("no_show", 400, "pending")
    assert world.api.get(f"/spaces/{space_id}", sharer).body["booked"] == []
    assert rid not in [r.reservation_id for r in expire_no_shows(world.orders)]  # once only
    fee_settled(world, rid)
    assert world.reservation(parker, rid)["payment_status"] == "succeeded"
    assert world.api.get("/me/balance", sharer).body["balance_minor"] == 400 - 60


def test_scheduled_function_runs_the_sweep(world: World) -> None:
    from chalice.test import Client

    import app as app_module

    _, parker, _, rid = reserve(world)
    world.clock.set(world.at(3) + timedelta(hours=1))
    with Client(app_module.app, stage_name="local") as client:
        result = client.lambda_.invoke("expire_no_shows", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert rid in result.payload["expired"]
    assert world.reservation(parker, rid)["state"] == "no_show"


def test_late_cancellation_fee_is_charged_through_the_payment_port(world: World) -> None:
    sharer, parker, _, rid = reserve(world)
    world.clock.set(world.at(1) + timedelta(minutes=5))
    r = world.api.post(f"/reservations/{rid}/cancel", parker)
    assert r.status == 200 and (r.body["state"], r.body["fee_minor"], r.body["payment_status"]) == ("cancelled", 400, "pending")
    fee_settled(world, rid)
    assert world.api.get("/me/balance", sharer).body == {"balance_minor": 340, "currency": "EUR"}


def test_free_cancellation_charges_nothing(world: World) -> None:
    _, parker, _, rid = reserve(world)
    r = world.api.post(f"/reservations/{rid}/cancel", parker)
    assert r.status == 200 and r.body["fee_minor"] == 0 and r.body["payment_status"] is None

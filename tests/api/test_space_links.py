"""A space names a car park only with that car park's consent: its gate, its books and its review all follow the link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.carparks import local_day
from tests.helpers import ApiClient, User, at, upload_document
from tests.order_helpers import World, make_world


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


def register(api: ApiClient, owner: User, carpark_id: str, lot: str = "A1") -> dict[str, Any]:
    r = api.post("/spaces", owner, {"title": "Claimed spot", "address": "Dam 2, Amsterdam", "lat": 52.3731, "lng": 4.8926,
                                    "carpark_id": carpark_id, "lot": lot})
    assert r.status == 201, r.body
    return dict(r.body)


def approve_and_offer(api: ApiClient, owner: User, admin: User, space_id: str) -> None:
    upload_document(api, owner, space_id)
    assert api.post(f"/admin/spaces/{space_id}/approve", admin).status == 200
    w = {"kind": "weekly", "rate_minor": 200, "days": list(range(7)), "start_time": "00:00", "end_time": "24:00"}
    assert api.post(f"/spaces/{space_id}/windows", owner, w).status == 201


def test_a_space_cannot_join_someone_elses_car_park_without_its_owner(api: ApiClient, world: World) -> None:
    victim, attacker, parker = api.sign_up(), api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(victim)
    gate = world.gate(victim, cp["carpark_id"])
    space = register(api, attacker, cp["carpark_id"])
    assert space["carpark_link"]["state"] == "pending" and space["carpark_link"]["decided_at"] is None
    # The admin's review shows the link and that it is not accepted.
    queued = {s["space_id"]: s for s in api.get("/admin/spaces", world.admin).body["spaces"]}
    assert queued[space["space_id"]]["carpark_link"] == {"carpark_id": cp["carpark_id"], "state": "pending", "decided_at": None,
                                                         "decided_by": None}
    approve_and_offer(api, attacker, world.admin, space["space_id"])
    # Others do not see it as part of the car park, cannot book it, and search does not offer it.
    public = api.get(f"/spaces/{space['space_id']}", parker).body
    assert public["carpark_id"] is None and public["carpark_link"] is None
    booking = {"space_id": space["space_id"], "plate": "AT7ACK", "start": at(1), "end": at(3)}
    refused = api.post("/reservations", parker, booking)
    assert (refused.status, refused.body["code"]) == (422, "carpark_link_pending")
    found = api.get(f"/search?lat=52.3731&lng=4.8926&radius_m=200&start={at(1)}&end={at(3)}", parker).body["results"]
    assert space["space_id"] not in [h["space_id"] for h in found]
    # The car park's owner sees the request and refuses it; the space is then only a space of its own.
    [pending] = api.get(f"/carparks/{cp['carpark_id']}/space-links", victim).body["spaces"]
    assert pending["space_id"] == space["space_id"] and pending["owner_id"] == attacker.user_id
    no = api.post(f"/carparks/{cp['carpark_id']}/space-links/{space['space_id']}/refuse", victim)
    assert no.status == 200 and no.body["carpark_link"]["state"] == "refused"
    assert api.post(f"/carparks/{cp['carpark_id']}/space-links/{space['space_id']}/accept", victim).status == 409
    assert api.get("/me/notifications", attacker).body["notifications"][0]["kind"] == "space_link_refused"
    booked = api.post("/reservations", parker, booking)
    assert booked.status == 201 and booked.body["carpark_id"] is None
    # The victim's gate does not admit the attacker's parker, and nothing of it reaches the victim's books.
    world.clock.set(world.at(1) + timedelta(minutes=1))
    entry = world.send(gate, gate.event("entry", "AT7ACK"))
    assert (entry.body["decision"], entry.body["reason"]) == ("deny", "unknown_plate")
    assert api.get(f"/carparks/{cp['carpark_id']}/reservations", victim).body["reservations"] == []
    assert api.get(f"/carparks/{cp['carpark_id']}/space-links?state=refused", victim).body["spaces"][0]["space_id"] == space["space_id"]


def test_an_accepted_link_lets_the_gate_admit_and_the_car_park_count_the_stay(api: ApiClient, world: World) -> None:
    owner, sharer, parker = api.sign_up(), api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(owner)
    gate = world.gate(owner, cp["carpark_id"])
    space = register(api, sharer, cp["carpark_id"], lot="A2")
    approve_and_offer(api, sharer, world.admin, space["space_id"])
    yes = api.post(f"/carparks/{cp['carpark_id']}/space-links/{space['space_id']}/accept", owner)
    assert yes.status == 200 and (yes.body["carpark_link"]["state"], yes.body["carpark_link"]["decided_by"]) == ("accepted", owner.user_id)
    assert api.get(f"/spaces/{space['space_id']}", parker).body["carpark_id"] == cp["carpark_id"]
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    booked = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "OK1234", "start": at(1), "end": at(3)})
    assert booked.status == 201 and booked.body["carpark_id"] == cp["carpark_id"]
    world.clock.set(world.at(1) + timedelta(minutes=1))
    assert world.send(gate, gate.event("entry", "OK1234")).body["decision"] == "open"
    world.clock.set(world.at(2))
    assert world.send(gate, gate.event("exit", "OK1234")).body["decision"] == "open"
    world.settle_payments()
    assert api.get("/me/balance", sharer).body["balance_minor"] > 0  # the payout goes to the space's owner
    day = local_day(world.at(2), "Europe/Amsterdam").isoformat()  # the car park's day (it was UTC's: wrong near midnight)
    assert api.get(f"/carparks/{cp['carpark_id']}/transactions?from={day}&to={day}", owner).body["total_minor"] > 0


def test_a_space_in_a_car_park_of_ones_own_is_linked_at_once_and_the_car_park_and_lot_must_exist(api: ApiClient, world: World) -> None:
    owner = api.sign_up()
    cp = world.carpark(owner)
    mine = register(api, owner, cp["carpark_id"])
    assert (mine["carpark_link"]["state"], mine["carpark_link"]["decided_by"]) == ("accepted", owner.user_id)
    missing = api.post("/spaces", owner, {"title": "x", "address": "Dam 2", "lat": 52.37, "lng": 4.89, "carpark_id": "no-such-car-park"})
    assert (missing.status, missing.body["field"]) == (404, "carpark_id")
    bad_lot = api.post("/spaces", owner, {"title": "x", "address": "Dam 2", "lat": 52.37, "lng": 4.89, "carpark_id": cp["carpark_id"],
                                          "lot": "Z9"})
    assert (bad_lot.status, bad_lot.body["code"]) == (422, "unknown_lot")

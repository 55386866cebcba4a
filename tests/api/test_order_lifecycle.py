"""The seed's 16-step order through the HTTP API, from a posted space to a completed order in the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import bootstrap
from chalicelib.domain.timeutil import parse_instant
from tests.helpers import ApiClient, at
from tests.order_helpers import World, make_world


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


def test_the_whole_order_from_posted_space_to_paid_entry_in_the_ledger(world: World) -> None:
    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    staff = api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    assert api.post(f"/carparks/{cp['carpark_id']}/staff", sharer, {"email": staff.email}).status == 201
    assert api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", staff).status == 200
    gate = world.gate(sharer, cp["carpark_id"])
    # 1-2: the sharer posts the space in the car park; it is published and found
    space = api.approved_space(sharer, world.admin, lat=52.3702, lng=4.8952, carpark_id=cp["carpark_id"], lot="A1")
    found = api.get(f"/search?lat=52.3702&lng=4.8952&radius_m=300&start={at(1)}&end={at(3)}", parker)
    assert space["space_id"] in [h["space_id"] for h in found.body["results"]]
    # 3: the parker saves a card and reserves
    assert api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"}).body["last4"] == "4242"
    r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "ab-123-c", "start": at(1), "end": at(3)})
    assert r.status == 201, r.body
    rid = r.body["reservation_id"]
    # 4: the sharer and the car park's staff see it
    assert rid in [x["reservation_id"] for x in api.get("/sharer/reservations", sharer).body["reservations"]]
    assert rid in [x["reservation_id"] for x in api.get(f"/carparks/{cp['carpark_id']}/reservations", staff).body["reservations"]]
    # 5-6: the gate reads the plate (as the camera misreads it) at entry; time starts
    world.clock.set(world.at(1) + timedelta(minutes=5))
    entry = world.send(gate, gate.event("entry", "AB 123 C"))
    assert entry.status == 200 and entry.body["decision"] == "open" and entry.body["reservation_id"] == rid, entry.body
    assert world.reservation(parker, rid)["state"] == "entered"
    # 9-11: exit 30 minutes after the end: overstay at the rate plus 50 %; the space's time is released; billed
    world.clock.set(world.at(3) + timedelta(minutes=30))
    leave = world.send(gate, gate.event("exit", "A8123C"))
    assert leave.body["decision"] == "open" and leave.body["reason"] == "goodbye", leave.body
    billed = world.reservation(parker, rid)
    assert billed["state"] == "billed" and billed["amount_due_minor"] == 400 + 100 + 50
    assert billed["payment_status"] == "pending"
    assert api.get(f"/spaces/{space['space_id']}", sharer).body["booked"] == []
    # 12-13: the provider settles the charge and tells us with a signed webhook
    world.clock.advance(seconds=20)
    replies = [x for x in world.settle_payments() if x.body.get("reservation_id") == rid]
    assert [x.status for x in replies] == [200] and replies[0].body["state"] == "completed"
    # 14-15: everyone sees the completed order; the sharer is paid 85 %
    done = world.reservation(parker, rid)
    assert done["state"] == "completed" and done["ledger_entry"] == "parent:0"
    for user in (parker, sharer):
        assert "order_completed" in [n["kind"] for n in api.get("/me/notifications", user).body["notifications"]]
    assert api.get(f"/carparks/{cp['carpark_id']}/notifications", staff).body["notifications"][0]["reservation_id"] == rid
    assert api.get("/me/balance", sharer).body == {"balance_minor": 550 - 83, "currency": "EUR"}
    # 16: the paid order, sealed to the parker, in the parent log
    [entry_] = world.ledger.for_order(rid)
    assert (entry_.log, entry_.action, entry_.user_id) == ("parent", "paid", parker.user_id)
    assert entry_.sealed["VehiclePlateNum"] == "AB123C" and entry_.sealed["Fees"] == "550 EUR"
    assert entry_.sealed["CarparkID"] == cp["carpark_id"] and entry_.sealed["ParkingLotNum"] == "A1"
    assert set(entry_.sealed) == {"OrderStartTime", "OrderCompleteTime", "CarEnterTime", "CarLeftTime", "VehiclePlateNum",
                                  "CarparkID", "ParkingLotNum", "Fees"}
    # the staff dashboard: movements and the day's takings
    # days are the car park's local days (its time zone), not UTC dates
    local = ZoneInfo(cp["timezone"])
    moves = api.get(f"/carparks/{cp['carpark_id']}/movements?date={world.at(3).astimezone(local).date().isoformat()}",
                    staff).body["movements"]
    assert {m["direction"] for m in moves} >= {"exit"}
    day = parse_instant(done["paid_at"], field="paid_at").astimezone(local).date().isoformat()
    report = api.get(f"/carparks/{cp['carpark_id']}/transactions?from={day}&to={day}", staff).body
    assert report["total_minor"] == 550 and report["orders"][0]["reservation_id"] == rid

"""POST /me/close over the real stack: sessions end, open bookings are cancelled, the address can sign up again, and
a scan afterwards finds the closed parker's plate, name and email nowhere in clear nor readable through any route."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import bootstrap, config
from chalicelib.domain.accounts import ERASED
from chalicelib.domain.carparks import local_day
from chalicelib.domain.errors import KeyErasedError
from chalicelib.domain.plates import confusion_key, normalise_plate
from tests.api.test_enclave_routes import _every_stored_blob, real_ledger_world  # noqa: F401 - a fixture
from tests.helpers import PASSWORD, ApiClient, at
from tests.order_helpers import World, make_world


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


def test_closing_my_account_erases_my_data_refuses_my_token_and_frees_my_address(api: ApiClient) -> None:
    alice, bob = api.sign_up(), api.sign_up()
    enclave = bootstrap.deps().enclave
    hers = enclave.seal(alice.user_id, "ledger-field", "entry-1", b"AB123C")
    his = enclave.seal(bob.user_id, "ledger-field", "entry-2", b"XY987Z")
    r = api.post("/me/close", alice)
    assert r.status == 200, r.body
    assert r.body["status"] == "closed" and r.body["data_erased"] is True and r.body["email_reusable"] is True
    assert api.get("/me", alice).status == 401
    assert api.post("/auth/signin", body={"email": alice.email, "password": PASSWORD}).status == 401
    with pytest.raises(KeyErasedError):
        enclave.unseal(alice.user_id, "ledger-field", "entry-1", hers)
    assert enclave.unseal(bob.user_id, "ledger-field", "entry-2", his) == b"XY987Z"
    assert api.get("/me", bob).status == 200
    # The address signs up again at once, as a new account that has nothing of the old one.
    again = api.sign_up(email=alice.email.upper())
    assert again.user_id != alice.user_id and api.get("/me", again).body["email"] == alice.email
    assert api.get("/reservations", again).body["reservations"] == []


def test_closing_cancels_what_has_not_started_and_waits_for_a_parked_car(api: ApiClient, world: World) -> None:
    sharer, parker, other = api.sign_up(), api.sign_up(roles=("parker",)), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    now_booking = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "CL05ED", "start": at(1), "end": at(3)}).body
    later = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "CL05ED", "start": at(30), "end": at(32)}).body
    world.clock.set(world.at(1) + timedelta(minutes=2))
    assert world.send(gate, gate.event("entry", "CL05ED")).body["decision"] == "open"
    refused = api.post("/me/close", parker)
    assert (refused.status, refused.body["code"]) == (409, "stay_in_progress")
    assert world.reservation(parker, later["reservation_id"])["state"] == "reserved"  # nothing changed
    world.clock.set(world.at(2))
    assert world.send(gate, gate.event("exit", "CL05ED")).body["decision"] == "open"
    unpaid = api.post("/me/close", parker)
    assert (unpaid.status, unpaid.body["code"]) == (409, "order_unsettled")  # the bill is being charged
    world.settle_payments()
    assert world.reservation(parker, now_booking["reservation_id"])["state"] == "completed"
    closed = api.post("/me/close", parker)
    assert closed.status == 200 and closed.body["cancelled_reservations"] == [later["reservation_id"]], closed.body
    kept = world.reservation(sharer, later["reservation_id"])
    assert (kept["state"], kept["fee_minor"], kept["cancelled_by"], kept["plate"]) == ("cancelled", 0, "parker", ERASED)
    paid = world.reservation(sharer, now_booking["reservation_id"])
    assert (paid["state"], paid["plate"]) == ("completed", ERASED) and paid["amount_due_minor"] > 0  # the bill is kept
    # The freed time can be booked by someone else.
    again = api.post("/reservations", other, {"space_id": space["space_id"], "plate": "OT4ER", "start": at(30), "end": at(32)})
    assert again.status == 201, again.body


def test_a_sharer_closing_withdraws_the_spaces_and_refunds_their_bookings(api: ApiClient, world: World) -> None:
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    space = api.approved_space(sharer, world.admin, lat=52.361234, lng=4.881234)
    booked = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "SH4RE", "start": at(20), "end": at(22)}).body
    assert api.post("/me/close", sharer).status == 200
    r = world.reservation(parker, booked["reservation_id"])
    assert (r["state"], r["cancelled_by"], r["fee_minor"], r["refund_minor"]) == ("cancelled", "sharer", 0, r["price_minor"])
    assert api.get("/me/notifications", parker).body["notifications"][0]["kind"] == "reservation_cancelled"
    assert api.get(f"/spaces/{space['space_id']}", parker).status == 404  # withdrawn: no longer public
    gone = api.get(f"/spaces/{space['space_id']}", world.admin).body
    assert (gone["status"], gone["title"], gone["address"], gone["lat"], gone["document"]) == ("withdrawn", ERASED, ERASED, 52.36, None)
    found = api.get(f"/search?lat=52.3612&lng=4.8812&radius_m=300&start={at(40)}&end={at(41)}", parker).body["results"]
    assert space["space_id"] not in [h["space_id"] for h in found]


PLATE, MISREAD = "QC-123-XY", "0C123XY"  # the exit camera reads Q as 0: confusable, resolved to the parker's stay


def _forms(plate: str) -> set[bytes]:
    return {f.lower().encode() for f in (plate, normalise_plate(plate), confusion_key(normalise_plate(plate)))}


def _readable(world: World, sharer: Any, cp: dict[str, Any], days: list[str]) -> str:
    """Everything the car park's owner and the sharer can read about the car park and their spaces, as one text."""
    api, cid = world.api, cp["carpark_id"]
    paths = [f"/carparks/{cid}/notifications", f"/carparks/{cid}/reservations", f"/carparks/{cid}/staff", "/me/notifications",
             "/sharer/reservations", f"/carparks/{cid}/transactions?from={days[0]}&to={days[-1]}"]
    paths += [f"/carparks/{cid}/movements?date={day}" for day in days]
    replies = [api.get(p, sharer) for p in paths]
    assert all(r.status == 200 for r in replies), [(p, r.status, r.body) for p, r in zip(paths, replies, strict=True)]
    return repr([r.body for r in replies]).lower()


def test_after_closure_the_parkers_plate_name_and_email_are_nowhere_in_clear_or_readable(real_ledger_world: World) -> None:  # noqa: F811
    world = real_ledger_world
    api = world.api
    name = f"Parker Surname{uuid.uuid4().hex[:6]}"
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",), display_name=name)
    cp = world.carpark(sharer)
    assert api.post(f"/carparks/{cp['carpark_id']}/staff", sharer, {"email": parker.email}).status == 201
    assert api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", parker).status == 200  # they also worked there
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, lat=52.3500, lng=4.8700, carpark_id=cp["carpark_id"], lot="A1")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    r = api.call("POST", "/reservations", parker, {"space_id": space["space_id"], "plate": PLATE, "start": at(1), "end": at(3)},
                 headers={"Idempotency-Key": f"close-{uuid.uuid4().hex}"})
    assert r.status == 201, r.body
    rid = r.body["reservation_id"]
    world.clock.set(world.at(1) - timedelta(minutes=30))
    assert world.send(gate, gate.event("entry", PLATE)).body["reason"] == "too_early"  # a refused read names the plate too
    world.clock.set(world.at(1) + timedelta(minutes=5))
    assert world.send(gate, gate.event("entry", PLATE)).body["reservation_id"] == rid
    world.clock.set(world.at(3))
    assert world.send(gate, gate.event("exit", MISREAD)).body["reason"] == "goodbye"
    world.clock.advance(seconds=20)
    assert [x.body["state"] for x in world.settle_payments() if x.body.get("reservation_id") == rid] == ["completed"]
    bootstrap.deps().ledger.cut_due(force=True)  # certified or still queued, the entry is scanned either way
    days = sorted({local_day(world.at(h), "Europe/Amsterdam").isoformat() for h in (0.5, 1, 3)})  # the car park's days
    before = _readable(world, sharer, cp, days)
    assert normalise_plate(PLATE).lower() in before and parker.email in before and name.lower() in before  # the probe sees them

    assert api.post("/me/close", parker).status == 200
    secrets = _forms(PLATE) | _forms(MISREAD) | {name.lower().encode(), parker.email.encode()}
    after = _readable(world, sharer, cp, days)
    assert [s for s in secrets if s.decode() in after] == []
    scanned = [(where, blob.lower()) for where, blob in _every_stored_blob()]
    assert [(where, s) for where, blob in scanned for s in secrets if s in blob] == []
    pool = boto3.client("cognito-idp")
    with pytest.raises(ClientError):
        pool.admin_get_user(UserPoolId=config.user_pool_id(), Username=parker.email)
    # What is kept: the stay's times and money, its ledger entry (ciphertext), and the movements without the plate.
    kept = world.reservation(sharer, rid)
    assert kept["state"] == "completed" and kept["plate"] == ERASED and kept["ledger_entry"]
    moves = [m for day in days for m in api.get(f"/carparks/{cp['carpark_id']}/movements?date={day}", sharer).body["movements"]]
    assert len(moves) == 3 and {m["plate"] for m in moves} == {ERASED}

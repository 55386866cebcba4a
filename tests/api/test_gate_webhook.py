"""Hostile and awkward gate and payment webhooks: refused with a clear reason, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.domain.signing import sign
from tests.helpers import ApiClient, User, at
from tests.order_helpers import Gate, World, make_world


@dataclass
class Scene:
    world: World
    sharer: User
    parker: User
    carpark_id: str
    gate: Gate
    reservation_id: str


@pytest.fixture
def scene(api: ApiClient) -> Iterator[Scene]:
    world = make_world(api)
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A2")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "XY-55-ZZ", "start": at(1), "end": at(3)})
    assert r.status == 201, r.body
    world.clock.set(world.at(1) + timedelta(minutes=2))
    yield Scene(world, sharer, parker, cp["carpark_id"], gate, r.body["reservation_id"])
    bootstrap.override(None)


def state(s: Scene) -> str:
    return str(s.world.reservation(s.parker, s.reservation_id)["state"])


def test_unsigned_event_is_refused(scene: Scene) -> None:
    body = b'{"event_id":"e1","carpark_id":"x","direction":"entry","plate":"XY55ZZ"}'
    r = scene.world.raw("/gate/events", body, {"Content-Type": "application/json"})
    assert (r.status, r.body["code"]) == (401, "unsigned")
    r = scene.world.raw("/gate/events", body, {"X-Gate-Device": scene.gate.device_id, "X-Gate-Timestamp": "1"})
    assert (r.status, r.body["code"]) == (401, "unsigned")
    assert state(scene) == "reserved"


def test_bad_signature_is_refused(scene: Scene) -> None:
    r = scene.world.send(scene.gate, scene.gate.event("entry", "XY55ZZ"), secret="not-the-device-secret")
    assert (r.status, r.body["code"]) == (401, "bad_signature")
    assert state(scene) == "reserved"


def test_tampered_body_is_refused(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    ts = int(w.clock.now().timestamp())
    signed = sign(g.secret.encode(), ts, b'{"plate":"OTHER"}')
    body = b'{"event_id":"t1","carpark_id":"%s","direction":"entry","plate":"XY55ZZ"}' % g.carpark_id.encode()
    r = w.raw("/gate/events", body, {"X-Gate-Device": g.device_id, "X-Gate-Timestamp": str(ts), "X-Gate-Signature": signed})
    assert (r.status, r.body["code"]) == (401, "bad_signature")


def test_stale_event_is_refused(scene: Scene) -> None:
    old = int((scene.world.clock.now() - timedelta(minutes=5, seconds=1)).timestamp())
    r = scene.world.send(scene.gate, scene.gate.event("entry", "XY55ZZ"), ts=old)
    assert (r.status, r.body["code"]) == (401, "stale_request")
    assert state(scene) == "reserved"


def test_unknown_device_is_refused(scene: Scene) -> None:
    ghost = Gate("gd_nobody", scene.gate.secret, scene.carpark_id)
    r = scene.world.send(ghost, ghost.event("entry", "XY55ZZ"))
    assert (r.status, r.body["code"]) == (401, "unknown_device")


def test_device_cannot_act_for_another_car_park(scene: Scene) -> None:
    w = scene.world
    other = w.carpark(scene.sharer, name="Other Garage")
    intruder = w.gate(scene.sharer, other["carpark_id"])
    event = intruder.event("entry", "XY55ZZ") | {"carpark_id": scene.carpark_id}
    r = w.send(intruder, event)
    assert (r.status, r.body["code"]) == (403, "wrong_carpark")
    assert state(scene) == "reserved"


def test_same_event_twice_has_one_effect_and_the_same_answer(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    event = g.event("entry", "XY55ZZ")
    first = w.send(g, event)
    w.clock.advance(seconds=30)
    again = w.send(g, event)  # the device retried: new timestamp, same event
    assert first.status == again.status == 200 and first.body == again.body and first.body["decision"] == "open"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert state(scene) == "entered"
    moves = w.api.get(f"/carparks/{scene.carpark_id}/movements", scene.sharer).body["movements"]
    assert len([m for m in moves if m["direction"] == "entry"]) == 1


def test_seen_event_id_with_another_body_is_refused(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    event = g.event("entry", "NO-SUCH-1")
    assert w.send(g, event).body["decision"] == "deny"
    r = w.send(g, event | {"plate": "XY55ZZ"})
    assert (r.status, r.body["code"]) == (409, "event_replayed")
    assert state(scene) == "reserved"


def test_rotated_secret_replaces_the_old_one(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    r = w.api.post(f"/carparks/{scene.carpark_id}/devices/{g.device_id}/rotate", scene.sharer)
    assert r.status == 200 and r.body["secret"] != g.secret and r.body["secret_version"] == 2
    assert w.send(g, g.event("entry", "XY55ZZ")).body["code"] == "bad_signature"
    assert w.send(Gate(g.device_id, r.body["secret"], g.carpark_id), g.event("entry", "XY55ZZ")).body["decision"] == "open"
    listed = w.api.get(f"/carparks/{scene.carpark_id}/devices", scene.sharer).body["devices"]
    assert listed[0]["secret"] is None


def test_revoked_device_is_refused(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    r = w.api.post(f"/carparks/{scene.carpark_id}/devices/{g.device_id}/revoke", scene.sharer)
    assert r.status == 200 and r.body["status"] == "revoked"
    refused = w.send(g, g.event("entry", "XY55ZZ"))
    assert (refused.status, refused.body["code"]) == (401, "device_revoked")
    assert state(scene) == "reserved"
    assert w.api.post(f"/carparks/{scene.carpark_id}/devices/{g.device_id}/rotate", scene.sharer).status == 422


def test_exit_without_entry_is_denied_and_changes_nothing(scene: Scene) -> None:
    r = scene.world.send(scene.gate, scene.gate.event("exit", "XY55ZZ"))
    assert r.status == 200 and (r.body["decision"], r.body["reason"]) == ("deny", "no_entry_recorded")
    assert state(scene) == "reserved"


def test_double_exit_is_denied_and_bills_once(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    assert w.send(g, g.event("entry", "XY55ZZ")).body["decision"] == "open"
    w.clock.set(w.at(2))
    assert w.send(g, g.event("exit", "XY55ZZ")).body["decision"] == "open"
    bill = w.reservation(scene.parker, scene.reservation_id)
    w.clock.advance(minutes=5)
    second = w.send(g, g.event("exit", "XY55ZZ"))
    assert (second.body["decision"], second.body["reason"]) == ("deny", "already_exited")
    assert w.reservation(scene.parker, scene.reservation_id) == bill


def test_unknown_plate_and_early_arrival_are_denied_with_reasons(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    assert w.send(g, g.event("entry", "QQ-999-Q")).body["reason"] == "unknown_plate"
    w.clock.set(w.at(1) - timedelta(minutes=16))
    early = w.send(g, g.event("entry", "XY55ZZ"))
    assert (early.body["decision"], early.body["reason"]) == ("deny", "too_early")
    assert early.body["message"] == "Your reservation has not started yet"


def test_member_is_let_in_and_out_without_a_bill(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    m = w.api.post(f"/carparks/{scene.carpark_id}/memberships", scene.sharer, {"plate": "mem-1-ber", "holder": "Mia", "plan": "monthly"})
    assert m.status == 201 and m.body["plan"] == "monthly", m.body
    inside = w.send(g, g.event("entry", "MEM1BER"))
    assert (inside.body["decision"], inside.body["reason"], inside.body["membership_id"]) == ("open", "member", m.body["membership_id"])
    out = w.send(g, g.event("exit", "MEM1BER"))
    assert (out.body["decision"], out.body["reason"]) == ("open", "member_exit")
    assert w.api.get(f"/carparks/{scene.carpark_id}/memberships", scene.sharer).body["memberships"][0]["plate"] == "MEM1BER"


def test_payment_webhook_unsigned_forged_or_for_unknown_charge_is_refused(scene: Scene) -> None:
    w = scene.world
    body = b'{"event_id":"evt_x","type":"charge.succeeded","created":"2026-01-01T00:00:00Z","data":{"charge_id":"ch_nope",' \
           b'"reference":"%s","amount_minor":400,"currency":"EUR"}}' % scene.reservation_id.encode()
    ts = int(w.clock.now().timestamp())
    assert w.raw("/payments/webhook", body, {}).body["code"] == "unsigned"
    forged = w.raw("/payments/webhook", body, {"X-Payment-Timestamp": str(ts), "X-Payment-Signature": sign(b"guess", ts, body)})
    assert (forged.status, forged.body["code"]) == (401, "bad_signature")
    real = sign(b"local-only-payment-webhook-secret", ts, body)
    unknown = w.raw("/payments/webhook", body, {"X-Payment-Timestamp": str(ts), "X-Payment-Signature": real})
    assert (unknown.status, unknown.body["code"]) == (404, "unknown_charge")
    assert state(scene) == "reserved"


def test_declined_card_leaves_the_order_billed_and_tells_the_parker(scene: Scene) -> None:
    w, g = scene.world, scene.gate
    w.api.call("PUT", "/me/payment-method", scene.parker, {"token": "tok_chargeDeclined"})
    w.send(g, g.event("entry", "XY55ZZ"))
    w.clock.set(w.at(2))
    w.send(g, g.event("exit", "XY55ZZ"))
    [reply] = [x for x in w.settle_payments() if x.body.get("reservation_id") == scene.reservation_id]
    assert reply.status == 200 and reply.body["payment_status"] == "failed"
    assert w.reservation(scene.parker, scene.reservation_id)["state"] == "billed"
    assert w.api.get("/me/notifications", scene.parker).body["notifications"][0]["kind"] == "payment_failed"
    assert w.api.get("/me/balance", scene.sharer).body["balance_minor"] == 0
    assert all(x.body.get("reservation_id") != scene.reservation_id for x in w.settle_payments())  # delivered once
    w.api.call("PUT", "/me/payment-method", scene.parker, {"token": "tok_mastercard"})  # a new card: charged again
    w.api.call("PUT", "/me/payment-method", scene.parker, {"token": "tok_mastercard"})  # twice: still one new charge
    [retried] = [x for x in w.settle_payments() if x.body.get("reservation_id") == scene.reservation_id]
    assert retried.body["state"] == "completed" and w.api.get("/me/balance", scene.sharer).body["balance_minor"] == 340

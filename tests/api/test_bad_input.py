"""Bad input is a 4xx {code, message, field} on every route: extreme times, deep JSON, odd ids, and never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap, config
from chalicelib.api.http import REGISTRY
from chalicelib.domain.signing import sign
from tests.helpers import ALWAYS, ApiClient, User, at
from tests.order_helpers import World, make_world

# Year 1 one hour east of UTC and year 9999 one hour west: valid RFC 3339, but outside datetime once in UTC.
EXTREME_TIMES = ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
EXTREME_DAYS = ("0001-01-01", "9999-12-31")
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


def refused(reply: Any, *statuses: int) -> None:
    assert reply.status in (statuses or (400, 422)), (reply.status, reply.body)
    assert set(reply.body) == {"code", "message", "field"} and reply.body["message"], reply.body


@pytest.fixture
def world(api: ApiClient) -> Iterator[dict[str, Any]]:
    w = make_world(api)
    owner, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = w.carpark(owner)
    space = api.approved_space(owner, w.admin, carpark_id=cp["carpark_id"], lot="A1")
    booked = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "AB12CD", "start": at(2), "end": at(4)})
    assert booked.status == 201, booked.body
    yield {"w": w, "owner": owner, "parker": parker, "carpark": cp, "space": space, "reservation": booked.body,
           "gate": w.gate(owner, cp["carpark_id"])}
    bootstrap.override(None)


def test_extreme_times_are_refused_everywhere_a_time_is_read(api: ApiClient, world: dict[str, Any]) -> None:
    parker, owner, space = world["parker"], world["owner"], world["space"]
    rid, cp = world["reservation"]["reservation_id"], world["carpark"]["carpark_id"]
    for t in EXTREME_TIMES:
        for start, end in ((t, at(30)), (at(30), t)):
            refused(api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "AB12CD", "start": start, "end": end}))
            refused(api.get(f"/search?lat=52.37&lng=4.89&start={start}&end={end}".replace("+", "%2B"), parker))
            refused(api.post(f"/spaces/{space['space_id']}/windows", owner, {"kind": "once", "rate_minor": 100, "start": start, "end": end}))
        refused(api.post(f"/reservations/{rid}/extend", parker, {"end": t}))
        refused(api.call("PUT", f"/spaces/{space['space_id']}/windows/{space['windows'][0]['window_id']}", owner,
                         body={"kind": "once", "rate_minor": 100, "start": t, "end": at(40)}))
        gate = world["gate"]
        refused(world["w"].send(gate, gate.event("entry", "AB12CD", captured_at=t)))
    for day in EXTREME_DAYS:
        refused(api.post(f"/spaces/{space['space_id']}/windows", owner, {**ALWAYS, "valid_from": day}))
        refused(api.post(f"/spaces/{space['space_id']}/windows", owner, {**ALWAYS, "valid_until": day}))
        refused(api.post(f"/carparks/{cp}/memberships", owner, {"plate": "MEM1", "holder": "M", "plan": "annual", "valid_from": day}))
        refused(api.get(f"/carparks/{cp}/movements?date={day}", owner))
        refused(api.get(f"/carparks/{cp}/transactions?from={day}&to={day}", owner))
    # The last day allowed still works, and its plan, its day bounds and its report do not overflow.
    last = api.post(f"/carparks/{cp}/memberships", owner, {"plate": "MEM2", "holder": "M", "plan": "annual", "valid_from": "2999-12-31"})
    assert last.status == 201 and last.body["valid_until"] == "3000-12-30", last.body
    assert api.get(f"/carparks/{cp}/movements?date=2999-12-31", owner).status == 200


def _signed_payment(body: bytes, w: World) -> Any:
    ts = int(w.clock.now().timestamp())
    headers = {"Content-Type": "application/json", "X-Payment-Timestamp": str(ts),
               "X-Payment-Signature": sign(config.payment_webhook_secret(), ts, body)}
    return w.raw("/payments/webhook", body, headers)


def test_deep_json_is_a_400_on_every_json_route(api: ApiClient, world: dict[str, Any]) -> None:
    w, owner = world["w"], world["owner"]
    params = {"space_id": world["space"]["space_id"], "window_id": world["space"]["windows"][0]["window_id"],
              "reservation_id": world["reservation"]["reservation_id"], "carpark_id": world["carpark"]["carpark_id"],
              "order_id": world["reservation"]["reservation_id"], "phase": "arrival", "side": "front"}
    checked = []
    for op in REGISTRY.operations:
        if op.request is None or not op.auth:
            continue
        path = op.path.format_map({**params, **{n: "x" for n in ("device_id", "user_id", "claim_id", "log", "seq", "node_id", "membership_id", "entry_id")}})
        for body in (DEEP, DEEP_OBJECT):
            reply = api.call(op.method, path, owner, body=body.decode())
            assert reply.status == 400 and reply.body["field"] == "body", (op.operation_id, reply.status, reply.body)
        checked.append(op.operation_id)
    assert {"createReservation", "addWindow", "createCarPark"} <= set(checked)
    for path in ("/auth/signin", "/auth/signup", "/auth/confirm"):
        for body in (DEEP, DEEP_OBJECT):
            refused(api.call("POST", path, body=body.decode()), 400)
    gate = world["gate"]
    for body in (DEEP, DEEP_OBJECT):
        ts = int(w.clock.now().timestamp())
        headers = {"Content-Type": "application/json", "X-Gate-Device": gate.device_id, "X-Gate-Timestamp": str(ts),
                   "X-Gate-Signature": sign(gate.secret.encode(), ts, body)}
        refused(w.raw("/gate/events", body, headers), 400)
        refused(_signed_payment(body, w), 400)


def test_nan_infinity_and_huge_numbers_are_refused(api: ApiClient, world: dict[str, Any]) -> None:
    owner = world["owner"]
    for raw in ('{"title": "t", "address": "Dam 1", "lat": NaN, "lng": 4.9}', '{"title": "t", "address": "Dam 1", "lat": 52, "lng": Infinity}',
                '{"title": "t", "address": "Dam 1", "lat": 1e999, "lng": 4.9}', '{"title": "t", "address": "Dam 1", "lat": ' + "9" * 5000 + ', "lng": 4.9}'):
        refused(api.call("POST", "/spaces", owner, body=raw))
    refused(api.get("/search?lat=nan&lng=4.89&start=" + at(30) + "&end=" + at(31), owner))
    refused(api.get("/search?lat=inf&lng=4.89&start=" + at(30) + "&end=" + at(31), owner))


def test_ids_dynamodb_would_refuse_are_a_400_not_a_500(api: ApiClient, world: dict[str, Any]) -> None:
    owner = world["owner"]
    for bad in ("x" * 3000, "%00", "a%0Ab", "\u00e9" * 100):
        refused(api.get(f"/reservations/{bad}", owner), 400, 404)
        refused(api.get(f"/spaces/{bad}", owner), 400, 404)
    refused(api.get(f"/reservations/{'x' * 3000}", owner), 400)
    w, gate = world["w"], world["gate"]
    body = json.dumps(gate.event("entry", "AB12CD")).encode()
    ts = int(w.clock.now().timestamp())
    r = w.raw("/gate/events", body, {"Content-Type": "application/json", "X-Gate-Device": "d" * 3000, "X-Gate-Timestamp": str(ts),
                                     "X-Gate-Signature": sign(b"whatever", ts, body)})
    refused(r, 401)
    payment = json.dumps({"event_id": "e", "type": "charge.succeeded", "created": at(0),
                          "data": {"charge_id": "c" * 3000, "reference": "r" * 3000, "currency": "EUR", "amount_minor": 1}}).encode()
    refused(_signed_payment(payment, w), 400)


def test_an_unexpected_failure_is_a_500_without_a_traceback(api: ApiClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A real fault (the user pool has no such app client), not a patched function: the body is ours, the traceback only
    in the log."""
    user = world["parker"]
    monkeypatch.setenv("CP_USER_POOL_CLIENT_ID", "no-such-client")
    bootstrap.override(None)
    for reply in (api.post("/auth/signin", body={"email": user.email, "password": "Test-password-1"}),
                  api.post("/auth/signup", body={"email": "nobody-" + user.email, "password": "Test-password-1", "display_name": "N"})):
        assert reply.status == 500, reply.body
        assert reply.body == {"code": "internal_error", "message": reply.body["message"], "field": None}
        assert "Traceback" not in json.dumps(reply.body)
    assert api.get("/me", user).status == 403  # the token's audience is no longer this client: denied, not a 500


def test_an_unknown_key_id_in_a_token_is_refused(api: ApiClient) -> None:
    forged = User("x", "x@example.com", "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJ4In0.c2ln")
    for _ in range(3):
        assert api.get("/me", forged).status == 403


def test_sizes_dynamodb_cannot_store_and_far_future_bookings_are_refused(api: ApiClient, world: dict[str, Any]) -> None:
    owner, parker, space = world["owner"], world["parker"], world["space"]
    big = api.post("/carparks", owner, {"name": "Big", "kind": "public", "address": "Dam 4", "lots": [f"{n:04d}" + "L" * 5000 for n in range(100)]})
    refused(big, 400)
    far = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "AB12CD", "start": at(24 * 400), "end": at(24 * 400 + 2)})
    assert (far.status, far.body["field"]) == (400, "start"), far.body

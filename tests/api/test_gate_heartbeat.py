"""Heartbeats over HTTPS and gate commands: signed like gate events (same headers, skew and refusals), recorded only
when newer than the last one, answered with the device's pending commands, which stop once acknowledged or expired."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.signing import gate_request
from tests.helpers import ApiClient, Reply, User, at
from tests.order_helpers import Gate, World, make_world


@dataclass
class Scene:
    world: World
    owner: User
    gate: Gate


@pytest.fixture
def scene(api: ApiClient) -> Iterator[Scene]:
    world = make_world(api)
    owner = api.sign_up()
    cp = world.carpark(owner)
    yield Scene(world, owner, world.gate(owner, cp["carpark_id"]))
    bootstrap.override(None)


def beat(s: Scene, body: dict[str, Any] | None = None, *, ts: int | None = None, secret: str | None = None) -> Reply:
    signed_at = ts if ts is not None else int(s.world.clock.now().timestamp())
    raw, headers = gate_request(s.gate.device_id, (secret or s.gate.secret).encode(), body or {"firmware": "cam-2.4.1"}, signed_at)
    return s.world.raw("/gate/heartbeat", raw, headers)


def health(s: Scene) -> dict[str, Any]:
    r = s.world.api.get(f"/carparks/{s.gate.carpark_id}/devices", s.owner)
    assert r.status == 200, r.body
    [device] = [d for d in r.body["devices"] if d["device_id"] == s.gate.device_id]
    return dict(device["health"])


def command(s: Scene, action: str = "open", reason: str = "exit read failed", **extra: Any) -> dict[str, Any]:
    r = s.world.api.post(f"/carparks/{s.gate.carpark_id}/devices/{s.gate.device_id}/commands", s.owner,
                         {"action": action, "reason": reason, **extra})
    assert r.status == 201, r.body
    return dict(r.body)


def test_a_heartbeat_is_recorded_and_shown_in_the_device_list(scene: Scene) -> None:
    assert health(scene) == {"last_heartbeat_at": None, "firmware": None, "status": {}, "via": None, "quiet": True}
    r = beat(scene, {"firmware": "cam-2.4.1", "status": {"temperature_c": 41.5, "camera": "ok", "door_open": False}})
    assert r.status == 200, r.body
    assert r.body == {"device_id": scene.gate.device_id, "received_at": r.body["received_at"], "acked": [], "commands": []}
    assert health(scene) == {"last_heartbeat_at": r.body["received_at"], "firmware": "cam-2.4.1", "via": "https", "quiet": False,
                             "status": {"temperature_c": 41.5, "camera": "ok", "door_open": False}}


def test_a_device_silent_for_more_than_five_minutes_is_quiet(scene: Scene) -> None:
    assert beat(scene).status == 200
    scene.world.clock.advance(minutes=5)
    assert health(scene)["quiet"] is False
    scene.world.clock.advance(seconds=1)
    assert health(scene)["quiet"] is True


@pytest.mark.parametrize(("kind", "code"), [("unsigned", "unsigned"), ("bad_signature", "bad_signature"), ("stale", "stale_request")])
def test_a_heartbeat_not_signed_now_by_the_device_is_refused_and_changes_nothing(scene: Scene, kind: str, code: str) -> None:
    now = int(scene.world.clock.now().timestamp())
    if kind == "unsigned":
        r = scene.world.raw("/gate/heartbeat", b'{"firmware":"x"}', {"X-Gate-Device": scene.gate.device_id})
    elif kind == "bad_signature":
        r = beat(scene, secret="gs_not-the-device-secret")
    else:
        r = beat(scene, ts=now - 301)
    assert (r.status, r.body["code"]) == (401, code)
    assert health(scene)["last_heartbeat_at"] is None


def test_a_replayed_heartbeat_is_refused_and_changes_nothing(scene: Scene) -> None:
    cmd = command(scene)
    ts = int(scene.world.clock.now().timestamp())
    first = beat(scene, {"firmware": "cam-2.4.1", "acks": []}, ts=ts)
    assert first.status == 200
    scene.world.clock.advance(seconds=30)
    replay = beat(scene, {"firmware": "cam-2.4.1", "acks": []}, ts=ts)  # the same signed request, captured and sent again
    assert (replay.status, replay.body["code"]) == (409, "heartbeat_replayed")
    older = beat(scene, {"firmware": "cam-2.4.1", "acks": [cmd["command_id"]]}, ts=ts - 10)  # an older one, even signed anew
    assert (older.status, older.body["code"]) == (409, "heartbeat_replayed")
    assert health(scene)["last_heartbeat_at"] == first.body["received_at"]
    assert [c["command_id"] for c in beat(scene, ts=ts + 30).body["commands"]] == [cmd["command_id"]]  # the ack did not count


def test_a_pending_command_is_delivered_until_acknowledged_then_no_more(scene: Scene) -> None:
    cmd = command(scene, reason="driver without a ticket, let out by staff")
    assert cmd["state"] == "pending" and cmd["issued_by"] == scene.owner.user_id
    first = beat(scene)
    assert [c["command_id"] for c in first.body["commands"]] == [cmd["command_id"]]
    assert first.body["commands"][0] | {} == {"type": "command", "command_id": cmd["command_id"], "action": "open",
                                              "reason": "driver without a ticket, let out by staff", "issued_at": cmd["issued_at"],
                                              "expires_at": cmd["expires_at"], "reservation_id": None}
    scene.world.clock.advance(seconds=10)
    again = beat(scene)  # not acknowledged yet: delivered again (at least once)
    assert [c["command_id"] for c in again.body["commands"]] == [cmd["command_id"]]
    scene.world.clock.advance(seconds=10)
    acked = beat(scene, {"firmware": "cam-2.4.1", "acks": [cmd["command_id"], "cmd_unknown"]})
    assert acked.body["acked"] == [cmd["command_id"]] and acked.body["commands"] == []
    scene.world.clock.advance(seconds=10)
    later = beat(scene, {"firmware": "cam-2.4.1", "acks": [cmd["command_id"]]})  # acknowledging twice is harmless
    assert later.body == {**later.body, "acked": [], "commands": []}


def test_an_event_can_acknowledge_a_command(scene: Scene) -> None:
    cmd = command(scene, action="refuse", reason="car park full")
    r = scene.world.send(scene.gate, scene.gate.event("entry", "ZZ99ZZ", acks=[cmd["command_id"]]))
    assert r.status == 200, r.body
    scene.world.clock.advance(seconds=5)
    assert beat(scene).body["commands"] == []


def test_a_command_expires_so_a_late_open_never_lifts_the_barrier(scene: Scene) -> None:
    cmd = command(scene, ttl_s=60)
    scene.world.clock.advance(seconds=59)
    assert [c["command_id"] for c in beat(scene).body["commands"]] == [cmd["command_id"]]
    scene.world.clock.advance(seconds=1)
    assert beat(scene).body["commands"] == []


def test_heartbeat_bodies_are_bounded(scene: Scene) -> None:
    too_many = {f"field_{i}": i for i in range(17)}
    for body, field in [({"firmware": ""}, "firmware"), ({"firmware": "x", "status": too_many}, "status"),
                        ({"firmware": "x", "status": {"Bad Key": 1}}, "status.Bad Key"),
                        ({"firmware": "x", "status": {"log": "x" * 121}}, "status.log"),
                        ({"firmware": "x", "acks": ["a"] * 21}, "acks"), ({"firmware": "x", "status": {"nested": {"a": 1}}}, "status.nested")]:
        scene.world.clock.advance(seconds=1)
        r = beat(scene, body)
        assert (r.status, r.body["field"]) == (400, field), body
    assert health(scene)["last_heartbeat_at"] is None


def test_staff_of_the_car_park_may_order_the_gate_and_a_revoked_device_takes_no_command(scene: Scene) -> None:
    api = scene.world.api
    staff = api.sign_up(roles=("parker",))
    invited = api.post(f"/carparks/{scene.gate.carpark_id}/staff", scene.owner, {"user_id": staff.user_id})
    assert invited.status == 201, invited.body
    refused = api.post(f"/carparks/{scene.gate.carpark_id}/devices/{scene.gate.device_id}/commands", staff,
                       {"action": "open", "reason": "not yet staff"})
    assert refused.status == 404, refused.body  # an invitation is not a membership until accepted
    assert api.post(f"/me/staff-invitations/{scene.gate.carpark_id}/accept", staff).status == 200
    staff = _signed_in_again(api, staff)
    r = api.post(f"/carparks/{scene.gate.carpark_id}/devices/{scene.gate.device_id}/commands", staff, {"action": "open", "reason": "let in"})
    assert r.status == 201, r.body
    assert r.body["issued_by"] == staff.user_id
    assert api.post(f"/carparks/{scene.gate.carpark_id}/devices/{scene.gate.device_id}/revoke", scene.owner).status == 200
    r = api.post(f"/carparks/{scene.gate.carpark_id}/devices/{scene.gate.device_id}/commands", scene.owner,
                 {"action": "open", "reason": "too late"})
    assert (r.status, r.body["code"]) == (422, "device_revoked")


def _signed_in_again(api: ApiClient, user: User) -> User:
    """The staff group travels in the ID token: sign in again after joining."""
    from tests.helpers import PASSWORD

    r = api.post("/auth/signin", body={"email": user.email, "password": PASSWORD})
    assert r.status == 200, r.body
    return User(user.user_id, user.email, r.body["id_token"])


def test_a_device_holds_at_most_ten_waiting_commands(scene: Scene) -> None:
    for _ in range(10):
        command(scene)
    r = scene.world.api.post(f"/carparks/{scene.gate.carpark_id}/devices/{scene.gate.device_id}/commands", scene.owner,
                             {"action": "open", "reason": "one more"})
    assert (r.status, r.body["code"]) == (409, "too_many_pending")
    assert len(beat(scene).body["commands"]) == 10


def test_an_open_command_bills_nothing(scene: Scene) -> None:
    api, w = scene.world.api, scene.world
    parker = api.sign_up(roles=("parker",))
    space = api.approved_space(scene.owner, w.admin, carpark_id=scene.gate.carpark_id, lot="A1")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    booked = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "LT-01-XX", "start": at(1), "end": at(2)})
    assert booked.status == 201, booked.body
    before = w.reservation(parker, booked.body["reservation_id"])
    command(scene, reason="let out a car with no entry record")
    assert beat(scene).body["commands"][0]["reservation_id"] is None
    assert w.reservation(parker, booked.body["reservation_id"]) == before  # no stay started or ended, nothing charged

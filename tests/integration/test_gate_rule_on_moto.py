"""Gate devices on AWS IoT, on moto: registration makes the Thing and the certificate (AWS IoT's own
CreateKeysAndCertificate), and the gate_events function, called with the event the topic rule's SQL produces, applies
the same decision as the webhook, answers on the device's command topic with iot-data Publish (QoS 1), has one effect
for a redelivered message, and refuses a connection that is not an active device's current certificate. Its logs
carry the gate event's own correlation id (<device>#<event id>), which a QoS-1 redelivery shares
(docs/observability.md)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.local import LambdaContext
from moto.iotdata.models import iotdata_backends

import app
from chalicelib import bootstrap, config
from chalicelib.domain.gate_devices import command_topic
from infra import localstack
from infra.mqtt_local import RuleBridge
from tests.helpers import ApiClient, User, at
from tests.observability_helpers import Lines
from tests.order_helpers import World, make_world

IOT_RULE = json.loads((Path(__file__).resolve().parents[2] / "infra" / "iot.json").read_text())
ACCOUNT = "123456789012"


@dataclass
class Scene:
    world: World
    owner: User
    parker: User
    carpark_id: str
    device: dict[str, Any]
    reservation_id: str

    @property
    def thing(self) -> str:
        return str(self.device["thing_name"])


def published(topic: str) -> list[dict[str, Any]]:
    return [json.loads(p) for t, p in iotdata_backends[ACCOUNT][localstack.REGION].published_payloads if t == topic]


@pytest.fixture
def scene(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    monkeypatch.setenv("CP_DEVICE_CERTIFICATES", "iot")  # as on AWS: IoT makes the key pair and the certificate
    monkeypatch.setenv("CP_GATE_COMMANDS", "iot-data")
    monkeypatch.delenv("CP_MQTT_ENDPOINT", raising=False)
    world = make_world(api)
    owner, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(owner)
    r = api.post(f"/carparks/{cp['carpark_id']}/devices", owner, {"name": "barrier", "mqtt": True})
    assert r.status == 201, r.body
    space = api.approved_space(owner, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    booked = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "MQ-77-TT", "start": at(1), "end": at(3)})
    assert booked.status == 201, booked.body
    world.clock.set(world.at(1) + timedelta(minutes=2))
    yield Scene(world, owner, parker, cp["carpark_id"], dict(r.body), booked.body["reservation_id"])
    bootstrap.override(None)


def rule_event(s: Scene, message: dict[str, Any] | bytes, *, kind: str = "events", client_id: str | None = None,
               thing: str | None = None, principal: str | None = None) -> dict[str, Any]:
    """What the rule's SELECT makes of a message published on $aws/rules/<rule>/carparker/gates/<thing>/<kind>."""
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return {"payload": base64.b64encode(raw).decode(), "thing_name": thing or s.thing, "kind": kind,
            "client_id": client_id or thing or s.thing, "principal": principal or s.device["certificate_id"],
            "received_ms": int(s.world.clock.now().timestamp() * 1000)}


def state(s: Scene) -> str:
    return str(s.world.reservation(s.parker, s.reservation_id)["state"])


def test_registration_makes_a_thing_and_an_active_certificate_under_the_device_policy(scene: Scene) -> None:
    iot = boto3.client("iot", region_name=localstack.REGION)
    cert = scene.device["certificate"]
    assert scene.thing == f"{config.resource_prefix()}-{scene.device['device_id']}" == cert["thing_name"]
    assert cert["private_key_pem"].startswith("-----BEGIN") and cert["certificate_pem"].startswith("-----BEGIN CERTIFICATE")
    assert cert["endpoint"]["port"] == 8883 and cert["endpoint"]["host"]
    rule = f"{config.resource_prefix().replace('-', '_')}_gate_ingest"
    assert cert["topics"] == {"events": f"$aws/rules/{rule}/carparker/gates/{scene.thing}/events",
                              "heartbeat": f"$aws/rules/{rule}/carparker/gates/{scene.thing}/heartbeat",
                              "commands": f"carparker/commands/{scene.thing}"}
    described = iot.describe_certificate(certificateId=cert["certificate_id"])["certificateDescription"]
    assert described["status"] == "ACTIVE"
    assert [p["policyName"] for p in iot.list_attached_policies(target=described["certificateArn"])["policies"]] == [
        config.gate_device_policy()]
    assert iot.list_thing_principals(thingName=scene.thing)["principals"] == [described["certificateArn"]]
    listed = scene.world.api.get(f"/carparks/{scene.carpark_id}/devices", scene.owner).body["devices"]
    assert [(d["thing_name"], d["certificate"]) for d in listed] == [(scene.thing, None)]  # the key is never shown again


def test_a_rule_event_lets_the_reserved_car_in_and_the_answer_goes_to_the_devices_command_topic(scene: Scene) -> None:
    out = app.gate_events(rule_event(scene, {"event_id": "m-1", "direction": "entry", "plate": "MQ77TT", "confidence": 0.99}), None)
    assert out == {"event_id": "m-1", "decision": "open", "replayed": False}
    assert state(scene) == "entered"
    [answer] = published(command_topic(scene.thing))
    assert answer | {} == {**answer, "type": "decision", "command_id": "event:m-1", "action": "open", "reason": "reservation",
                           "reservation_id": scene.reservation_id}


def test_a_redelivered_qos1_message_has_one_effect_and_gets_the_same_answer(scene: Scene) -> None:
    event = rule_event(scene, {"event_id": "m-2", "direction": "entry", "plate": "MQ77TT"})
    first = app.gate_events(event, None)
    scene.world.clock.advance(seconds=3)
    again = app.gate_events({**event, "received_ms": event["received_ms"] + 3000}, None)
    assert (first["replayed"], again["replayed"]) == (False, True)
    answers = published(command_topic(scene.thing))
    assert [a["command_id"] for a in answers] == ["event:m-2", "event:m-2"] and answers[0] == answers[1]
    moves = scene.world.api.get(f"/carparks/{scene.carpark_id}/movements", scene.owner).body["movements"]
    assert len(moves) == 1 and state(scene) == "entered"


def test_the_same_event_id_and_path_decide_alike_over_https_and_mqtt(scene: Scene) -> None:
    # A device with both credentials: the HTTPS event and the MQTT event share one idempotency key.
    from tests.order_helpers import Gate

    gate = Gate(scene.device["device_id"], scene.device["secret"], scene.carpark_id)
    body = {"event_id": "both-1", "direction": "entry", "plate": "MQ77TT"}
    https = scene.world.send(gate, body)
    assert https.status == 200 and https.body["decision"] == "open"
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()  # the bytes the HTTPS device signed
    out = app.gate_events(rule_event(scene, raw), None)
    assert out == {"event_id": "both-1", "decision": "open", "replayed": True}
    assert published(command_topic(scene.thing))[0]["reservation_id"] == https.body["reservation_id"]


@pytest.mark.parametrize("who", ["wrong_client", "unknown_thing", "other_stage", "old_certificate"])
def test_a_connection_that_is_not_the_devices_current_identity_is_refused_and_changes_nothing(scene: Scene, who: str) -> None:
    message = {"event_id": f"x-{who}", "direction": "entry", "plate": "MQ77TT"}
    if who == "wrong_client":
        event = rule_event(scene, message, client_id=f"{scene.thing}-other")
    elif who == "unknown_thing":
        event = rule_event(scene, message, thing=f"{config.resource_prefix()}-gd_nosuchdevice00000000")
    elif who == "other_stage":
        event = rule_event(scene, message, thing=f"carparker-prod-{scene.device['device_id']}")
    else:
        event = rule_event(scene, message, principal="0" * 64)
    expected = {"wrong_client": "wrong_client", "unknown_thing": "unknown_device", "other_stage": "unknown_device",
                "old_certificate": "certificate_revoked"}[who]
    assert app.gate_events(event, None) == {"refused": expected}
    assert state(scene) == "reserved"
    assert published(command_topic(scene.thing)) == []


def test_a_revoked_device_is_refused_and_its_certificate_deactivated(scene: Scene) -> None:
    r = scene.world.api.post(f"/carparks/{scene.carpark_id}/devices/{scene.device['device_id']}/revoke", scene.owner)
    assert r.status == 200, r.body
    iot = boto3.client("iot", region_name=localstack.REGION)
    assert iot.describe_certificate(certificateId=scene.device["certificate_id"])["certificateDescription"]["status"] == "INACTIVE"
    assert app.gate_events(rule_event(scene, {"event_id": "r-1", "direction": "entry", "plate": "MQ77TT"}), None) == {
        "refused": "device_revoked"}
    assert state(scene) == "reserved"


def test_rotation_issues_a_new_certificate_and_the_old_one_stops(scene: Scene) -> None:
    r = scene.world.api.post(f"/carparks/{scene.carpark_id}/devices/{scene.device['device_id']}/rotate", scene.owner)
    assert r.status == 200, r.body
    new = r.body["certificate"]
    assert new["certificate_id"] != scene.device["certificate_id"] and new["private_key_pem"]
    iot = boto3.client("iot", region_name=localstack.REGION)
    status = {c: iot.describe_certificate(certificateId=c)["certificateDescription"]["status"]
              for c in (scene.device["certificate_id"], new["certificate_id"])}
    assert status == {scene.device["certificate_id"]: "INACTIVE", new["certificate_id"]: "ACTIVE"}
    old = rule_event(scene, {"event_id": "o-1", "direction": "entry", "plate": "MQ77TT"})
    assert app.gate_events(old, None) == {"refused": "certificate_revoked"}
    assert app.gate_events({**old, "principal": new["certificate_id"]}, None)["decision"] == "open"


def test_bad_input_is_answered_on_the_command_topic_and_changes_nothing(scene: Scene) -> None:
    out = app.gate_events(rule_event(scene, b"not json"), None)
    assert out == {"event_id": None, "error": "invalid_input"}
    out = app.gate_events(rule_event(scene, {"event_id": "b-1", "direction": "sideways", "plate": "MQ77TT"}), None)
    assert out == {"event_id": "b-1", "error": "invalid_input"}
    assert [(a["type"], a["event_id"], a["field"]) for a in published(command_topic(scene.thing))] == [
        ("error", None, "body"), ("error", "b-1", "direction")]
    assert state(scene) == "reserved"


def test_an_mqtt_heartbeat_is_recorded_and_gets_the_pending_commands_resent_until_acknowledged(scene: Scene) -> None:
    api = scene.world.api
    cmd = api.post(f"/carparks/{scene.carpark_id}/devices/{scene.device['device_id']}/commands", scene.owner,
                   {"action": "open", "reason": "ticket machine broken"}).body
    assert [m["command_id"] for m in published(command_topic(scene.thing))] == [cmd["command_id"]]  # at once, on MQTT
    app.gate_events(rule_event(scene, {"firmware": "gw-1.2"}, kind="heartbeat"), None)
    scene.world.clock.advance(seconds=30)
    app.gate_events(rule_event(scene, {"firmware": "gw-1.2", "acks": [cmd["command_id"]]}, kind="heartbeat"), None)
    _, first, second = published(command_topic(scene.thing))
    assert (first["type"], [c["command_id"] for c in first["commands"]], first["acked"]) == ("heartbeat", [cmd["command_id"]], [])
    assert (second["type"], second["commands"], second["acked"]) == ("heartbeat", [], [cmd["command_id"]])
    [device] = api.get(f"/carparks/{scene.carpark_id}/devices", scene.owner).body["devices"]
    assert (device["health"]["via"], device["health"]["firmware"], device["health"]["quiet"]) == ("mqtt", "gw-1.2", False)


def test_the_rule_event_is_what_the_rules_sql_selects_and_what_the_local_bridge_builds() -> None:
    sql = IOT_RULE["Resources"]["GateIngestRule"]["Properties"]["TopicRulePayload"]["Sql"]
    selected = set(re.findall(r"AS (\w+)", sql))
    assert selected == {"payload", "thing_name", "kind", "client_id", "principal", "received_ms"}
    assert "FROM 'carparker/gates/+/+'" in sql
    bridge = RuleBridge("carparker_local_gate_ingest", authorizer=_NoSessions(), handler=lambda e: None, errors_queue=None,
                        region=localstack.REGION)
    try:
        built = bridge.event("carparker-local-gd_x", "$aws/rules/carparker_local_gate_ingest/carparker/gates/carparker-local-gd_x/events",
                             b"{}")
        assert built is not None and set(built) == selected
        assert (built["thing_name"], built["kind"], built["client_id"]) == ("carparker-local-gd_x", "events", "carparker-local-gd_x")
        assert bridge.event("c", "$aws/rules/another_rule/carparker/gates/c/events", b"{}") is None  # another rule's message
        assert bridge.event("c", "$aws/rules/carparker_local_gate_ingest/elsewhere/c", b"{}") is None  # outside the FROM
    finally:
        bridge.pool.shutdown()


class _NoSessions:
    sessions: dict[str, Any] = {}


# ---------------------------------------------------------------- logs and metrics (docs/observability.md)


Read = Callable[[], Lines]


def invoke(event: dict[str, object]) -> object:
    return app.gate_events(event, LambdaContext("gate_events", 256))


def test_every_line_of_a_gate_event_carries_the_events_own_correlation_id(scene: Scene, stdout: Read) -> None:
    stdout()
    event = rule_event(scene, {"event_id": "obs-1", "direction": "entry", "plate": "MQ77TT", "confidence": 0.99})
    assert invoke(event) == {"event_id": "obs-1", "decision": "open", "replayed": False}
    lines = stdout()
    cid = f"{scene.device['device_id']}#obs-1"
    decided = [x for x in lines.logs if x["message"] == "gate decision"]
    assert [(x["decision"], x["reason"], x["reservation_id"], x["gate_event"]) for x in decided] == [
        ("open", "reservation", scene.reservation_id, cid)]
    [done] = [x for x in lines.logs if x["message"] == "function done"]
    assert done["function_name"] == "gate_events" and done["level"] == "INFO"
    assert {x["correlation_id"] for x in lines.logs} == {cid}  # the decision, the stay's start and the function's own line
    [(value, dims)] = lines.metric("GateDecisions")
    assert (value, dims) == (1.0, {"stage": "local", "direction": "entry", "outcome": "open", "reason": "reservation"})
    assert [m["correlation_id"] for m in lines.metrics if "GateDecisions" in m] == [cid]


def test_a_redelivery_shares_the_correlation_id_and_is_not_decided_again(scene: Scene, stdout: Read) -> None:
    event = rule_event(scene, {"event_id": "obs-2", "direction": "entry", "plate": "MQ77TT"})
    invoke(event)
    stdout()
    again = invoke({**event, "received_ms": event["received_ms"] + 3000})
    assert again == {"event_id": "obs-2", "decision": "open", "replayed": True}
    lines = stdout()
    assert {x["correlation_id"] for x in lines.logs} == {f"{scene.device['device_id']}#obs-2"}
    assert lines.metric("GateDecisions") == [] and "gate decision" not in [x["message"] for x in lines.logs]


def test_a_refused_connection_is_counted_by_reason_and_logged_without_the_message(scene: Scene, stdout: Read) -> None:
    stdout()
    event = rule_event(scene, {"event_id": "obs-3", "direction": "entry", "plate": "MQ77TT"}, principal="0" * 64)
    assert invoke(event) == {"refused": "certificate_revoked"}
    lines = stdout()
    assert lines.metric("GateMessagesRejected") == [(1.0, {"stage": "local", "path": "mqtt", "reason": "certificate_revoked"})]
    [refused] = [x for x in lines.logs if x["level"] == "WARNING"]
    assert "certificate_revoked" in refused["message"] and "MQ77TT" not in lines.text
    assert len({x["correlation_id"] for x in lines.logs}) == 1  # the invocation's own request id

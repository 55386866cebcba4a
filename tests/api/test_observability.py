"""Logs and metrics of the API function, read from what it prints: JSON records that carry one correlation id per
request (the caller's X-Correlation-Id when sane, echoed back), EMF lines for reservations, gate decisions and
payment failures, and no plate, email, token, password or device secret anywhere (docs/observability.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from chalicelib import bootstrap
from tests.helpers import PASSWORD, ApiClient, at
from tests.observability_helpers import Lines
from tests.order_helpers import World, make_world

Read = Callable[[], Lines]


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api, real_ledger=True)
    bootstrap.override(None)


def test_a_request_carries_the_callers_correlation_id_in_every_line_and_in_the_response(world: World, stdout: Read) -> None:
    user = world.api.sign_up()
    stdout()
    r = world.api.get("/me", user, headers={"X-Correlation-Id": "web-5f1c2a9e"})
    assert r.status == 200 and r.headers["X-Correlation-Id"] == "web-5f1c2a9e"
    lines = stdout()
    [access] = [x for x in lines.logs if x["message"] == "request"]
    assert access["correlation_id"] == "web-5f1c2a9e" and access["service"] == "carparker"
    assert (access["method"], access["route"], access["status"]) == ("GET", "/me", 200)
    assert access["level"] == "INFO" and access["function_name"] == "api_handler" and "duration_ms" in access
    assert {x["correlation_id"] for x in lines.logs} == {"web-5f1c2a9e"}


@pytest.mark.parametrize("sent", [None, "", "has spaces in it", "x" * 200, '{"json":1}', "-starts-with-a-dash"])
def test_a_request_without_a_sane_correlation_id_gets_one_of_its_own(world: World, stdout: Read, sent: str | None) -> None:
    headers = {"X-Correlation-Id": sent} if sent is not None else {}
    first = world.api.get("/health", headers=headers)
    second = world.api.get("/health", headers=headers)
    ids = [first.headers["X-Correlation-Id"], second.headers["X-Correlation-Id"]]
    assert sent not in ids and ids[0] != ids[1] and all(len(i) == 36 for i in ids)
    assert [x["correlation_id"] for x in stdout().logs if x["message"] == "request"] == ids


def test_the_browser_may_send_and_read_the_correlation_id(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CP_WEB_ORIGINS", "https://app.example.com")
    pre = world.api.call("OPTIONS", "/me", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
    assert "X-Correlation-Id" in pre.headers["Access-Control-Allow-Headers"].split(",")
    got = world.api.get("/health", headers={"Origin": "https://app.example.com"})
    assert "X-Correlation-Id" in got.headers["Access-Control-Expose-Headers"].split(",")


def _setup(world: World, token: str = "tok_visa") -> tuple[object, object, dict[str, object], object]:
    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    assert api.call("PUT", "/me/payment-method", parker, {"token": token}).status == 200
    return parker, gate, space, sharer


def test_reservations_made_and_refused_are_counted_with_the_refusals_reason(world: World, stdout: Read) -> None:
    parker, _gate, space, sharer = _setup(world)
    stdout()
    body = {"space_id": space["space_id"], "plate": "AB-123-C", "start": at(1), "end": at(3)}
    assert world.api.post("/reservations", parker, body, headers={"X-Correlation-Id": "book-1"}).status == 201
    assert world.api.post("/reservations", sharer, body).status == 422  # a sharer may not book their own space
    other = world.api.sign_up(roles=("parker",))
    assert world.api.post("/reservations", other, body).status == 409  # the slot is taken
    lines = stdout()
    assert lines.metric("ReservationsMade") == [(1.0, {"stage": "local"})]
    assert sorted(d["reason"] for _, d in lines.metric("ReservationsRefused")) == ["rule_violation", "slot_taken"]
    [made] = [m for m in lines.metrics if "ReservationsMade" in m]
    assert made["correlation_id"] == "book-1"  # the metric's line is found by the request's id too


def test_a_gate_event_is_one_decision_line_and_one_metric_under_the_requests_correlation_id(world: World, stdout: Read) -> None:
    parker, gate, space, _ = _setup(world)
    r = world.api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "AB-123-C", "start": at(1), "end": at(3)})
    rid = r.body["reservation_id"]
    world.clock.set(world.at(1) + timedelta(minutes=5))
    stdout()
    event = gate.event("entry", "AB 123 C")
    entry = world.send(gate, event, headers={"X-Correlation-Id": "cam-77-0001"})
    assert entry.body["decision"] == "open" and entry.headers["X-Correlation-Id"] == "cam-77-0001"
    assert world.send(gate, event).body["decision"] == "open"  # a redelivery: answered again, not decided again
    unknown = world.send(gate, gate.event("entry", "ZZ-999-Z"), headers={"X-Correlation-Id": "cam-77-0002"})
    assert unknown.body["decision"] == "deny"
    lines = stdout()
    decided = [x for x in lines.logs if x["message"] == "gate decision"]
    assert [(x["correlation_id"], x["decision"], x["reason"]) for x in decided] == [
        ("cam-77-0001", "open", "reservation"), ("cam-77-0002", "deny", "unknown_plate")]
    assert decided[0]["gate_event"] == f"{gate.device_id}#{event['event_id']}" and decided[0]["reservation_id"] == rid
    assert lines.metric("GateDecisions") == [
        (1.0, {"stage": "local", "direction": "entry", "outcome": "open", "reason": "reservation"}),
        (1.0, {"stage": "local", "direction": "entry", "outcome": "deny", "reason": "unknown_plate"})]
    bad = world.send(gate, gate.event("entry", "AB-123-C"), secret="not-the-secret")
    assert bad.status == 401
    assert stdout().metric("GateMessagesRejected") == [(1.0, {"stage": "local", "path": "https", "reason": bad.body["code"]})]


def test_a_declined_charge_is_one_payment_failure(world: World, stdout: Read) -> None:
    parker, gate, space, _ = _setup(world, token="tok_chargeDeclined")
    world.api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "AB-123-C", "start": at(1), "end": at(3)})
    world.clock.set(world.at(1) + timedelta(minutes=5))
    world.send(gate, gate.event("entry", "AB-123-C"))
    world.clock.set(world.at(2))
    world.send(gate, gate.event("exit", "AB-123-C"))
    stdout()
    world.clock.advance(seconds=20)
    world.settle_payments()
    world.settle_payments()  # nothing new to deliver: still one failure
    assert stdout().metric("PaymentFailures") == [(1.0, {"stage": "local", "kind": "declined"})]


def test_a_whole_journey_logs_no_plate_email_token_password_or_device_secret(world: World, stdout: Read) -> None:
    api = world.api
    sharer, parker = api.sign_up(email="sharer.jansen@example.com"), api.sign_up(roles=("parker",), email="p.devries@example.com")
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    rid = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "kx-404-q", "start": at(1), "end": at(3)},
                   headers={"Idempotency-Key": "journey-1"}).body["reservation_id"]
    api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "kx-404-q", "start": at(1), "end": at(3)})  # refused
    world.clock.set(world.at(1) + timedelta(minutes=5))
    assert world.send(gate, gate.event("entry", "KX 404 Q")).body["decision"] == "open"
    world.send(gate, gate.event("entry", "QQ-111-W"))  # an unknown plate: denied
    world.clock.set(world.at(2))
    assert world.send(gate, gate.event("exit", "KX404Q")).body["decision"] == "open"
    world.clock.advance(seconds=20)
    world.settle_payments()
    assert world.reservation(parker, rid)["state"] == "completed"
    world.orders.ledger.cut_due(force=True)
    api.get("/me/notifications", parker)
    api.get(f"/reservations/{rid}/receipt", parker)
    api.get("/me", parker, headers={"Authorization": "Bearer not-a-real-token"})  # a refused token is not logged either
    lines = stdout()
    assert {"request", "gate decision", "function done"} & {x["message"] for x in lines.logs}
    assert lines.metric("ReservationsMade") and lines.metric("GateDecisions") and lines.metric("BlocksCertified")
    secrets = {"plate": ["KX-404-Q", "KX404Q", "kx-404-q", "KX 404 Q", "QQ-111-W", "QQ111W"],
               "email": [sharer.email, parker.email, "jansen", "devries"],
               "token": [parker.token, sharer.token, parker.token.split(".")[2], "not-a-real-token"],
               "password": [PASSWORD], "device secret": [gate.secret]}
    for what, values in secrets.items():
        for value in values:
            assert value.lower() not in lines.text.lower(), f"the {what} {value!r} is in the logs"


def test_scheduled_and_validator_functions_log_under_their_own_request_id(api: ApiClient, stdout: Read) -> None:
    client = api.client
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:::rule/ledger_cutter"])
    assert "blocks" in client.lambda_.invoke("ledger_cutter", event).payload
    reply = client.lambda_.invoke("validator_0", {"log": "parent", "height": 0, "header": "not a header"}).payload
    assert reply["validator_id"] == "validator-0" and "error" in reply
    lines = stdout()
    done = {x["function_name"]: x for x in lines.logs if x["message"] == "function done"}
    assert set(done) == {"ledger_cutter", "validator_0"}
    for line in done.values():
        assert line["correlation_id"] == line["function_request_id"] and line["level"] == "INFO"
    [(value, dims)] = lines.metric("ValidatorRefusals")
    assert value == 1.0 and dims["validator"] == "validator-0"
    [refusal] = [m for m in lines.metrics if "ValidatorRefusals" in m]
    assert refusal["correlation_id"] == done["validator_0"]["correlation_id"]

"""Gate devices beside the webhook: MQTT through the IoT rule, heartbeats, commands (docs/gate.md).

Both device paths end in gate.apply_event: the same decision, idempotency by event id and ledger effects. Only the
authentication differs: an HMAC signature over HTTPS, or, on MQTT, the connection AWS IoT Core (or the local broker)
verified with the device's X.509 certificate, which the rule's event names (clientid(), principal(), topic(3)).
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import observability
from ..domain import jsontext
from ..domain.accounts import Principal
from ..domain.carparks import ACTIVE, Device
from ..domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
    UnauthenticatedError,
    UnavailableError,
)
from ..domain.gate_devices import (
    HEARTBEAT,
    HTTPS,
    INGEST_KINDS,
    MAX_PENDING,
    MQTT,
    GateCommand,
    Heartbeat,
    HeartbeatIn,
    command_topic,
    decision_message,
    device_of_thing,
    error_message,
    parse_acks,
    parse_heartbeat,
    thing_name,
)
from ..domain.timeutil import format_instant
from . import audit_log, carparks, gate
from .carparks import CarParks
from .device_ports import DeviceRuntime, IssuedCertificate

log = logging.getLogger(__name__)
MAX_PAYLOAD = gate.MAX_EVENT_BYTES  # the same bound on both paths; the rule's payload is bounded before decoding


class ThingIdentities:
    """carparks' Identities port on this stage's certificate issuer: one Thing per device, named after the stage."""

    def __init__(self, rt: DeviceRuntime) -> None:
        if rt.certificates is None:
            raise RuleViolationError("this stage issues no device certificates (MQTT devices need AWS IoT, or make run's broker)",
                                     field="mqtt", code="mqtt_unavailable")
        self.rt = rt
        self.certificates = rt.certificates

    def issue(self, device_id: str) -> IssuedCertificate:
        return self.certificates.issue(thing_name(self.rt.prefix, device_id))

    def deactivate(self, certificate_id: str) -> None:
        self.certificates.deactivate(certificate_id)


def identities_for(device: Device | None, want_mqtt: bool, rt: DeviceRuntime) -> ThingIdentities | None:
    return ThingIdentities(rt) if want_mqtt or (device is not None and device.thing_name) else None


def identities_of(device_id: str, o: CarParks, rt: DeviceRuntime) -> ThingIdentities | None:
    """The MQTT identities a device's rotation or revocation must renew or deactivate: its own, if it has a Thing."""
    try:
        device = o.devices.get(device_id)
    except NotFoundError:
        return None  # the car-park service says 404 after its ownership check
    return identities_for(device, False, rt)


def _loads(raw: bytes) -> Any:
    """Bounded before parsing (size and nesting), as every body is: a refusal is a 400 on `body`, never a 500."""
    return jsontext.loads(raw, max_bytes=MAX_PAYLOAD, what="device message")


# ---------------------------------------------------------------- acknowledgements and heartbeats


def acknowledge(rt: DeviceRuntime, device: Device, acks: tuple[str, ...], at: datetime) -> list[str]:
    """Commands the device confirms (by id, from a heartbeat or an event); each stops being resent. Unknown ids and
    ids already acknowledged change nothing (a retried heartbeat acknowledges again)."""
    return [command_id for command_id in acks if rt.state.acknowledge(device.device_id, command_id, at)]


def _heartbeat(rt: DeviceRuntime, device: Device, beat: HeartbeatIn, at: datetime, via: str, now: datetime) -> tuple[bool, list[str], list[GateCommand]]:
    recorded = rt.state.record_heartbeat(Heartbeat(device.device_id, at, beat.firmware, beat.status, via))
    acked = acknowledge(rt, device, beat.acks, at) if recorded or via == MQTT else []
    return recorded, acked, rt.state.pending(device.device_id, now, MAX_PENDING)


def heartbeat_https(device_id: str | None, timestamp: str | None, signature: str | None, raw: bytes, *, o: gate.Gate,
                    rt: DeviceRuntime, settings: gate.GateSettings) -> dict[str, Any]:
    """POST /gate/heartbeat: signed like gate events. Records the beat, takes acknowledgements, answers with the
    pending commands. A heartbeat signed at or before the last one recorded is a replay: refused, nothing changes."""
    device, signed_at = gate.authenticate(device_id, timestamp, signature, raw, o=o, settings=settings)
    beat = parse_heartbeat(_loads(raw))
    recorded, acked, pending = _heartbeat(rt, device, beat, signed_at.astimezone(UTC), HTTPS, o.clock.now())
    if not recorded:
        raise ConflictError("a heartbeat signed at this time or later was already received", field="X-Gate-Timestamp",
                            code="heartbeat_replayed")
    return {"device_id": device.device_id, "received_at": format_instant(signed_at), "acked": acked,
            "commands": [c.message() for c in pending]}


def receive_https_event(device_id: str | None, timestamp: str | None, signature: str | None, raw: bytes, *, o: gate.Gate,
                        rt: DeviceRuntime, settings: gate.GateSettings) -> gate.GateReply:
    """POST /gate/events: the webhook, which may also acknowledge commands (an "acks" list in the body)."""
    device, signed_at = gate.authenticate(device_id, timestamp, signature, raw, o=o, settings=settings)
    data = _loads(raw)
    acks = parse_acks(data) if isinstance(data, dict) else ()
    reply = gate.apply_event(o, device, raw, signed_at, settings)
    acknowledge(rt, device, acks, signed_at.astimezone(UTC))
    return reply


# ---------------------------------------------------------------- commands


def enqueue_command(principal: Principal, carpark_id: str, device_id: str, *, action: str, reason: str, o: CarParks,
                    rt: DeviceRuntime, ttl_s: int | None = None) -> GateCommand:
    """A staff member (or the owner, or an admin) orders a gate to open or refuse, with a reason. The command is kept
    (who, why, when) and delivered at least once until the device acknowledges it or it expires: in the reply to the
    device's next signed heartbeat, and at once on its command topic if it is on MQTT. A command bills nothing."""
    carpark = carparks.viewed(principal, carpark_id, o)
    device = o.devices.get(device_id)
    if device.carpark_id != carpark.carpark_id:
        raise NotFoundError("no such device", field="device_id")
    if device.status != ACTIVE:
        raise RuleViolationError("the device is revoked", field="device_id", code="device_revoked")
    now = o.clock.now()
    if len(rt.state.pending(device.device_id, now, MAX_PENDING)) >= MAX_PENDING:
        raise ConflictError(f"the device already has {MAX_PENDING} commands waiting", field="device_id", code="too_many_pending")
    ttl = rt.command_ttl_s if ttl_s is None else ttl_s
    command = GateCommand(device.device_id, f"cmd_{now.strftime('%Y%m%dT%H%M%S')}_{o.new_id()[:12]}", action, reason.strip(),
                          principal.user_id, now, now + timedelta(seconds=ttl))
    rt.state.add_command(command)
    audit_log.record(o, principal, carpark, "device.command", f"device:{device.device_id}", f"{action}: {command.reason}",
                     {"command_id": command.command_id})
    if device.thing_name:
        _publish_best_effort(rt, device, command.message())
    return command


def _publish_best_effort(rt: DeviceRuntime, device: Device, message: dict[str, Any]) -> None:
    """The command is stored first; if the topic cannot be reached now, the device's next heartbeat gets it."""
    if rt.channel is None or device.thing_name is None:
        return
    try:
        rt.channel.publish(command_topic(device.thing_name), message)
    except DomainError:
        log.warning("command for %s not published now; it stays pending", device.device_id, exc_info=True)


def health(device: Device, beat: Heartbeat | None, now: datetime, quiet_after_s: int) -> dict[str, Any]:
    """A device's last heartbeat, and whether it has been quiet for longer than allowed (docs/gate.md)."""
    if beat is None:
        return {"last_heartbeat_at": None, "firmware": None, "status": {}, "via": None, "quiet": device.status == ACTIVE}
    quiet = device.status == ACTIVE and (now - beat.at).total_seconds() > quiet_after_s
    return {"last_heartbeat_at": format_instant(beat.at), "firmware": beat.firmware, "status": dict(beat.status), "via": beat.via,
            "quiet": quiet}


def devices_with_health(principal: Principal, carpark_id: str, *, o: CarParks, rt: DeviceRuntime) -> list[tuple[Device, dict[str, Any]]]:
    devices = carparks.devices(principal, carpark_id, o=o)
    beats = rt.state.heartbeats([d.device_id for d in devices]) if devices else {}
    now = o.clock.now()
    return [(d, health(d, beats.get(d.device_id), now, rt.quiet_after_s)) for d in devices]


# ---------------------------------------------------------------- MQTT: the IoT rule's events


@dataclass(frozen=True)
class RuleEvent:
    """What the topic rule's SQL hands the gate_events function (infra/iot.json)."""

    payload: bytes
    thing_name: str
    kind: str
    client_id: str
    principal: str | None
    received_at: datetime


def parse_rule_event(event: Any) -> RuleEvent:
    if not isinstance(event, dict):
        raise InvalidInputError("the rule's event must be an object", field="event")
    encoded = event.get("payload")
    if not isinstance(encoded, str) or len(encoded) > MAX_PAYLOAD * 4 // 3 + 4:
        raise InvalidInputError(f"payload must be the base64 message, at most {MAX_PAYLOAD} bytes", field="payload")
    try:
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("payload is not base64", field="payload") from None
    names = [event.get(k) for k in ("thing_name", "kind", "client_id")]
    if not all(isinstance(n, str) and n for n in names):
        raise InvalidInputError("the rule's event names the thing, the kind and the client id", field="thing_name")
    received = event.get("received_ms")
    if not isinstance(received, int) or isinstance(received, bool) or received <= 0:
        raise InvalidInputError("received_ms must be the rule's timestamp() in milliseconds", field="received_ms")
    principal = event.get("principal")
    return RuleEvent(payload, str(names[0]), str(names[1]), str(names[2]), principal if isinstance(principal, str) else None,
                     datetime.fromtimestamp(received // 1000, UTC))


def mqtt_device(o: gate.Gate, rt: DeviceRuntime, ev: RuleEvent) -> Device:
    """The verified connection must be an active registered device's: client id = Thing name = the topic's Thing, the
    Thing this stage registered for the device, and the certificate the device currently holds."""
    if ev.client_id != ev.thing_name:
        raise UnauthenticatedError("the MQTT client id is not the Thing named in the topic", code="wrong_client")
    device_id = device_of_thing(rt.prefix, ev.thing_name)
    if device_id is None:
        raise UnauthenticatedError("the Thing is not one of this stage's gate devices", code="unknown_device")
    device = gate.active_device(o, device_id)
    if device.thing_name != ev.thing_name or device.certificate_id is None:
        raise UnauthenticatedError("the device is not registered for MQTT", code="unknown_device")
    if ev.principal is not None and ev.principal != device.certificate_id:
        raise UnauthenticatedError("the connection's certificate is not the device's current one", code="certificate_revoked")
    return device


def handle_rule_event(event: Any, *, o: gate.Gate, rt: DeviceRuntime, settings: gate.GateSettings) -> dict[str, Any]:
    """The gate_events function. Returns what it did; raises only for failures worth the rule's error action (a store or
    the command topic not answering), never for a device's bad input, which is answered on its command topic."""
    ev = parse_rule_event(event)
    try:
        device = mqtt_device(o, rt, ev)
    except UnauthenticatedError as exc:
        log.warning("MQTT %s from %s refused: %s", ev.kind, ev.thing_name, exc.code)
        observability.count("GateMessagesRejected", path="mqtt", reason=exc.code)
        return {"refused": exc.code}
    if ev.kind not in INGEST_KINDS:
        return {"ignored": ev.kind}
    if ev.kind == HEARTBEAT:
        return _mqtt_heartbeat(o, rt, device, ev)
    return _mqtt_event(o, rt, device, ev, settings)


def _answer(rt: DeviceRuntime, device: Device, message: dict[str, Any]) -> None:
    if rt.channel is None or device.thing_name is None:
        raise RuleViolationError("no command channel is configured: an MQTT device could not be answered", code="no_channel")
    rt.channel.publish(command_topic(device.thing_name), message)


def _mqtt_event(o: gate.Gate, rt: DeviceRuntime, device: Device, ev: RuleEvent, settings: gate.GateSettings) -> dict[str, Any]:
    event_id = None
    try:
        data = _loads(ev.payload)
        event_id = data.get("event_id") if isinstance(data, dict) else None
        if isinstance(event_id, str) and (token := observability.caller_token(f"{device.device_id}#{event_id}")):
            observability.correlate(token)  # the gate event's own id: a QoS-1 redelivery shares it
        acks = parse_acks(data) if isinstance(data, dict) else ()
        reply = gate.apply_event(o, device, ev.payload, ev.received_at, settings)
    except UnavailableError:
        raise  # a store or key not answering: the rule's error action keeps the message for a replay
    except DomainError as exc:
        if exc.code == "event_in_progress":  # a duplicate QoS-1 delivery racing the first: the first one answers
            return {"event_id": event_id, "in_progress": True}
        _answer(rt, device, error_message(event_id if isinstance(event_id, str) else None, exc.code, exc.message, exc.field))
        return {"event_id": event_id, "error": exc.code}
    acknowledge(rt, device, acks, ev.received_at)
    _answer(rt, device, decision_message(reply.body))
    return {"event_id": reply.body["event_id"], "decision": reply.body["decision"], "replayed": reply.replayed}


def _mqtt_heartbeat(o: gate.Gate, rt: DeviceRuntime, device: Device, ev: RuleEvent) -> dict[str, Any]:
    try:
        beat = parse_heartbeat(_loads(ev.payload))
    except InvalidInputError as exc:
        _answer(rt, device, error_message(None, exc.code, exc.message, exc.field))
        return {"error": exc.code}
    recorded, acked, pending = _heartbeat(rt, device, beat, ev.received_at, MQTT, o.clock.now())
    # The same answer as over HTTPS, in one message: every heartbeat carries what is still unacknowledged (at least once).
    _answer(rt, device, {"type": "heartbeat", "device_id": device.device_id, "received_at": format_instant(ev.received_at),
                         "acked": acked, "commands": [c.message() for c in pending]})
    return {"heartbeat": recorded, "acked": acked, "sent": [c.command_id for c in pending]}

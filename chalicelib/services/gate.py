"""The gate webhook: authenticate the device, refuse stale and replayed events, decide, record.

Order of checks (each refusal changes nothing): headers present → device known and active →
HMAC over "<timestamp>.<body>" with the device's secret → timestamp within the allowed skew →
body well formed → the event's car park is the device's → event id not seen with another body.
A redelivery of an event already handled (same device, event id and body) gets the first answer
again and has no second effect.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .. import observability
from ..domain import signing
from ..domain.carparks import ACTIVE, Device
from ..domain.errors import ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError
from ..domain.gate import ENTRY, OPEN, Decision, decide_entry, decide_exit
from ..domain.plates import normalise_plate
from ..domain.reservations import Reservation
from ..domain.timeutil import format_instant, parse_instant
from . import console_hooks
from .carpark_ports import CarParkRepository, DeviceRepository, GateEventLog, GateEventRecord, MembershipRepository, SecretBox
from .console_ports import Console
from .idempotency import Refusals, run_once
from .messages import GateEventIn, parsed
from .orders import OrderLifecycle, finish_stay, start_stay
from .ports import Clock, ReservationRepository

MAX_EVENT_BYTES = 64 * 1024  # a plate read and a small snapshot reference
log = logging.getLogger(__name__)
EVENTS = Refusals("event_id", "event_replayed", "this event id was already used for a different event", "event_in_progress",
                  "this event is being handled; retry shortly")


@dataclass(frozen=True)
class GateSettings:
    max_skew_s: int
    grace_min: int
    min_confidence_pct: int


@dataclass(frozen=True)
class Gate:
    """What the gate webhook depends on: devices and their secrets, the event log, what a decision reads, and the
    order lifecycle it starts and ends stays in (the composition root builds it; tests build it from fakes)."""

    devices: DeviceRepository
    secrets: SecretBox
    gate_events: GateEventLog
    carparks: CarParkRepository
    reservations: ReservationRepository
    memberships: MembershipRepository
    clock: Clock
    orders: OrderLifecycle
    console: Console | None = None  # the car-park console's stores (services/console_hooks.py); None: no console hooks


@dataclass(frozen=True)
class GateEvent:
    event_id: str
    carpark_id: str | None  # optional: a device reports for its own car park; naming another is refused
    direction: str
    plate: str
    confidence_pct: int
    occurred_at: datetime
    snapshot: str | None = None


@dataclass(frozen=True)
class GateReply:
    body: dict[str, Any]
    replayed: bool


def parse_event(raw: bytes, signed_at: datetime, max_skew_s: int) -> GateEvent:
    """The plate read of an authenticated device (its signature already checked), by its model (services/messages.py)."""
    msg = parsed(GateEventIn, raw, max_bytes=MAX_EVENT_BYTES, what="event body")
    occurred = parse_instant(msg.captured_at, field="captured_at") if msg.captured_at else signed_at
    if abs((occurred - signed_at).total_seconds()) > max_skew_s:
        raise InvalidInputError("captured_at is too far from the signed timestamp", field="captured_at")
    return GateEvent(msg.event_id, msg.carpark_id, msg.direction, normalise_plate(msg.plate), round(msg.confidence * 100), occurred,
                     msg.snapshot)


def _device(o: Gate, device_id: str | None) -> Device:
    if not device_id:
        raise UnauthenticatedError("request is not signed: device header missing", code="unsigned")
    if len(device_id) > 64 or not device_id.isprintable():  # never a key DynamoDB would refuse (a 500)
        raise UnauthenticatedError("unknown device", code="unknown_device")
    return active_device(o, device_id)


def active_device(o: Gate, device_id: str) -> Device:
    """A registered device that is not revoked, however it authenticates (HMAC here, a certificate on MQTT)."""
    try:
        device = o.devices.get(device_id)
    except NotFoundError:
        raise UnauthenticatedError("unknown device", code="unknown_device") from None
    if device.status != ACTIVE:
        raise UnauthenticatedError("this device is revoked", code="device_revoked")
    return device


def authenticate(device_id: str | None, timestamp: str | None, signature: str | None, raw: bytes, *, o: Gate,
                 settings: GateSettings) -> tuple[Device, datetime]:
    """An HTTPS request of an active device, signed with its secret within the allowed skew; the signed time."""
    try:
        device = _device(o, device_id)
        ts = signing.parse_timestamp(timestamp)
        secret = o.secrets.open(device.device_id, device.secret_version, device.sealed_secret)
        signing.verify(secret, ts, raw, signature, now=o.clock.now(), max_skew_s=settings.max_skew_s)
    except UnauthenticatedError as exc:
        observability.count("GateMessagesRejected", path="https", reason=exc.code)
        raise
    return device, datetime.fromtimestamp(ts, o.clock.now().tzinfo)


def receive(device_id: str | None, timestamp: str | None, signature: str | None, raw: bytes, *, o: Gate, settings: GateSettings) -> GateReply:
    """Authenticate and apply one plate read; the reply tells the device to open or deny, and why."""
    device, signed_at = authenticate(device_id, timestamp, signature, raw, o=o, settings=settings)
    return apply_event(o, device, raw, signed_at, settings)


def apply_event(o: Gate, device: Device, raw: bytes, signed_at: datetime, settings: GateSettings) -> GateReply:
    """One plate read of an authenticated device, whichever way it came (HTTPS webhook or MQTT through the IoT rule):
    the same checks, decision, idempotency by <device>#<event id> and effects."""
    event = parse_event(raw, signed_at, settings.max_skew_s)
    if event.carpark_id not in (None, device.carpark_id):
        raise ForbiddenError("this device may only report for its own car park", field="carpark_id", code="wrong_carpark")
    event = replace(event, carpark_id=device.carpark_id)
    record = GateEventRecord(f"{device.device_id}#{event.event_id}", device.device_id, device.carpark_id,
                             hashlib.sha256(raw).hexdigest(), "in_progress", event.occurred_at, event.direction, event.plate)
    body, replayed = run_once(record, record.request_hash,
                              lambda: _reply(_observed(_apply(o, event, settings), event, record.event_key), event),
                              store=o.gate_events, refusals=EVENTS)
    if not replayed:
        console_hooks.gate_recorded(o.console, record, dict(body))
    return GateReply(dict(body), replayed)


def _apply(o: Gate, event: GateEvent, settings: GateSettings) -> Decision:
    assert event.carpark_id is not None
    carpark = o.carparks.get(event.carpark_id)
    reservations = o.reservations.for_plate(carpark.carpark_id, event.plate)
    members = o.memberships.for_plate(carpark.carpark_id, event.plate)
    if event.direction == ENTRY:
        decision = decide_entry(event.plate, event.confidence_pct, event.occurred_at, carpark=carpark, reservations=reservations,
                                members=members, grace_min=settings.grace_min, min_confidence_pct=settings.min_confidence_pct)
        decision = console_hooks.screen_entry(o.console, carpark, event, decision, reservations, members, settings.min_confidence_pct)
        if decision.action == OPEN and decision.reservation_id:
            console_hooks.stay_started(o.console, start_stay(o.orders, decision.reservation_id, event.occurred_at,
                                                            _found(reservations, decision.reservation_id)))
        return decision
    decision = decide_exit(event.plate, event.occurred_at, carpark=carpark, reservations=reservations, members=members)
    decision = console_hooks.screen_exit(o.console, carpark, event, decision, reservations, members, settings.min_confidence_pct)
    if decision.action == OPEN and decision.reservation_id:
        console_hooks.stay_ended(o.console, finish_stay(o.orders, decision.reservation_id, event.occurred_at,
                                                        _found(reservations, decision.reservation_id)))
    return decision


def _observed(decision: Decision, event: GateEvent, event_key: str) -> Decision:
    """One log line and one GateDecisions metric per new decision (a redelivery is answered, not decided again). The
    plate is never logged: the reservation or membership id says whose car it was."""
    log.info("gate decision", extra={"gate_event": event_key, "carpark_id": event.carpark_id, "direction": event.direction,
                                     "decision": decision.action, "reason": decision.reason,
                                     "reservation_id": decision.reservation_id, "membership_id": decision.membership_id})
    observability.count("GateDecisions", direction=event.direction, outcome=decision.action, reason=decision.reason)
    return decision


def _found(reservations: list[Reservation], reservation_id: str) -> Reservation | None:
    return next((r for r in reservations if r.reservation_id == reservation_id), None)


def _reply(decision: Decision, event: GateEvent) -> dict[str, object]:
    return {
        "event_id": event.event_id, "decision": decision.action, "reason": decision.reason, "message": decision.message,
        "plate": decision.plate or event.plate, "reservation_id": decision.reservation_id, "membership_id": decision.membership_id,
        "direction": event.direction, "at": format_instant(event.occurred_at),
    }


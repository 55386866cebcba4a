"""Alerts for the people who run a car park, and the rules that raise them (pure; docs/console-api.md "Alerts").

Each alert has an id derived from what it is about, so raising it again (a redelivered event, a second sweep)
finds it already there: it is recorded, and notified, once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .errors import InvalidTransitionError
from .presence import Presence
from .timeutil import format_instant

OVERSTAY, PAYMENT_FAILED, UNKNOWN_PLATE, BLOCKED_PLATE, QUIET_DEVICE, UNBILLED_EXIT = (
    "overstay", "payment_failed", "unknown_plate", "blocked_plate", "quiet_device", "unbilled_exit")
ALERT_KINDS = (OVERSTAY, PAYMENT_FAILED, UNKNOWN_PLATE, BLOCKED_PLATE, QUIET_DEVICE, UNBILLED_EXIT)
OPEN, ACKNOWLEDGED = "open", "acknowledged"
ALERT_STATES = (OPEN, ACKNOWLEDGED)
TITLES = {
    OVERSTAY: "Car overstaying",
    PAYMENT_FAILED: "Payment failed",
    UNKNOWN_PLATE: "Unknown plate at a gate",
    BLOCKED_PLATE: "Blocked plate at a gate",
    QUIET_DEVICE: "Gate device quiet",
    UNBILLED_EXIT: "Car let out without a stay",
}


@dataclass(frozen=True)
class Alert:
    carpark_id: str
    alert_id: str
    kind: str
    body: str  # may name a plate: stored sealed to the car park
    raised_at: datetime
    reservation_id: str | None = None
    device_id: str | None = None
    plate: str | None = None
    state: str = OPEN
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    def acknowledged(self, by: str, at: datetime) -> Alert:
        if self.state != OPEN:
            raise InvalidTransitionError("this alert was already acknowledged", field="alert_id")
        return replace(self, state=ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=at)


def overstay(p: Presence, now: datetime, grace_min: int) -> Alert | None:
    if not p.overstaying(now, grace_min) or p.reservation_id is None:
        return None
    assert p.due is not None
    return Alert(p.carpark_id, f"{OVERSTAY}:{p.reservation_id}", OVERSTAY,
                 f"{p.plate} is still inside; its reservation ended at {format_instant(p.due)}", now, reservation_id=p.reservation_id,
                 plate=p.plate)


def quiet_device(carpark_id: str, device_id: str, name: str, last_heartbeat: datetime | None, now: datetime) -> Alert:
    """One alert per silence: the id names the last heartbeat heard (or none), so a device that comes back and goes
    quiet again raises a new one."""
    since = format_instant(last_heartbeat) if last_heartbeat else "never"
    said = f"last heartbeat {since}" if last_heartbeat else "no heartbeat ever received"
    return Alert(carpark_id, f"{QUIET_DEVICE}:{device_id}:{since}", QUIET_DEVICE, f"Gate device {name} is quiet: {said}", now,
                 device_id=device_id)


def gate_refusal(carpark_id: str, event_key: str, kind: str, plate: str, device_id: str, at: datetime,
                 reservation_id: str | None = None) -> Alert:
    said = "is blocked here and was refused" if kind == BLOCKED_PLATE else "has no reservation or membership"
    return Alert(carpark_id, f"{kind}:{event_key}", kind, f"{plate} at the gate {said}", at, reservation_id=reservation_id,
                 device_id=device_id, plate=plate)


def payment_failed(carpark_id: str, reservation_id: str, charge_id: str, plate: str, amount_minor: int, currency: str,
                   at: datetime) -> Alert:
    return Alert(carpark_id, f"{PAYMENT_FAILED}:{charge_id}", PAYMENT_FAILED,
                 f"The payment of {amount_minor} {currency} minor units for {plate} failed", at, reservation_id=reservation_id,
                 plate=plate)


def unbilled_exit(carpark_id: str, override_id: str, plate: str, by: str, at: datetime) -> Alert:
    return Alert(carpark_id, f"{UNBILLED_EXIT}:{override_id}", UNBILLED_EXIT,
                 f"{plate} was let out by staff with no stay on record; nothing was billed", at, plate=plate)

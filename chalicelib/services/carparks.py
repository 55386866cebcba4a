"""Car parks, their staff, gate devices and members; the staff dashboard's data."""

from __future__ import annotations

import secrets as pysecrets
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ..domain.accounts import SHARER, STAFF, Principal
from ..domain.availability import zone
from ..domain.carparks import ACTIVE, CarPark, Device, Membership, OpeningRule, day_bounds, local_day, membership_end
from ..domain.errors import ForbiddenError, InvalidInputError, NotFoundError
from ..domain.plates import normalise_plate
from ..domain.reservations import Reservation
from .device_ports import Identities, IssuedCertificate
from .order_ports import GateEventRecord, Notification
from .orders import Orders
from .ports import IdentityProvider, UserRepository
from .retry import on_conflict

SECRET_BYTES = 32
MAX_REPORT_DAYS = 92


@dataclass(frozen=True)
class DeviceSecret:
    device: Device
    secret: str  # shown once; only its KMS-sealed form is stored
    certificate: IssuedCertificate | None = None  # an MQTT device's certificate and private key, shown once


def create_carpark(principal: Principal, *, name: str, kind: str, address: str, lots: tuple[str, ...], timezone: str,
                   opening: tuple[OpeningRule, ...], o: Orders) -> CarPark:
    if not (principal.is_admin or principal.has(SHARER)):
        raise ForbiddenError("only admins and sharers (car park owners) can create car parks", field="roles")
    zone(timezone)
    carpark = CarPark(o.new_id(), principal.user_id, name, kind, address, lots, timezone, opening, o.clock.now())
    o.carparks.add(carpark)
    return carpark


def managed(principal: Principal, carpark_id: str, o: Orders) -> CarPark:
    """A car park the caller owns (or any, for admins); others are told it does not exist."""
    carpark = o.carparks.get(carpark_id)
    if carpark.owner_id != principal.user_id and not principal.is_admin:
        raise NotFoundError("no such car park", field="carpark_id")
    return carpark


def viewed(principal: Principal, carpark_id: str, o: Orders) -> CarPark:
    """A car park the caller owns, administers, or works at as staff."""
    carpark = o.carparks.get(carpark_id)
    staff_here = principal.has(STAFF) and principal.carpark_id == carpark_id
    if not (staff_here or carpark.owner_id == principal.user_id or principal.is_admin):
        raise NotFoundError("no such car park", field="carpark_id")
    return carpark


def add_staff(principal: Principal, carpark_id: str, user_id: str, *, o: Orders, users: UserRepository, idp: IdentityProvider) -> None:
    carpark = managed(principal, carpark_id, o)

    def attempt() -> None:
        user = users.get(user_id)
        users.save(replace(user, carpark_id=carpark.carpark_id, version=user.version + 1), user.version)

    on_conflict(attempt)
    idp.add_to_group(user_id, STAFF)


def new_device_secret() -> str:
    """A shown-once device secret. The prefix keeps it from ever starting with '-' (about 1 in 64 bare
    base64url tokens do), which command lines would read as an option, and makes a leaked one recognisable."""
    return "gs_" + pysecrets.token_urlsafe(SECRET_BYTES)


def register_device(principal: Principal, carpark_id: str, name: str, *, o: Orders, mqtt: Identities | None = None) -> DeviceSecret:
    """A device with an HMAC secret; with `mqtt`, also its own Thing and X.509 certificate (both shown once)."""
    carpark = managed(principal, carpark_id, o)
    device_id = "gd_" + o.new_id()[:20]
    secret = new_device_secret()
    cert = mqtt.issue(device_id) if mqtt else None
    device = Device(device_id, carpark.carpark_id, name, o.secrets.seal(device_id, secret.encode()), 1, ACTIVE, o.clock.now(),
                    thing_name=cert.thing_name if cert else None, certificate_id=cert.certificate_id if cert else None)
    o.devices.add(device)
    return DeviceSecret(device, secret, cert)


def _owned_device(o: Orders, carpark: CarPark, device_id: str) -> Device:
    device = o.devices.get(device_id)
    if device.carpark_id != carpark.carpark_id:
        raise NotFoundError("no such device", field="device_id")
    return device


def rotate_device_secret(principal: Principal, carpark_id: str, device_id: str, *, o: Orders,
                         mqtt: Identities | None = None) -> DeviceSecret:
    """A new secret and, for an MQTT device, a new certificate; the old ones stop working at once."""
    carpark = managed(principal, carpark_id, o)
    secret = new_device_secret()
    before = _owned_device(o, carpark, device_id)
    cert = mqtt.issue(device_id) if mqtt and before.thing_name and before.status == ACTIVE else None

    def attempt() -> Device:
        device = _owned_device(o, carpark, device_id)
        rotated = device.rotated(o.secrets.seal(device_id, secret.encode()), cert.certificate_id if cert else None)
        o.devices.save(rotated, device.version)
        return rotated

    try:
        rotated = on_conflict(attempt)
    except Exception:
        if mqtt and cert:
            mqtt.deactivate(cert.certificate_id)  # never leave a second live certificate behind
        raise
    if mqtt and cert and before.certificate_id:
        mqtt.deactivate(before.certificate_id)
    return DeviceSecret(rotated, secret, cert)


def revoke_device(principal: Principal, carpark_id: str, device_id: str, *, o: Orders, mqtt: Identities | None = None) -> Device:
    """A lost or replaced device stops being able to open anything at once (its certificate is deactivated too)."""
    carpark = managed(principal, carpark_id, o)

    def attempt() -> Device:
        device = _owned_device(o, carpark, device_id)
        gone = device.revoked()
        o.devices.save(gone, device.version)
        return gone

    gone = on_conflict(attempt)
    if mqtt and gone.certificate_id:
        mqtt.deactivate(gone.certificate_id)
    return gone


def add_membership(principal: Principal, carpark_id: str, *, plate: str, holder: str, plan: str, valid_from: date | None,
                   o: Orders) -> Membership:
    carpark = managed(principal, carpark_id, o)
    start = valid_from or local_day(o.clock.now(), carpark.timezone)
    membership = Membership(o.new_id(), carpark.carpark_id, normalise_plate(plate), holder, plan, start, membership_end(plan, start),
                            o.clock.now())
    o.memberships.add(membership)
    return membership


# ---------------------------------------------------------------- the staff dashboard


def movements(principal: Principal, carpark_id: str, day: date | None, *, o: Orders) -> list[GateEventRecord]:
    """Car in / car out: the day's gate events, newest first."""
    carpark = viewed(principal, carpark_id, o)
    since, until = day_bounds(day or local_day(o.clock.now(), carpark.timezone), carpark.timezone)
    return [e for e in o.gate_events.by_carpark(carpark.carpark_id, since, until) if e.state == "done"]


def transactions(principal: Principal, carpark_id: str, since: date | None, until: date | None, *, o: Orders) -> dict[str, Any]:
    """Paid orders between two local days (inclusive; default today), with totals: the daily list and the history report."""
    carpark = viewed(principal, carpark_id, o)
    since_day = since or local_day(o.clock.now(), carpark.timezone)
    until_day = until or since_day
    if until_day < since_day or (until_day - since_day).days >= MAX_REPORT_DAYS:
        raise InvalidInputError(f"a report spans 1 to {MAX_REPORT_DAYS} days, from <= to", field="to")
    first, _ = day_bounds(since_day, carpark.timezone)
    _, last = day_bounds(until_day, carpark.timezone)
    paid = o.reservations.paid_at_carpark(carpark.carpark_id, first, last)
    by_day: dict[str, dict[str, int]] = {}
    for r in paid:
        assert r.paid_at is not None
        bucket = by_day.setdefault(local_day(r.paid_at, carpark.timezone).isoformat(), {"orders": 0, "total_minor": 0})
        bucket["orders"] += 1
        bucket["total_minor"] += r.amount_due_minor
    return {"since": since_day.isoformat(), "until": until_day.isoformat(), "orders": paid, "days": by_day,
            "total_minor": sum(r.amount_due_minor for r in paid)}


def carpark_reservations(principal: Principal, carpark_id: str, *, o: Orders) -> list[Reservation]:
    return o.reservations.at_carpark(viewed(principal, carpark_id, o).carpark_id, 100)


def carpark_feed(principal: Principal, carpark_id: str, *, o: Orders) -> list[Notification]:
    return o.notifications.feed(f"carpark:{viewed(principal, carpark_id, o).carpark_id}", 50)


def memberships(principal: Principal, carpark_id: str, *, o: Orders) -> list[Membership]:
    return o.memberships.by_carpark(viewed(principal, carpark_id, o).carpark_id)


def devices(principal: Principal, carpark_id: str, *, o: Orders) -> list[Device]:
    return o.devices.by_carpark(viewed(principal, carpark_id, o).carpark_id)


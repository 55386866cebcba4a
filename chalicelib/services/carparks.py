"""Car parks, their staff, gate devices and members; the staff dashboard's data."""

from __future__ import annotations

import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..domain.accounts import ACTIVE as USER_ACTIVE
from ..domain.accounts import SHARER, Principal, User, normalise_email
from ..domain.availability import zone
from ..domain.carparks import ACTIVE, CarPark, Device, Membership, OpeningRule, day_bounds, local_day, membership_end
from ..domain.errors import ForbiddenError, InvalidInputError, NotFoundError
from ..domain.plates import normalise_plate
from ..domain.reservations import Reservation
from ..domain.spaces import LINK_ACCEPTED, LINK_PENDING, LINK_STATES, Space
from ..domain.staff import INVITED, OWNER, STAFF, StaffMembership, founding_membership, invitation
from . import audit_log
from .carpark_ports import (
    CarParkRepository,
    DeviceRepository,
    GateEventLog,
    GateEventRecord,
    MembershipRepository,
    SecretBox,
    StaffRepository,
)
from .console_ports import Console
from .device_ports import Identities, IssuedCertificate
from .order_ports import Notification, NotificationFeed
from .ports import Clock, IdentityProvider, ReservationRepository, SpaceRepository, UserRepository
from .retry import on_conflict

SECRET_BYTES = 32
MAX_REPORT_DAYS = 92
MAX_LISTED = 1000  # a day's movements, a car park's members: the newest this many (the console pages beyond)
MAX_LINKS = 200  # space links listed per request
MAX_STAFF = 200  # memberships listed per car park or per person: bounds the reads of one request


@dataclass(frozen=True)
class CarParks:
    """What the car-park services depend on: car parks, their people, devices and members, and what the staff
    dashboard reads (the composition root builds it; tests build it from fakes)."""

    carparks: CarParkRepository
    staff: StaffRepository
    devices: DeviceRepository
    secrets: SecretBox
    memberships: MembershipRepository
    spaces: SpaceRepository
    reservations: ReservationRepository
    gate_events: GateEventLog
    notifications: NotificationFeed
    clock: Clock
    new_id: Callable[[], str]
    console: Console | None = None  # the car-park console's stores (services/console_*.py); None: no console


@dataclass(frozen=True)
class DeviceSecret:
    device: Device
    secret: str  # shown once; only its KMS-sealed form is stored
    certificate: IssuedCertificate | None = None  # an MQTT device's certificate and private key, shown once


def create_carpark(principal: Principal, *, name: str, kind: str, address: str, lots: tuple[str, ...], timezone: str,
                   opening: tuple[OpeningRule, ...], o: CarParks) -> CarPark:
    if not (principal.is_admin or principal.has(SHARER)):
        raise ForbiddenError("only admins and sharers (car park owners) can create car parks", field="roles")
    zone(timezone)
    carpark = CarPark(o.new_id(), principal.user_id, name, kind, address, lots, timezone, opening, o.clock.now())
    # The owner's membership first: a crash in between leaves a membership of no car park (skipped when listed),
    # never a car park its owner cannot find among theirs.
    o.staff.add(founding_membership(carpark.carpark_id, principal.user_id, carpark.created_at))
    o.carparks.add(carpark)
    return carpark


def role_at(principal: Principal, carpark: CarPark, o: CarParks) -> str | None:
    """The caller's standing at this car park: admin, owner or staff (active memberships only), or None."""
    if principal.is_admin:
        return "admin"
    if carpark.owner_id == principal.user_id:
        return OWNER
    membership = o.staff.find(carpark.carpark_id, principal.user_id)
    return membership.role if membership is not None and membership.is_active else None


def viewed(principal: Principal, carpark_id: str, o: CarParks) -> CarPark:
    """A car park the caller owns, administers, or works at (an active membership); others are told it does not exist."""
    carpark = o.carparks.get(carpark_id)
    if role_at(principal, carpark, o) is None:
        raise NotFoundError("no such car park", field="carpark_id")
    return carpark


def managed(principal: Principal, carpark_id: str, o: CarParks) -> CarPark:
    """A car park the caller owns (or any, for admins). Its staff are refused (403); others are told it does not exist."""
    carpark = o.carparks.get(carpark_id)
    role = role_at(principal, carpark, o)
    if role is None:
        raise NotFoundError("no such car park", field="carpark_id")
    if role == STAFF:
        raise ForbiddenError("only the car park's owners manage its staff, devices and space links", field="carpark_id",
                             code="owner_only")
    return carpark


def works_at(o: CarParks, carpark_id: str, user_id: str) -> bool:
    """Whether the user holds an active membership (owner or staff) of the car park."""
    membership = o.staff.find(carpark_id, user_id)
    return membership is not None and membership.is_active


# ---------------------------------------------------------------- spaces in the car park: links with consent


def link_for(principal: Principal, o: CarParks) -> Callable[[str, str | None], str]:
    """What registering a space that names a car park checks: the car park and its lot exist; the link is accepted
    at once if the caller is one of its owners, and otherwise waits for them (a space never joins someone else's
    car park, nor takes its gate or its payouts, on its own say-so)."""

    def decide(carpark_id: str, lot: str | None) -> str:
        carpark = o.carparks.get(carpark_id)
        carpark.check_lot(lot)
        return LINK_ACCEPTED if role_at(principal, carpark, o) == OWNER else LINK_PENDING

    return decide


def space_links(principal: Principal, carpark_id: str, state: str, *, o: CarParks) -> list[Space]:
    """Spaces that name this car park, by the state of their link (owners only); pending ones are the requests."""
    if state not in LINK_STATES:
        raise InvalidInputError(f"state must be one of {LINK_STATES}", field="state")
    return o.spaces.linked_to(managed(principal, carpark_id, o).carpark_id, state, MAX_LINKS)


def decide_link(principal: Principal, carpark_id: str, space_id: str, accept: bool, *, o: CarParks) -> Space:
    """An owner accepts a space into the car park (its bookings then carry the car park: the gate admits them and the
    stays count in its books; payouts go to the space's owner as for any space) or refuses it (or ends an accepted
    link; bookings made while it was accepted keep their car park)."""
    carpark = managed(principal, carpark_id, o)
    now = o.clock.now()

    def attempt() -> Space:
        space = o.spaces.get(space_id)
        if space.carpark_id != carpark.carpark_id:
            raise NotFoundError("no such space names this car park", field="space_id")
        decided = space.link_decided(accept, principal.user_id, now)
        o.spaces.save(decided, space.version)
        return decided

    decided = on_conflict(attempt)
    verdict = "accepted into" if accept else "not accepted into"
    o.notifications.add(Notification(decided.owner_id, f"link:{space_id}:{decided.version}", f"space_link_{decided.link_state}",
                                     "Car park link", f"{decided.title} was {verdict} {carpark.name}", now, None))
    return decided


# ---------------------------------------------------------------- staff: invitations with consent


def _invitee(user_id: str | None, email: str | None, users: UserRepository, idp: IdentityProvider) -> User:
    if (user_id is None) == (email is None):
        raise InvalidInputError("name the person by user_id or by email (one of them)", field="email" if user_id is None else "user_id")
    found = user_id if user_id is not None else idp.find_user_id(normalise_email(email or ""))
    try:
        user = users.get(found) if found else None
    except NotFoundError:
        user = None
    if user is None or user.status != USER_ACTIVE:
        raise NotFoundError("no open account with this email or user id", field="email" if email else "user_id", code="no_account")
    return user


def invite_staff(principal: Principal, carpark_id: str, *, user_id: str | None, email: str | None, role: str, o: CarParks,
                 users: UserRepository, idp: IdentityProvider) -> StaffMembership:
    """An owner invites an existing account; it becomes staff only when that person accepts."""
    carpark = managed(principal, carpark_id, o)
    person = _invitee(user_id, email, users, idp)
    now = o.clock.now()

    def attempt() -> StaffMembership:
        existing = o.staff.find(carpark.carpark_id, person.user_id)
        if existing is None:
            made = invitation(carpark.carpark_id, person.user_id, role, principal.user_id, now)
            o.staff.add(made)
            return made
        again = existing.reinvited(role, principal.user_id, now)
        o.staff.save(again, existing.version)
        return again

    made = on_conflict(attempt)
    o.notifications.add(Notification(person.user_id, f"staff:{carpark.carpark_id}:{made.version}", "staff_invitation",
                                     "Invitation to a car park", f"You are invited to work at {carpark.name} as {role}; accept or "
                                     "decline under your invitations", now, None))
    audit_log.record(o, principal, carpark, "staff.invited", f"user:{person.user_id}", f"invited as {role}")
    return made


def staff(principal: Principal, carpark_id: str, *, o: CarParks, users: UserRepository) -> list[tuple[StaffMembership, User | None]]:
    """Everyone invited to or working at the car park, in every state (owners only), with the account of each active
    member: a name and an address are shown once the person accepted, never before."""
    found = o.staff.by_carpark(managed(principal, carpark_id, o).carpark_id, MAX_STAFF)
    return [(m, users.get(m.user_id) if m.is_active else None) for m in found]


def _change_membership(carpark_id: str, user_id: str, o: CarParks, change: Callable[[StaffMembership], StaffMembership]) -> StaffMembership:
    def attempt() -> StaffMembership:
        current = o.staff.find(carpark_id, user_id)
        if current is None:
            raise NotFoundError("no such membership", field="user_id" if carpark_id else "carpark_id")
        changed = change(current)
        o.staff.save(changed, current.version)
        return changed

    return on_conflict(attempt)


def remove_staff(principal: Principal, carpark_id: str, user_id: str, *, o: CarParks) -> StaffMembership:
    """An owner ends a membership (or withdraws an open invitation); the founding owner stays."""
    carpark = managed(principal, carpark_id, o)
    now = o.clock.now()
    gone = _change_membership(carpark.carpark_id, user_id, o, lambda m: m.ended(principal.user_id, now, founding_owner=carpark.owner_id))
    audit_log.record(o, principal, carpark, "staff.removed", f"user:{user_id}", f"{gone.role} membership ended")
    return gone


def answer_invitation(principal: Principal, carpark_id: str, accept: bool, *, o: CarParks) -> StaffMembership:
    """Only the invited person turns an invitation into a membership, or declines it."""
    now = o.clock.now()
    answered = _change_membership(carpark_id, principal.user_id, o, lambda m: m.accepted(now) if accept else m.declined(now))
    audit_log.record(o, principal, o.carparks.get(carpark_id), "staff.accepted" if accept else "staff.declined",
                     f"user:{principal.user_id}", f"{'accepted' if accept else 'declined'} the invitation as {answered.role}")
    return answered


def leave(principal: Principal, carpark_id: str, *, o: CarParks) -> StaffMembership:
    carpark = o.carparks.get(carpark_id)
    now = o.clock.now()
    left = _change_membership(carpark.carpark_id, principal.user_id, o,
                              lambda m: m.ended(principal.user_id, now, founding_owner=carpark.owner_id))
    audit_log.record(o, principal, carpark, "staff.left", f"user:{principal.user_id}", f"left the car park ({left.role})")
    return left


def my_invitations(principal: Principal, *, o: CarParks) -> list[tuple[StaffMembership, CarPark]]:
    return _with_carparks([m for m in o.staff.by_user(principal.user_id, MAX_STAFF) if m.state == INVITED], o)


def my_carparks(principal: Principal, *, o: CarParks) -> list[tuple[StaffMembership, CarPark]]:
    """The car parks the caller owns or works at (active memberships), with their role at each."""
    return _with_carparks([m for m in o.staff.by_user(principal.user_id, MAX_STAFF) if m.is_active], o)


def _with_carparks(found: list[StaffMembership], o: CarParks) -> list[tuple[StaffMembership, CarPark]]:
    out = []
    for m in found:
        try:
            out.append((m, o.carparks.get(m.carpark_id)))
        except NotFoundError:  # the founding membership of a car park whose creation did not finish
            continue
    return out


def new_device_secret() -> str:
    """A shown-once device secret. The prefix keeps it from ever starting with '-' (about 1 in 64 bare
    base64url tokens do), which command lines would read as an option, and makes a leaked one recognisable."""
    return "gs_" + pysecrets.token_urlsafe(SECRET_BYTES)


def register_device(principal: Principal, carpark_id: str, name: str, *, o: CarParks, mqtt: Identities | None = None) -> DeviceSecret:
    """A device with an HMAC secret; with `mqtt`, also its own Thing and X.509 certificate (both shown once)."""
    carpark = managed(principal, carpark_id, o)
    device_id = "gd_" + o.new_id()[:20]
    secret = new_device_secret()
    cert = mqtt.issue(device_id) if mqtt else None
    device = Device(device_id, carpark.carpark_id, name, o.secrets.seal(device_id, secret.encode()), 1, ACTIVE, o.clock.now(),
                    thing_name=cert.thing_name if cert else None, certificate_id=cert.certificate_id if cert else None)
    o.devices.add(device)
    audit_log.record(o, principal, carpark, "device.registered", f"device:{device_id}", f"registered {name}", {"mqtt": cert is not None})
    return DeviceSecret(device, secret, cert)


def _owned_device(o: CarParks, carpark: CarPark, device_id: str) -> Device:
    device = o.devices.get(device_id)
    if device.carpark_id != carpark.carpark_id:
        raise NotFoundError("no such device", field="device_id")
    return device


def rotate_device_secret(principal: Principal, carpark_id: str, device_id: str, *, o: CarParks,
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
    audit_log.record(o, principal, carpark, "device.rotated", f"device:{device_id}", f"new secret for {rotated.name}",
                     {"secret_version": rotated.secret_version})
    return DeviceSecret(rotated, secret, cert)


def revoke_device(principal: Principal, carpark_id: str, device_id: str, *, o: CarParks, mqtt: Identities | None = None) -> Device:
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
    audit_log.record(o, principal, carpark, "device.revoked", f"device:{device_id}", f"revoked {gone.name}")
    return gone


def add_membership(principal: Principal, carpark_id: str, *, plate: str, holder: str, plan: str, valid_from: date | None,
                   o: CarParks) -> Membership:
    """Members (monthly, quarterly, annual plans) are day-to-day work: owners and staff both add them. With the
    console's stores (every stage), a plate's plans may not overlap (services/console_admin.py)."""
    if o.console is not None:
        from . import console_admin  # it builds on this module

        return console_admin.add_member(principal, carpark_id, plate=plate, holder=holder, plan=plan, valid_from=valid_from,
                                        o=o).record.membership
    carpark = viewed(principal, carpark_id, o)
    start = valid_from or local_day(o.clock.now(), carpark.timezone)
    membership = Membership(o.new_id(), carpark.carpark_id, normalise_plate(plate), holder, plan, start, membership_end(plan, start),
                            o.clock.now())
    o.memberships.add(membership)
    return membership


# ---------------------------------------------------------------- the staff dashboard


def movements(principal: Principal, carpark_id: str, day: date | None, *, o: CarParks) -> list[GateEventRecord]:
    """Car in / car out: the day's gate events, newest first."""
    carpark = viewed(principal, carpark_id, o)
    since, until = day_bounds(day or local_day(o.clock.now(), carpark.timezone), carpark.timezone)
    return [e for e in o.gate_events.by_carpark(carpark.carpark_id, since, until, MAX_LISTED) if e.state == "done"]


def transactions(principal: Principal, carpark_id: str, since: date | None, until: date | None, *, o: CarParks) -> dict[str, Any]:
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


def carpark_reservations(principal: Principal, carpark_id: str, *, o: CarParks) -> list[Reservation]:
    return o.reservations.at_carpark(viewed(principal, carpark_id, o).carpark_id, 100)


def carpark_feed(principal: Principal, carpark_id: str, *, o: CarParks) -> list[Notification]:
    return o.notifications.feed(f"carpark:{viewed(principal, carpark_id, o).carpark_id}", 50)


def memberships(principal: Principal, carpark_id: str, *, o: CarParks) -> list[Membership]:
    return o.memberships.by_carpark(viewed(principal, carpark_id, o).carpark_id, MAX_LISTED)


def devices(principal: Principal, carpark_id: str, *, o: CarParks) -> list[Device]:
    return o.devices.by_carpark(viewed(principal, carpark_id, o).carpark_id)


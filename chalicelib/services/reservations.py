"""Reserve, list, cancel and extend. No double booking: the space's calendar is written with a
condition on its version in the same transaction that creates or changes the reservation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import ParamSpec

from .. import observability
from ..domain.accounts import PARKER, Principal
from ..domain.availability import Booking, Calendar, Interval, Window
from ..domain.errors import ConflictError, DomainError, ForbiddenError, InvalidInputError, NotFoundError, RuleViolationError
from ..domain.plates import normalise_plate
from ..domain.pricing import price_for_minutes
from ..domain.reservations import CANCELLED, HOLDS_SPACE, RESERVED, Reservation, cancellation_terms
from ..domain.spaces import APPROVED, Space
from ..domain.timeutil import minutes_between
from .ports import Clock, IdentityGate, ReservationRepository, SpaceRepository
from .retry import on_conflict
from .spaces import own_space

MIN_MINUTES = 15
MAX_DAYS = 31
MAX_AHEAD_DAYS = 366


def _check_request(principal: Principal, raw_plate: str, start: datetime, end: datetime, now: datetime) -> str:
    if not principal.has(PARKER):
        raise ForbiddenError("only parkers can reserve; add the parker role to your profile", field="roles")
    plate = normalise_plate(raw_plate)
    _check_window(start, end, now)
    return plate


def _check_window(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise InvalidInputError("end must be after start", field="end")
    if start < now.replace(second=0) and minutes_between(start, now) > 1:
        raise InvalidInputError("start must not be in the past", field="start")
    if minutes_between(start, end) < MIN_MINUTES:
        raise InvalidInputError(f"a reservation lasts at least {MIN_MINUTES} minutes", field="end")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInputError(f"a reservation lasts at most {MAX_DAYS} days", field="end")
    if start - now > timedelta(days=MAX_AHEAD_DAYS):
        raise InvalidInputError(f"a reservation starts at most {MAX_AHEAD_DAYS} days ahead", field="start")


def _check_identity(principal: Principal, identity: IdentityGate | None) -> None:
    if identity is not None and not identity.is_verified(principal.user_id):
        raise RuleViolationError("reserving requires a verified identity: upload your ID under /me/identity", field="identity",
                                 code="identity_not_verified")


P = ParamSpec("P")


def _counted(reserve: Callable[P, Reservation]) -> Callable[P, Reservation]:
    """ReservationsMade for each reservation made, ReservationsRefused by the refusal's code. (A retried POST with the
    same Idempotency-Key gets its first answer from the request's claim and never reaches reserve again.)"""

    @functools.wraps(reserve)
    def counted(*args: P.args, **kwargs: P.kwargs) -> Reservation:
        try:
            reservation = reserve(*args, **kwargs)
        except DomainError as exc:
            observability.count("ReservationsRefused", reason=exc.code)
            raise
        observability.count("ReservationsMade")
        return reservation

    return counted


@_counted
def reserve(
    principal: Principal,
    space_id: str,
    raw_plate: str,
    start: datetime,
    end: datetime,
    *,
    spaces: SpaceRepository,
    reservations: ReservationRepository,
    clock: Clock,
    new_id: Callable[[], str],
    identity: IdentityGate | None = None,
) -> Reservation:
    """Book the space. `identity` is given on stages where reserving requires a verified identity. A retried request
    books once through its Idempotency-Key, like every POST (services/idempotency.py)."""
    plate = _check_request(principal, raw_plate, start, end, clock.now())
    _check_identity(principal, identity)
    now = clock.now()
    reservation_id = new_id()

    def attempt() -> Reservation:
        space = spaces.get(space_id)
        space.require_bookable()
        if space.owner_id == principal.user_id:
            raise RuleViolationError("you cannot reserve your own space", field="space_id")
        wanted = Interval(start, end)
        window, price = _priced(space, wanted)
        calendar = space.calendar.with_booking(Booking(reservation_id, wanted))
        reservation = Reservation(
            reservation_id=reservation_id, space_id=space.space_id, parker_id=principal.user_id, sharer_id=space.owner_id,
            plate=plate, start=start, end=end, price_minor=price,
            currency=space.currency, state=RESERVED, version=1, created_at=now, window_id=window.window_id,
            carpark_id=space.gate_carpark, lot=space.lot,
        )
        reservations.book(reservation, replace(space, calendar=calendar, version=space.version + 1), space.version)
        return reservation

    return on_conflict(attempt)


def parker_reservations(principal: Principal, reservations: ReservationRepository, limit: int) -> list[Reservation]:
    """The caller's bookings as a parker, newest first."""
    return reservations.by_parker(principal.user_id, limit)


def sharer_reservations(principal: Principal, reservations: ReservationRepository, limit: int) -> list[Reservation]:
    """Bookings on all of the caller's spaces, newest first."""
    return reservations.by_sharer(principal.user_id, limit)


def space_reservations(principal: Principal, space_id: str, *, spaces: SpaceRepository, reservations: ReservationRepository,
                       limit: int) -> list[Reservation]:
    """Bookings on one of the caller's spaces (an admin's: any space), newest first."""
    return reservations.by_space(own_space(principal, space_id, spaces).space_id, limit)


def visible_reservation(principal: Principal, reservation_id: str, reservations: ReservationRepository) -> Reservation:
    r = reservations.get(reservation_id)
    if principal.user_id not in (r.parker_id, r.sharer_id) and not principal.is_admin:
        raise NotFoundError("no such reservation", field="reservation_id")
    return r


def _as_sharer(principal: Principal, r: Reservation) -> bool:
    """The sharer cancelling a booking on their own space (not a parker who booked a space of theirs)."""
    return principal.user_id == r.sharer_id and principal.user_id != r.parker_id


def cancel(
    principal: Principal, reservation_id: str, *, spaces: SpaceRepository, reservations: ReservationRepository, clock: Clock,
    settle: Callable[[Reservation], Reservation] | None = None,
) -> Reservation:
    """Cancel and free the time; `settle` then charges the fee or refunds through the payment port."""

    def attempt() -> Reservation:
        r = visible_reservation(principal, reservation_id, reservations)
        by_sharer = _as_sharer(principal, r)
        fee, refund = cancellation_terms(r, by_sharer=by_sharer, now=clock.now())
        cancelled = replace(r.moved_to(CANCELLED), fee_minor=fee, refund_minor=refund, cancelled_by="sharer" if by_sharer else "parker")
        space = spaces.get(r.space_id)
        freed = replace(space, calendar=space.calendar.without_booking(r.reservation_id), version=space.version + 1)
        reservations.change(cancelled, r.version, freed, space.version)
        return cancelled

    cancelled = on_conflict(attempt)
    return settle(cancelled) if settle is not None else cancelled


def _extended(r: Reservation, space: Space, new_end: datetime, now: datetime) -> tuple[Calendar, int]:
    """The calendar with the stay running to `new_end`, and the price of the whole stay."""
    if r.state not in HOLDS_SPACE:
        raise ConflictError(f"a reservation that is {r.state} cannot be extended", field="state", code="invalid_transition")
    if new_end <= r.end:
        raise InvalidInputError("the new end must be after the current end", field="end")
    if new_end <= now:
        raise InvalidInputError("the new end must be in the future", field="end")
    wanted = Interval(r.start, new_end)
    window, price = _priced(space, wanted)
    if window.window_id != r.window_id:
        raise RuleViolationError("an extension must stay inside the same availability window", field="end")
    calendar = space.calendar.with_booking(Booking(r.reservation_id, wanted))
    return calendar, max(price, r.price_minor)


def _own_booking(principal: Principal, reservation_id: str, reservations: ReservationRepository) -> Reservation:
    r = visible_reservation(principal, reservation_id, reservations)
    if r.parker_id != principal.user_id:
        raise ForbiddenError("only the parker can extend a reservation", field="reservation_id")
    return r


def extend(
    principal: Principal, reservation_id: str, new_end: datetime, *, spaces: SpaceRepository, reservations: ReservationRepository, clock: Clock
) -> Reservation:
    def attempt() -> Reservation:
        r = _own_booking(principal, reservation_id, reservations)
        space = spaces.get(r.space_id)
        calendar, price = _extended(r, space, new_end, clock.now())
        longer = replace(r, end=new_end, price_minor=price, version=r.version + 1)
        reservations.change(longer, r.version, replace(space, calendar=calendar, version=space.version + 1), space.version)
        return longer

    return on_conflict(attempt)


# ---------------------------------------------------------------- quotes: what an action would cost, before it is taken


@dataclass(frozen=True)
class Quote:
    space_id: str
    start: datetime
    end: datetime
    price_minor: int
    rate_minor: int
    daily_cap_minor: int | None
    currency: str
    timezone: str


def _priced(space: Space, wanted: Interval) -> tuple[Window, int]:
    """The window that holds `wanted`, and the price of `wanted` at its tariff (as booking fixes it)."""
    window, _ = space.calendar.find_window(wanted)
    return window, price_for_minutes(minutes_between(wanted.start, wanted.end), window.tariff)


def quote(principal: Principal, space_id: str, start: datetime, end: datetime, *, spaces: SpaceRepository, clock: Clock) -> Quote:
    """The price `reserve` would fix for this window now; refused for the reasons `reserve` would refuse it."""
    _check_window(start, end, clock.now())
    space = spaces.get(space_id)
    if space.status != APPROVED and space.owner_id != principal.user_id and not principal.is_admin:
        raise NotFoundError("no such space", field="space_id")
    space.require_bookable()
    wanted = Interval(start, end)
    window, price = _priced(space, wanted)
    if not space.calendar.is_free(wanted):
        raise ConflictError("the space is already booked for part of that time", field="start", code="slot_taken")
    t = window.tariff
    return Quote(space.space_id, start, end, price, t.rate_minor, t.daily_cap_minor, space.currency, space.calendar.timezone)


def extension_quote(principal: Principal, reservation_id: str, new_end: datetime, *, spaces: SpaceRepository,
                    reservations: ReservationRepository, clock: Clock) -> tuple[Reservation, int]:
    """The reservation and the price of the whole stay if it were extended to `new_end` now."""
    r = _own_booking(principal, reservation_id, reservations)
    _, price = _extended(r, spaces.get(r.space_id), new_end, clock.now())
    return r, price


def cancellation_quote(principal: Principal, r: Reservation, now: datetime) -> tuple[int, int] | None:
    """(fee, refund) if the caller cancelled `r` now; None when they cannot cancel it."""
    if r.state != RESERVED or principal.user_id not in (r.parker_id, r.sharer_id):
        return None
    return cancellation_terms(r, by_sharer=_as_sharer(principal, r), now=now)

"""A shared parking space and its review."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .accounts import ERASED
from .availability import Calendar
from .errors import InvalidTransitionError, RuleViolationError
from .geo import Point

PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
# A space names a car park only with that car park's consent: the link is accepted at once when the space's owner
# owns the car park, otherwise it waits for one of the car park's owners to accept or refuse it.
LINK_PENDING, LINK_ACCEPTED, LINK_REFUSED = "pending", "accepted", "refused"
LINK_STATES = (LINK_PENDING, LINK_ACCEPTED, LINK_REFUSED)
VEHICLE_SIZES = ("small", "medium", "large")


@dataclass(frozen=True)
class SpaceAttributes:
    covered: bool = False
    ev_charger: bool = False
    accessible: bool = False
    max_height_cm: int | None = None
    vehicle_size: str = "medium"  # the largest vehicle that fits

    def satisfies(self, wanted: SpaceFilter) -> bool:
        size_ok = VEHICLE_SIZES.index(self.vehicle_size) >= VEHICLE_SIZES.index(wanted.vehicle_size or "small")
        height_ok = wanted.min_height_cm is None or (self.max_height_cm or 10_000) >= wanted.min_height_cm
        return (
            size_ok
            and height_ok
            and (not wanted.covered or self.covered)
            and (not wanted.ev_charger or self.ev_charger)
            and (not wanted.accessible or self.accessible)
        )


@dataclass(frozen=True)
class SpaceFilter:
    covered: bool = False
    ev_charger: bool = False
    accessible: bool = False
    min_height_cm: int | None = None
    vehicle_size: str | None = None
    max_price_minor: int | None = None


@dataclass(frozen=True)
class OwnershipDocument:
    key: str
    status: str  # "requested" (upload URL issued) or "uploaded" (checked in S3)
    content_type: str
    size: int = 0


@dataclass(frozen=True)
class Space:
    space_id: str
    owner_id: str
    title: str
    address: str
    location: Point
    attributes: SpaceAttributes
    status: str
    calendar: Calendar
    version: int
    created_at: datetime
    currency: str
    carpark_id: str | None = None
    lot: str | None = None
    reject_reason: str | None = None
    document: OwnershipDocument | None = None
    link_state: str | None = None  # of the link to carpark_id: pending, accepted or refused (None without a car park)
    link_decided_at: datetime | None = None
    link_decided_by: str | None = None

    @property
    def gate_carpark(self) -> str | None:
        """The car park whose gate admits this space's parkers and whose books its stays go in: only an accepted link."""
        return self.carpark_id if self.link_state == LINK_ACCEPTED else None

    def link_decided(self, accept: bool, by: str, now: datetime) -> Space:
        """A car-park owner accepts a pending link, or refuses a pending one (or ends an accepted one)."""
        if self.carpark_id is None or self.link_state not in ((LINK_PENDING,) if accept else (LINK_PENDING, LINK_ACCEPTED)):
            raise InvalidTransitionError(f"this space's car park link is {self.link_state or 'absent'}", field="space_id")
        return replace(self, link_state=LINK_ACCEPTED if accept else LINK_REFUSED, link_decided_at=now, link_decided_by=by,
                       version=self.version + 1)

    def withdrawn(self) -> Space:
        """Its owner closed their account: never offered again; the title and address go, the location is kept only to
        about a kilometre (where past paid stays happened), and no ownership document is referenced any more."""
        coarse = Point(round(self.location.lat, 2), round(self.location.lng, 2))
        return replace(self, status=WITHDRAWN, title=ERASED, address=ERASED, location=coarse, document=None,
                       calendar=Calendar(self.calendar.timezone, (), self.calendar.bookings), version=self.version + 1)

    def require_bookable(self) -> None:
        self.require_offerable()
        if self.link_state == LINK_PENDING:
            raise RuleViolationError("this space waits for its car park to accept it; it can be booked once the car park decides",
                                     field="space_id", code="carpark_link_pending")

    def reviewed(self, approve: bool, reason: str | None) -> Space:
        if self.status != PENDING:
            raise InvalidTransitionError(f"space is already {self.status}", field="status")
        if approve and (self.document is None or self.document.status != "uploaded"):
            raise RuleViolationError("an ownership document must be uploaded before approval", field="document")
        status = APPROVED if approve else REJECTED
        return replace(self, status=status, reject_reason=None if approve else reason, version=self.version + 1)

    def require_offerable(self) -> None:
        if self.status != APPROVED:
            raise RuleViolationError(f"space is {self.status}; only approved spaces can be offered", field="space_id", code="space_not_approved")

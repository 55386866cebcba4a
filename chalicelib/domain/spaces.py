"""A shared parking space and its review."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .availability import Calendar
from .errors import InvalidTransitionError, RuleViolationError
from .geo import Point

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
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

"""Who is inside a car park now: one presence per car, written when the gate (or staff) lets it in and removed when
it leaves, and the occupancy against capacity that follows from them (pure).

A reservation's presence is keyed by the reservation, a member's by the plate (so a renewal in between does not
lose the car), an allow-listed plate's by the plate, and a car let in by staff by the override. Only one presence
per key can exist (a conditional write): that is what refuses a member's second exit without an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .timeutil import minutes_between

RESERVATION, MEMBER, ALLOWED, OVERRIDE = "reservation", "member", "allowed", "override"
PRESENCE_KINDS = (RESERVATION, MEMBER, ALLOWED, OVERRIDE)
UNASSIGNED = None  # cars that belong to no lot


def presence_key(kind: str, ref: str) -> str:
    return f"{kind}#{ref}"


@dataclass(frozen=True)
class Presence:
    carpark_id: str
    kind: str
    ref: str  # reservation id, membership plate tag, list entry tag or override id
    plate: str
    entered_at: datetime
    lot: str | None = None
    reservation_id: str | None = None
    membership_id: str | None = None
    due: datetime | None = None  # a reservation's end: past it (and the grace) the car overstays

    @property
    def key(self) -> str:
        return presence_key(self.kind, self.ref)

    def stay_min(self, now: datetime) -> int:
        return minutes_between(self.entered_at, now) if now > self.entered_at else 0

    def overstaying(self, now: datetime, grace_min: int) -> bool:
        return self.due is not None and now > self.due + timedelta(minutes=grace_min)


@dataclass(frozen=True)
class LotOccupancy:
    lot: str | None
    capacity: int
    occupied: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.occupied)


def occupancy(counts: dict[str | None, int], capacities: dict[str, int], unassigned_capacity: int) -> list[LotOccupancy]:
    """Every lot (configured or with cars in it), then the cars of no lot; counts never below zero."""
    lots = list(capacities) + sorted(k for k in counts if k is not None and k not in capacities)
    out = [LotOccupancy(lot, capacities.get(lot, 0), max(0, counts.get(lot, 0))) for lot in lots]
    out.append(LotOccupancy(UNASSIGNED, unassigned_capacity, max(0, counts.get(UNASSIGNED, 0))))
    return out

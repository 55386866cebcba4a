"""What the gate does with a plate read: which reservation or member it is, and open or deny.

Matching tolerates the confusions of plate cameras (O/0, I/1, B/8, S/5, ...) but never lets a
read stand for a plate other than the one it most plausibly is: an exact match with a known
plate wins; otherwise the read must fold onto exactly one known plate, or the gate denies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .carparks import CarPark, Membership, local_day
from .plates import confusion_key
from .reservations import ENTERED, RESERVED, Reservation

ENTRY, EXIT = "entry", "exit"
OPEN, DENY = "open", "deny"

REASONS = {
    "reservation": "Welcome: reservation recognised",
    "member": "Welcome: member recognised",
    "goodbye": "Goodbye: stay recorded",
    "member_exit": "Goodbye, member",
    "unknown_plate": "No reservation or membership for this plate",
    "ambiguous_plate": "Plate unclear: please call staff",
    "low_confidence": "Plate unreadable: please call staff",
    "too_early": "Your reservation has not started yet",
    "reservation_over": "Your reservation has ended",
    "closed": "The car park is closed",
    "no_entry_recorded": "No entry recorded for this plate: please call staff",
    "already_exited": "This stay is already closed",
    # the console's rules (domain/plate_lists.py, services/console_hooks.py)
    "blocked": "This plate is not admitted here: please contact the car park",
    "allowed": "Welcome",
    "allowed_exit": "Goodbye",
    "already_inside": "This member is inside already: please call staff",
    "member_not_inside": "No entry recorded for this member: please call staff",
}


@dataclass(frozen=True)
class Decision:
    action: str  # open or deny
    reason: str  # a key of REASONS
    reservation_id: str | None = None
    membership_id: str | None = None
    plate: str | None = None

    @property
    def message(self) -> str:
        return REASONS[self.reason]


def gate_key(carpark_id: str, plate: str) -> str:
    """The index key under which every plate a camera could confuse with `plate` is stored."""
    return f"{carpark_id}#{confusion_key(plate)}"


def resolve_plate(read: str, known: set[str]) -> str | None | bool:
    """The known plate this read stands for; None if none; False if it could be more than one."""
    if read in known:
        return read
    folded = {p for p in known if confusion_key(p) == confusion_key(read)}
    if len(folded) > 1:
        return False
    return next(iter(folded), None)


def _deny(reason: str, plate: str | None = None) -> Decision:
    return Decision(DENY, reason, plate=plate)


def _candidates(read: str, state: str, now: datetime, carpark: CarPark, reservations: list[Reservation],
                members: list[Membership]) -> tuple[list[Reservation], list[Membership], str | None | bool]:
    """This car park's reservations in `state`, its members valid today, and the plate the read stands for."""
    stays = [r for r in reservations if r.state == state and r.carpark_id == carpark.carpark_id]
    today = local_day(now, carpark.timezone)
    valid = [m for m in members if m.carpark_id == carpark.carpark_id and m.valid_on(today)]
    return stays, valid, resolve_plate(read, {r.plate for r in stays} | {m.plate for m in valid})


def decide_entry(
    read: str, confidence_pct: int, now: datetime, *, carpark: CarPark, reservations: list[Reservation],
    members: list[Membership], grace_min: int, min_confidence_pct: int,
) -> Decision:
    """Open for a reserved plate whose window (with grace) covers now, or a valid member."""
    live, valid, plate = _candidates(read, RESERVED, now, carpark, reservations, members)
    if plate is False:
        return _deny("ambiguous_plate")
    if plate is None:
        return _deny("unknown_plate")
    if plate != read and confidence_pct < min_confidence_pct:
        return _deny("low_confidence")
    return _entry_for(str(plate), now, carpark, live, valid, timedelta(minutes=grace_min))


def _entry_for(plate: str, now: datetime, carpark: CarPark, live: list[Reservation], valid: list[Membership], grace: timedelta) -> Decision:
    mine = sorted((r for r in live if r.plate == plate), key=lambda r: r.start)
    current = [r for r in mine if r.start - grace <= now < r.end]
    if current:
        return Decision(OPEN, "reservation", reservation_id=current[0].reservation_id, plate=plate)
    member = next((m for m in valid if m.plate == plate), None)
    if member is not None:
        if not carpark.is_open(now):
            return _deny("closed", plate)
        return Decision(OPEN, "member", membership_id=member.membership_id, plate=plate)
    if any(now < r.start - grace for r in mine):
        return _deny("too_early", plate)
    return _deny("reservation_over", plate)


def decide_exit(
    read: str, now: datetime, *, carpark: CarPark, reservations: list[Reservation], members: list[Membership]
) -> Decision:
    """Open for the stay that entered under this plate (then bill it), or a member; deny otherwise."""
    inside, valid, plate = _candidates(read, ENTERED, now, carpark, reservations, members)
    if plate is False:
        return _deny("ambiguous_plate")
    stay = next((r for r in sorted(inside, key=lambda r: r.start) if r.plate == plate), None)
    if stay is not None:
        return Decision(OPEN, "goodbye", reservation_id=stay.reservation_id, plate=stay.plate)
    member = next((m for m in valid if m.plate == plate), None)
    if member is not None:
        return Decision(OPEN, "member_exit", membership_id=member.membership_id, plate=member.plate)
    left = [r for r in reservations if r.exited_at is not None and resolve_plate(read, {r.plate}) == r.plate]
    return _deny("already_exited" if left else "no_entry_recorded", read)

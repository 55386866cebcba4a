"""The reservation: its state machine and the cancellation policy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .accounts import ERASED
from .availability import Interval
from .billing import Bill
from .errors import InvalidTransitionError

RESERVED, ENTERED, EXITED, BILLED, PAID, COMPLETED = "reserved", "entered", "exited", "billed", "paid", "completed"
CANCELLED, NO_SHOW, DISPUTED = "cancelled", "no_show", "disputed"

TRANSITIONS: dict[str, frozenset[str]] = {
    RESERVED: frozenset({ENTERED, CANCELLED, NO_SHOW}),
    ENTERED: frozenset({EXITED, DISPUTED}),
    EXITED: frozenset({BILLED, DISPUTED}),
    BILLED: frozenset({PAID, DISPUTED}),
    PAID: frozenset({COMPLETED, DISPUTED}),
    COMPLETED: frozenset({DISPUTED}),
    DISPUTED: frozenset({COMPLETED}),
    CANCELLED: frozenset(),
    NO_SHOW: frozenset(),
}
STATES = tuple(TRANSITIONS)
# States in which the reservation still holds its time on the space's calendar.
HOLDS_SPACE = frozenset({RESERVED, ENTERED})


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransitionError(f"a reservation that is {current} cannot become {new}", field="state")


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    space_id: str
    parker_id: str
    sharer_id: str
    plate: str
    start: datetime
    end: datetime
    price_minor: int
    currency: str
    state: str
    version: int
    created_at: datetime
    window_id: str
    carpark_id: str | None = None
    lot: str | None = None
    fee_minor: int = 0
    refund_minor: int = 0
    cancelled_by: str | None = None
    entered_at: datetime | None = None
    exited_at: datetime | None = None
    bill: Bill | None = None
    charge_id: str | None = None
    payment_status: str | None = None  # pending, succeeded, failed (from the payment provider)
    paid_at: datetime | None = None
    completed_at: datetime | None = None
    ledger_entry: str | None = None

    @property
    def amount_due_minor(self) -> int:
        """What the parker pays: the bill after a stay, the fee after a cancellation or no-show."""
        return self.bill.total_minor if self.bill is not None else self.fee_minor

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    def plate_erased(self) -> Reservation:
        """The reservation as kept after its parker closed their account: times, money and ids, no plate."""
        return replace(self, plate=ERASED, version=self.version + 1)

    def moved_to(self, new_state: str) -> Reservation:
        check_transition(self.state, new_state)
        return replace(self, state=new_state, version=self.version + 1)


def cancellation_terms(reservation: Reservation, *, by_sharer: bool, now: datetime) -> tuple[int, int]:
    """(fee charged to the parker, amount refunded to the parker) in minor units.

    Parkers cancel free of charge until the start; after it the full price stays due. When the
    sharer cancels, the parker owes nothing and is refunded whatever was paid.
    """
    if by_sharer or now < reservation.start:
        return 0, reservation.price_minor
    return reservation.price_minor, 0

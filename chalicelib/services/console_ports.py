"""Ports of the car-park console: books and their aggregates, who is inside, the movements feed, plate lists,
membership plans, alerts, overrides, the audit trail, car-park settings, exports.

Adapters: chalicelib/adapters/console_store.py, console_books.py, console_audit.py (DynamoDB). Every list is a page:
the items and an opaque cursor for the next one (None at the end).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from ..domain.alerts import Alert
from ..domain.audit_trail import AuditEntry
from ..domain.books import BookEntry, Counters
from ..domain.carpark_settings import CarParkSettings
from ..domain.carparks import Membership
from ..domain.member_plans import PlateCalendar
from ..domain.plate_lists import ListedPlate
from ..domain.presence import Presence
from .carpark_ports import CarParkRepository, StaffRepository
from .order_ports import NotificationFeed
from .ports import BlobStore, Clock, ReservationRepository

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None  # opaque: hand it back as `next` for the following page


class BookStore(Protocol):
    def record(self, entries: list[BookEntry]) -> bool:
        """The entries of one event (a stay and its refund line) in one transaction with their counters; False (and
        nothing written) if they were counted before."""
        ...

    def months(self, carpark_id: str, firsts: list[date]) -> dict[str, Counters]:
        """Month items by "YYYY-MM" (one Query over the months' key range)."""
        ...

    def days(self, carpark_id: str, ranges: list[tuple[date, date]]) -> dict[date, Counters]:
        """Day items of these inclusive ranges (one Query each)."""
        ...

    def rows(self, carpark_id: str, since: datetime, until: datetime, limit: int, cursor: str | None, newest_first: bool) -> Page[BookEntry]:
        """The entries counted in [since, until), in time order."""
        ...


class PresenceStore(Protocol):
    def tag(self, carpark_id: str, plate: str) -> str:
        """The key part that stands for a plate (a blind index: no plate is ever a key)."""
        ...

    def enter(self, p: Presence) -> bool:
        """Record the car as inside (and count it); False if this key is inside already."""
        ...

    def leave(self, carpark_id: str, key: str) -> Presence | None:
        """Remove it (and uncount it); None if it was not inside."""
        ...

    def get(self, carpark_id: str, key: str) -> Presence | None: ...
    def counts(self, carpark_id: str) -> dict[str | None, int]:
        """Cars inside by lot (None: no lot)."""
        ...

    def page(self, carpark_id: str, limit: int, cursor: str | None, oldest_first: bool) -> Page[Presence]:
        """Cars inside by entry time."""
        ...


@dataclass(frozen=True)
class Movement:
    carpark_id: str
    sort_key: str  # "<arrival time>#<id>"
    source: str  # gate or override
    direction: str  # entry or exit (an override: let_in, let_out, mark_left)
    read: str | None  # the plate as the camera read it (an override: as staff typed it)
    matched: str | None  # the known plate it was taken for, if any
    decision: str  # open or deny (an override: open, or none for a car marked as left)
    reason: str
    occurred_at: datetime
    device_id: str | None = None
    reservation_id: str | None = None
    membership_id: str | None = None
    ref: str | None = None  # the gate event's id, or the override's
    by: str | None = None  # who, for an override


class MovementFeed(Protocol):
    def add(self, m: Movement) -> None: ...
    def since(self, carpark_id: str, start: str, limit: int) -> list[Movement]:
        """Movements whose arrival time is at or after `start`, oldest first."""
        ...

    def page(self, carpark_id: str, limit: int, cursor: str | None) -> Page[Movement]:
        """Newest first."""
        ...


class PlateLists(Protocol):
    def add(self, entry: ListedPlate) -> None:
        """409 plate_listed if the plate is on one of the car park's lists already (a conditional write)."""
        ...

    def remove(self, carpark_id: str, entry_id: str) -> ListedPlate: ...
    def page(self, carpark_id: str, kind: str | None, limit: int, cursor: str | None, newest_first: bool) -> Page[ListedPlate]: ...
    def for_plate(self, carpark_id: str, read: str) -> list[ListedPlate]:
        """Entries whose plate a camera could confuse with this read (one blind-index query)."""
        ...


@dataclass(frozen=True)
class MemberRecord:
    membership: Membership
    price_minor: int | None = None
    added_by: str | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    renews: str | None = None  # the membership this one follows


class MemberPlans(Protocol):
    def calendar(self, carpark_id: str, plate: str) -> PlateCalendar: ...
    def add(self, record: MemberRecord, calendar: PlateCalendar) -> None:
        """The membership and the plate's calendar in one transaction, the calendar on the version it was read at."""
        ...

    def end(self, record: MemberRecord, previous_until: date, calendar: PlateCalendar) -> None: ...
    def get(self, carpark_id: str, membership_id: str) -> MemberRecord: ...
    def page(self, carpark_id: str, until_from: date | None, until_to: date | None, limit: int, cursor: str | None,
             ascending: bool) -> Page[MemberRecord]:
        """By last valid day (what "expiring soon" sorts on)."""
        ...


class AlertStore(Protocol):
    def raise_alert(self, alert: Alert) -> bool:
        """Record it unless its id is recorded already; True if it is new."""
        ...

    def get(self, carpark_id: str, alert_id: str) -> Alert: ...
    def acknowledge(self, alert: Alert) -> None:
        """Store the acknowledged alert, on condition that it is still open."""
        ...

    def page(self, carpark_id: str, open_only: bool, limit: int, cursor: str | None) -> Page[Alert]:
        """Newest first."""
        ...


@dataclass(frozen=True)
class Override:
    carpark_id: str
    override_id: str
    action: str  # let_in, let_out, mark_left
    plate: str
    reason: str
    by: str
    at: datetime
    billed: str  # what it billed (docs/console-api.md "What an override bills")
    device_id: str | None = None
    command_id: str | None = None
    reservation_id: str | None = None
    membership_id: str | None = None
    flagged: bool = False  # nothing on record explains the car: an alert was raised


class OverrideLog(Protocol):
    def add(self, override: Override) -> None: ...
    def page(self, carpark_id: str, limit: int, cursor: str | None) -> Page[Override]: ...


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> None:
        """Append-only: a conditional put on a new key; there is no update or delete."""
        ...

    def page(self, carpark_id: str, since: datetime | None, until: datetime | None, limit: int, cursor: str | None) -> Page[AuditEntry]:
        """Newest first."""
        ...


class SettingsStore(Protocol):
    def get(self, carpark_id: str, currency: str) -> CarParkSettings: ...
    def save(self, carpark_id: str, settings: CarParkSettings, expected_version: int) -> None:
        """Lots, opening rules, tariff and capacities on the car park's item, on condition of its version."""
        ...


@dataclass(frozen=True)
class ExportRecord:
    carpark_id: str
    export_id: str
    key: str  # the blob's key
    expires_at: datetime


class ExportStore(Protocol):
    def add(self, export: ExportRecord) -> None: ...
    def due(self, now: datetime, limit: int) -> list[ExportRecord]: ...
    def forget(self, export: ExportRecord) -> None: ...


@dataclass(frozen=True)
class StayFacts:
    state: str
    ledger_entry: str | None
    payment_status: str | None


class StayLookup(Protocol):
    def facts(self, reservation_ids: list[str]) -> Mapping[str, StayFacts]:
        """State, ledger entry and payment status of reservations (one BatchGetItem, no plates opened)."""
        ...


class PlateEraser(Protocol):
    def erase_plate(self, carpark_id: str, plate: str) -> int:
        """Account closure: every console record at this car park that holds this plate keeps its facts, with the
        plate as ERASED; returns how many."""
        ...


@dataclass(frozen=True)
class Console:
    """What the console's stores and hooks work with (the composition root builds it; CarParks, OrderLifecycle and Gate
    point here, None where a test builds them without the console)."""

    books: BookStore
    presence: PresenceStore
    feed: MovementFeed
    lists: PlateLists
    plans: MemberPlans
    alerts: AlertStore
    overrides: OverrideLog
    audit: AuditLog
    settings: SettingsStore
    exports: ExportStore
    stays: StayLookup
    eraser: PlateEraser
    blobs: BlobStore
    carparks: CarParkRepository
    staff: StaffRepository
    reservations: ReservationRepository
    notifications: NotificationFeed
    clock: Clock
    currency: str
    quiet_after_s: int = 300
    inline_export_rows: int = 1000

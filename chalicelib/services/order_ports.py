"""Ports of the order lifecycle (car parks, gate, notifications, balances, payments).

Adapters implement them on DynamoDB/KMS (chalicelib/adapters/orders.py, payments.py); tests/fakes.py in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.carparks import CarPark, Device, Membership
from ..domain.reservations import Reservation
from ..domain.staff import StaffMembership
from .idempotency import Claims
from .ports import ReservationRepository


class CarParkRepository(Protocol):
    def add(self, carpark: CarPark) -> None: ...
    def get(self, carpark_id: str) -> CarPark: ...


class StaffRepository(Protocol):
    """Car-park memberships, one item per (car park, user); every write conditional on absence or version."""

    def add(self, membership: StaffMembership) -> None: ...
    def save(self, membership: StaffMembership, expected_version: int) -> None: ...
    def find(self, carpark_id: str, user_id: str) -> StaffMembership | None: ...
    def by_carpark(self, carpark_id: str, limit: int) -> list[StaffMembership]: ...
    def by_user(self, user_id: str, limit: int) -> list[StaffMembership]: ...


class DeviceRepository(Protocol):
    def add(self, device: Device) -> None: ...
    def get(self, device_id: str) -> Device: ...
    def save(self, device: Device, expected_version: int) -> None: ...
    def by_carpark(self, carpark_id: str) -> list[Device]: ...


class MembershipRepository(Protocol):
    def add(self, membership: Membership) -> None: ...
    def by_carpark(self, carpark_id: str, limit: int | None = None) -> list[Membership]: ...
    def for_plate(self, carpark_id: str, plate: str) -> list[Membership]: ...


class OrderReservations(ReservationRepository, Protocol):
    """The reservation queries the gate, the no-show sweep and the staff dashboard need."""

    def for_plate(self, carpark_id: str, plate: str) -> list[Reservation]: ...
    def at_carpark(self, carpark_id: str, limit: int) -> list[Reservation]: ...
    def paid_at_carpark(self, carpark_id: str, since: datetime, until: datetime) -> list[Reservation]:
        """Paid in [since, until): half-open, so consecutive days never count a stay twice."""
        ...

    def expired(self, before: datetime, limit: int) -> list[Reservation]: ...
    def uncharged(self, limit: int) -> list[Reservation]:
        """Money due (a bill or a fee) that no charge covers yet: a charge attempt failed midway."""
        ...


class SecretBox(Protocol):
    """Seals device secrets (KMS) and opens them again, bound to the device id."""

    def seal(self, device_id: str, secret: bytes) -> bytes: ...
    def open(self, device_id: str, secret_version: int, sealed: bytes) -> bytes: ...


@dataclass(frozen=True)
class GateEventRecord:
    event_key: str
    device_id: str
    carpark_id: str
    request_hash: str
    state: str  # in_progress or done
    occurred_at: datetime
    direction: str | None = None
    plate: str | None = None
    response: dict[str, object] | None = None


class GateEventLog(Claims[GateEventRecord, dict[str, object]], Protocol):
    """The car park's movements, and the claims of their event ids (services/idempotency.py): an event is claimed
    in_progress, then finished with its direction, plate and reply, or released."""

    def by_carpark(self, carpark_id: str, since: datetime, until: datetime, limit: int | None = None) -> list[GateEventRecord]:
        """Events in [since, until), newest first."""
        ...

    def by_plate(self, carpark_id: str, plate: str, limit: int) -> list[GateEventRecord]:
        """Finished events at the car park whose read a camera could confuse with this plate (a blind-index query)."""
        ...

    def erase(self, record: GateEventRecord) -> None:
        """Keep the movement, forget whose car it was: the plate (and the reply's) become ERASED, the index goes."""
        ...


@dataclass(frozen=True)
class Notification:
    feed_id: str  # a user id, or "carpark:<id>" for a car park's staff
    notification_id: str
    kind: str
    title: str
    body: str
    created_at: datetime
    reservation_id: str | None = None


class NotificationFeed(Protocol):
    def add(self, notification: Notification) -> None:
        """Idempotent: the same notification id in one feed is stored once."""
        ...

    def feed(self, feed_id: str, limit: int) -> list[Notification]: ...
    def about(self, reservation_id: str, limit: int) -> list[Notification]: ...
    def rewrite(self, notification: Notification) -> None:
        """Store a new body for an existing notification (same feed, id and time)."""
        ...


@dataclass(frozen=True)
class Payout:
    payout_id: str  # the reservation id: one payout per order
    account_id: str
    amount_minor: int
    fee_minor: int
    currency: str
    created_at: datetime


class Balances(Protocol):
    def credit(self, payout: Payout) -> bool:
        """Record the payout and add it to the balance atomically; False if it was already credited."""
        ...

    def balance(self, account_id: str) -> tuple[int, str | None]: ...

    def payouts(self, payout_ids: list[str]) -> list[Payout]:
        """The payouts recorded under these ids (order ids), in no particular order; unknown ids are skipped."""
        ...


@dataclass(frozen=True)
class PaymentMethod:
    customer_id: str
    method_id: str
    brand: str
    last4: str


@dataclass(frozen=True)
class Charge:
    charge_id: str
    customer_id: str
    amount_minor: int
    currency: str
    reference: str  # our reservation id
    status: str  # pending, succeeded, failed
    kind: str = "charge"  # charge or refund
    failure: str | None = None


class PaymentProvider(Protocol):
    def save_method(self, customer_id: str, token: str) -> PaymentMethod: ...
    def method(self, customer_id: str) -> PaymentMethod | None: ...
    def create_charge(self, *, customer_id: str, amount_minor: int, currency: str, reference: str, idempotency_key: str) -> Charge: ...
    def refund(self, *, charge_id: str, amount_minor: int, reference: str, idempotency_key: str) -> Charge: ...

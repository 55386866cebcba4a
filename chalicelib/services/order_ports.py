"""Ports of the order lifecycle besides its reservation: notifications, balances and payouts, payments.

Adapters implement them on DynamoDB (chalicelib/adapters/notifications.py, balances.py, payments.py); tests/fakes.py in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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

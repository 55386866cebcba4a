"""Wire formats of car parks, the gate, payments and notifications."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .device_schemas import DeviceCertificateOut, DeviceHealthOut
from .schemas import Day, ReservationList, ReservationOut, Strict

__all__ = ["ReservationList"]


class OpeningIn(Strict):
    days: list[int] = Field(min_length=1, max_length=7, description="0=Monday .. 6=Sunday")
    open: str = Field(pattern=r"^\d\d:\d\d$", description="local HH:MM")
    close: str = Field(pattern=r"^\d\d:\d\d$", description="local HH:MM, 24:00 allowed")


class CarParkIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["residential", "public"]
    address: str = Field(min_length=3, max_length=300)
    lots: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(default=[], max_length=2000)
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    opening: list[OpeningIn] = Field(default=[], max_length=14, description="empty: open around the clock")


class CarParkOut(BaseModel):
    carpark_id: str
    owner_id: str
    name: str
    kind: str
    address: str
    lots: list[str]
    timezone: str
    opening: list[dict[str, object]]
    created_at: str


class StaffIn(Strict):
    """Name the person by the email of their account or by their user id (exactly one)."""

    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254)
    user_id: str | None = Field(default=None, min_length=1, max_length=64)
    role: Literal["staff", "owner"] = Field(default="staff", description="owner: may also manage staff, devices and space links")


class PersonOut(BaseModel):
    display_name: str
    email: str


class StaffOut(BaseModel):
    carpark_id: str
    user_id: str
    role: Literal["owner", "staff"]
    state: Literal["invited", "active", "declined", "removed"]
    invited_by: str
    invited_at: str
    decided_at: str | None = Field(description="when it was accepted, declined or ended")
    ended_by: str | None = None
    person: PersonOut | None = Field(default=None, description="name and email, shown to owners once the person accepted")


class StaffList(BaseModel):
    staff: list[StaffOut]


class InvitationOut(BaseModel):
    carpark_id: str
    carpark_name: str
    carpark_address: str
    role: str
    state: str
    invited_at: str


class InvitationList(BaseModel):
    invitations: list[InvitationOut]


class MyCarParkOut(BaseModel):
    role: Literal["owner", "staff"]
    since: str | None
    carpark: CarParkOut


class MyCarParkList(BaseModel):
    carparks: list[MyCarParkOut]


class DeviceIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    mqtt: bool = Field(default=False, description="also a Thing and an X.509 certificate, to connect to AWS IoT Core over MQTT")


class DeviceOut(BaseModel):
    device_id: str
    carpark_id: str
    name: str
    status: str
    secret_version: int
    created_at: str
    secret: str | None = Field(default=None, description="the HMAC secret: returned once, at creation or rotation")
    thing_name: str | None = None
    certificate_id: str | None = None
    certificate: DeviceCertificateOut | None = Field(default=None, description="an MQTT device's: once, at creation or rotation")
    health: DeviceHealthOut | None = Field(default=None, description="in the device list: the last heartbeat")


class DeviceList(BaseModel):
    devices: list[DeviceOut]


class MembershipIn(Strict):
    plate: str = Field(min_length=1, max_length=20)
    holder: str = Field(min_length=1, max_length=120)
    plan: Literal["monthly", "quarterly", "annual"]
    valid_from: Day | None = None


class MembershipOut(BaseModel):
    membership_id: str
    carpark_id: str
    plate: str
    holder: str
    plan: str
    valid_from: str
    valid_until: str


class MembershipList(BaseModel):
    memberships: list[MembershipOut]


class GateEventIn(BaseModel):
    """Signed by the device: headers X-Gate-Device, X-Gate-Timestamp, X-Gate-Signature (see docs/gate.md)."""

    event_id: str = Field(min_length=1, max_length=128)
    carpark_id: str | None = Field(default=None, description="optional; if given it must be the device's car park")
    direction: Literal["entry", "exit"]
    plate: str
    confidence: float = Field(default=1.0, ge=0, le=1)
    captured_at: str | None = None
    snapshot: str | None = None


class GateDecisionOut(BaseModel):
    event_id: str
    decision: Literal["open", "deny"]
    reason: str
    message: str
    plate: str
    reservation_id: str | None
    membership_id: str | None
    direction: str
    at: str


class MovementOut(BaseModel):
    device_id: str
    direction: str | None
    plate: str | None
    decision: str | None
    reason: str | None
    reservation_id: str | None
    at: str


class MovementList(BaseModel):
    movements: list[MovementOut]


class TransactionsOut(BaseModel):
    since: str
    until: str
    orders: list[ReservationOut]
    days: dict[str, dict[str, int]]
    total_minor: int


class DayQuery(Strict):
    day: Day | None = Field(default=None, alias="date", description="local day; default today")


class RangeQuery(Strict):
    since: Day | None = Field(default=None, alias="from", description="first local day; default today")
    until: Day | None = Field(default=None, alias="to", description="last local day (inclusive); default the first")


class PaymentMethodIn(Strict):
    token: str = Field(min_length=1, max_length=64, examples=["tok_visa"])


class PaymentMethodOut(BaseModel):
    method_id: str
    brand: str
    last4: str


class PaymentWebhookIn(BaseModel):
    """Signed by the provider: headers X-Payment-Timestamp, X-Payment-Signature (see docs/gate.md)."""

    event_id: str
    type: str
    created: str
    data: dict[str, object]


class WebhookAck(BaseModel):
    received: bool
    reservation_id: str
    state: str
    payment_status: str | None


class NotificationOut(BaseModel):
    notification_id: str
    kind: str
    title: str
    body: str
    reservation_id: str | None
    created_at: str


class NotificationList(BaseModel):
    notifications: list[NotificationOut]


class BalanceOut(BaseModel):
    balance_minor: int
    currency: str | None


class PayoutOut(BaseModel):
    reservation_id: str
    space_id: str
    paid_minor: int = Field(description="what the parker paid for the order")
    fee_minor: int = Field(description="the platform fee kept from it")
    payout_minor: int = Field(description="the sharer's share, credited to the balance")
    currency: str
    credited_at: str


class EarningsOut(BaseModel):
    balance_minor: int = Field(description="the payouts credited so far (the sum of payout_minor over every order)")
    currency: str | None
    platform_fee_bp: int = Field(description="the platform fee in basis points of each order's amount (1000 = 10%)")
    paid_minor: int = Field(description="sums over the orders listed")
    fee_minor: int
    payout_minor: int
    payouts: list[PayoutOut] = Field(description="the newest paid orders, newest first")


class SweepOut(BaseModel):
    expired: list[str]

"""Wire formats of the car parks blueprint (routes/carparks.py): car parks, staff, space links, devices and commands, members, the dashboard."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import Day, Strict
from .marketplace import ReservationOut


class SpaceLinkQuery(Strict):
    state: Literal["pending", "accepted", "refused"] = "pending"


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


class MqttEndpointOut(BaseModel):
    host: str
    port: int
    ca_pem: str | None = Field(description="the CA the device's TLS client trusts for the broker; null on AWS: Amazon Root CA 1")


class DeviceCertificateOut(BaseModel):
    thing_name: str = Field(description="the Thing, which is also the MQTT client id the device must connect with")
    certificate_id: str
    certificate_pem: str
    private_key_pem: str = Field(description="returned once, at registration or rotation; never stored")
    endpoint: MqttEndpointOut
    topics: dict[str, str] = Field(description="events and heartbeat (Basic Ingest, publish QoS 1), commands (subscribe QoS 1)")


class DeviceHealthOut(BaseModel):
    last_heartbeat_at: str | None
    firmware: str | None
    status: dict[str, str | int | float | bool]
    via: Literal["https", "mqtt"] | None
    quiet: bool = Field(description="active and silent for longer than CP_DEVICE_QUIET_S (300 s)")


class CommandIn(Strict):
    action: Literal["open", "refuse"]
    reason: str = Field(min_length=1, max_length=200, description="why: kept with who issued it")
    ttl_s: int | None = Field(default=None, ge=10, le=3600, description="default CP_GATE_COMMAND_TTL_S (120)")


class CommandOut(BaseModel):
    command_id: str
    device_id: str
    action: str
    reason: str
    issued_by: str
    issued_at: str
    expires_at: str
    state: str

"""Wire formats of the car-park console (docs/console.md): times are RFC 3339 date-times, days ISO dates, money in minor
units, states enums; every list has `limit` and an opaque `next` cursor (null at the end)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import Day, Strict

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Limit = Annotated[int, Field(ge=1, le=200, description="items per page")]
Next = Annotated[str | None, Field(default=None, max_length=4096, description="the `next` cursor of the previous page")]
Plate = Annotated[str, Field(min_length=1, max_length=20)]
Reason = Annotated[str, Field(min_length=3, max_length=200)]


class PageQuery(Strict):
    limit: Limit = 50
    next: Next = None


# ---------------------------------------------------------------- live view


class LotOccupancyOut(BaseModel):
    lot: str | None = Field(description="null: cars of no lot (members, allowed plates, cars let in by staff)")
    capacity: int
    occupied: int
    free: int


class OccupancyOut(BaseModel):
    carpark_id: str
    at: DateTime
    capacity: int
    occupied: int
    lots: list[LotOccupancyOut]


class InsideQuery(PageQuery):
    order: Literal["oldest", "newest"] = "oldest"


class PresenceOut(BaseModel):
    key: str = Field(description="the car's presence: reservation#<id>, member#<tag>, allowed#<tag> or override#<tag>")
    kind: Literal["reservation", "member", "allowed", "override"]
    plate: str
    lot: str | None
    entered_at: DateTime
    stay_min: int
    due: DateTime | None = Field(description="a reservation's end")
    overstaying: bool
    reservation_id: str | None
    membership_id: str | None


class PresenceList(BaseModel):
    inside: list[PresenceOut]
    next: str | None


class FeedQuery(Strict):
    since: str | None = Field(default=None, max_length=16384, description="the `next` of the previous poll; none: the newest movements")
    limit: Limit = 50


class FeedMovementOut(BaseModel):
    movement_id: str
    source: Literal["gate", "override"]
    direction: Literal["entry", "exit", "let_in", "let_out", "mark_left"]
    read: str | None = Field(description="the plate as the camera read it (an override: as staff typed it)")
    matched: str | None = Field(description="the known plate it was taken for")
    decision: Literal["open", "deny"]
    reason: str = Field(description="a gate reason code (docs/gate.md), or the staff member's reason")
    message: str | None
    occurred_at: DateTime
    device_id: str | None
    reservation_id: str | None
    membership_id: str | None
    by: str | None


class FeedOut(BaseModel):
    movements: list[FeedMovementOut] = Field(description="without since: newest first; with since: only new ones, oldest first")
    next: str = Field(description="poll again with since=<this>")
    more: bool = Field(description="more are waiting: poll again at once")


class OverrideIn(Strict):
    action: Literal["let_in", "let_out", "mark_left"]
    plate: Plate
    reason: Reason
    device_id: str | None = Field(default=None, max_length=64, description="the gate to open (not for mark_left)")
    reservation_id: str | None = Field(default=None, max_length=64, description="which reservation, if the plate has several")


class OverrideOut(BaseModel):
    override_id: str
    action: Literal["let_in", "let_out", "mark_left"]
    plate: str
    reason: str
    by: str
    at: DateTime
    billed: str = Field(description="what the override billed (docs/console.md)")
    device_id: str | None
    command_id: str | None = Field(description="the gate command that opens the barrier")
    reservation_id: str | None
    membership_id: str | None
    flagged: bool = Field(description="nothing on record explained the car: an alert was raised")


class OverrideList(BaseModel):
    overrides: list[OverrideOut]
    next: str | None


# ---------------------------------------------------------------- alerts


class AlertQuery(PageQuery):
    state: Literal["open", "all"] = "open"


class AlertOut(BaseModel):
    alert_id: str
    kind: Literal["overstay", "payment_failed", "unknown_plate", "blocked_plate", "quiet_device", "unbilled_exit"]
    title: str
    body: str
    raised_at: DateTime
    state: Literal["open", "acknowledged"]
    reservation_id: str | None
    device_id: str | None
    acknowledged_by: str | None
    acknowledged_at: DateTime | None


class AlertList(BaseModel):
    alerts: list[AlertOut]
    next: str | None


class AcknowledgeIn(Strict):
    alert_id: str = Field(min_length=1, max_length=300)


# ---------------------------------------------------------------- transactions and the report


class PeriodQuery(PageQuery):
    since: Day | None = Field(default=None, alias="from", description="first local day; default today")
    until: Day | None = Field(default=None, alias="to", description="last local day (inclusive); default the first")


class TotalsOut(BaseModel):
    revenue_minor: int
    paid_stays: int
    member_visits: int
    no_shows: int
    overstays: int
    stay_minutes: int
    refunds: int
    refunded_minor: int
    fees_minor: int


class TransactionOut(BaseModel):
    at: DateTime
    kind: Literal["paid", "refund", "no_show", "fee"]
    reservation_id: str
    plate: str | None
    lot: str | None
    entered_at: DateTime | None
    exited_at: DateTime | None
    stay_min: int
    overstay_min: int
    amount_minor: int
    currency: str
    state: str | None = Field(description="the reservation's state now")
    payment_status: str | None
    ledger_entry: str | None
    proof: str | None = Field(description="path of the paid stay's ledger bundle (verify offline with verify-bundle)")


class TransactionList(BaseModel):
    carpark_id: str
    since: str = Field(json_schema_extra={"format": "date"})
    until: str = Field(json_schema_extra={"format": "date"})
    currency: str
    totals: TotalsOut = Field(description="over the whole period, whatever the page")
    transactions: list[TransactionOut]
    next: str | None


class ReportQuery(Strict):
    since: Day | None = Field(default=None, alias="from")
    until: Day | None = Field(default=None, alias="to")
    granularity: Literal["day", "week", "month"] = "day"


class SummaryOut(TotalsOut):
    average_stay_min: float
    no_show_rate: float = Field(description="no-shows / (paid stays + no-shows)")


class SeriesRow(TotalsOut):
    period: str = Field(description="the day, the Monday of the week, or YYYY-MM")


class ReportOut(BaseModel):
    carpark_id: str
    since: str = Field(json_schema_extra={"format": "date"})
    until: str = Field(json_schema_extra={"format": "date"})
    granularity: Literal["day", "week", "month"]
    currency: str
    summary: SummaryOut
    series: list[SeriesRow]
    heatmap: list[list[float]] = Field(description="average cars present, 7 weekdays (Monday first) x 24 local hours")
    by_hour: list[float] = Field(description="average cars present by local hour of day")


class ExportIn(Strict):
    dataset: Literal["series", "heatmap", "transactions"]
    since: Day | None = Field(default=None, alias="from")
    until: Day | None = Field(default=None, alias="to")
    granularity: Literal["day", "week", "month"] = "day"


class CsvExportOut(BaseModel):
    dataset: str
    filename: str
    rows: int
    csv: str | None = Field(description="the CSV itself, for small exports")
    url: str | None = Field(description="a presigned download for large ones (expires_at)")
    expires_at: DateTime | None


# ---------------------------------------------------------------- memberships


class MemberIn(Strict):
    plate: Plate
    holder: str = Field(min_length=1, max_length=120)
    plan: Literal["monthly", "quarterly", "annual"]
    valid_from: Day | None = None


class RenewIn(Strict):
    plan: Literal["monthly", "quarterly", "annual"] | None = None


class MemberQuery(PageQuery):
    expiring_within_days: int | None = Field(default=None, ge=0, le=366)


class MemberOut(BaseModel):
    membership_id: str
    carpark_id: str
    plate: str
    holder: str
    plan: Literal["monthly", "quarterly", "annual"]
    valid_from: str = Field(json_schema_extra={"format": "date"})
    valid_until: str = Field(json_schema_extra={"format": "date"})
    state: Literal["upcoming", "active", "expiring", "expired", "ended"] = Field(description="expiring: ends within 14 days")
    price_minor: int | None
    added_by: str | None
    ended_at: DateTime | None
    renews: str | None


class MemberList(BaseModel):
    memberships: list[MemberOut]
    next: str | None


# ---------------------------------------------------------------- plate lists


class ListedIn(Strict):
    kind: Literal["allow", "block"]
    plate: Plate
    reason: Reason
    valid_until: Day | None = None


class ListedQuery(PageQuery):
    kind: Literal["allow", "block"] | None = None


class ListedOut(BaseModel):
    entry_id: str
    kind: Literal["allow", "block"]
    plate: str
    reason: str
    added_by: str
    added_at: DateTime
    valid_until: str | None = Field(json_schema_extra={"format": "date"})


class ListedList(BaseModel):
    entries: list[ListedOut]
    next: str | None


# ---------------------------------------------------------------- settings


Price = Annotated[int, Field(ge=0, le=10_000_000)]


class TariffIO(BaseModel):
    hourly_rate_minor: Price | None = None
    daily_cap_minor: Price | None = None
    plans: dict[Literal["monthly", "quarterly", "annual"], Price] = {}


class LotIO(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    hourly_rate_minor: Price | None = None
    daily_cap_minor: Price | None = None


class OpeningIO(BaseModel):
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(min_length=1, max_length=7)
    open: str = Field(pattern=r"^\d{2}:\d{2}$")
    close: str = Field(pattern=r"^\d{2}:\d{2}$")


class SettingsIn(Strict):
    version: int = Field(ge=0, description="the version read; 409 version_conflict if someone saved since")
    currency: str = Field(min_length=3, max_length=3)
    tariff: TariffIO
    lots: list[LotIO] = Field(max_length=200)
    unassigned_capacity: int = Field(ge=0, le=100_000)
    opening: list[OpeningIO] = Field(max_length=50)


class SettingsOut(BaseModel):
    carpark_id: str
    version: int
    currency: str
    tariff: TariffIO
    lots: list[LotIO]
    unassigned_capacity: int
    opening: list[OpeningIO]


# ---------------------------------------------------------------- audit


class AuditQuery(PageQuery):
    since: DateTime | None = Field(default=None, alias="from")
    until: DateTime | None = Field(default=None, alias="to")


class AuditOut(BaseModel):
    entry_id: str
    at: DateTime
    actor: str
    role: str
    action: str
    area: Literal["alert", "device", "export", "list", "membership", "override", "settings", "staff"]
    target: str
    summary: str
    details: dict[str, str | int | bool | None]


class AuditList(BaseModel):
    entries: list[AuditOut]
    next: str | None

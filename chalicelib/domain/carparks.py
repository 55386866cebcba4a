"""Car parks, their gate devices and their members."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import InvalidInputError, RuleViolationError
from .timeutil import check_day

RESIDENTIAL, PUBLIC = "residential", "public"
KINDS = (RESIDENTIAL, PUBLIC)
PLANS = {"monthly": 1, "quarterly": 3, "annual": 12}
ACTIVE, REVOKED = "active", "revoked"


@dataclass(frozen=True)
class OpeningRule:
    """Open on these weekdays (0 = Monday) from start_minute to end_minute local time."""

    days: tuple[int, ...]
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not self.days or any(d not in range(7) for d in self.days):
            raise InvalidInputError("opening days must be weekdays 0 (Monday) to 6 (Sunday)", field="opening")
        if not 0 <= self.start_minute < self.end_minute <= 1440:
            raise InvalidInputError("opening hours must run forwards within one day", field="opening")

    def covers(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        return local.weekday() in self.days and self.start_minute <= minute < self.end_minute


@dataclass(frozen=True)
class CarPark:
    carpark_id: str
    owner_id: str
    name: str
    kind: str
    address: str
    lots: tuple[str, ...]
    timezone: str
    opening: tuple[OpeningRule, ...]  # empty: open around the clock
    created_at: datetime
    version: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInputError(f"kind must be one of {KINDS}", field="kind")
        if len(set(self.lots)) != len(self.lots):
            raise InvalidInputError("lot names must be distinct", field="lots")

    def is_open(self, moment: datetime) -> bool:
        if not self.opening:
            return True
        local = moment.astimezone(ZoneInfo(self.timezone))
        return any(rule.covers(local) for rule in self.opening)

    def check_lot(self, lot: str | None) -> None:
        if lot is not None and self.lots and lot not in self.lots:
            raise RuleViolationError(f"car park {self.name} has no lot {lot!r}", field="lot", code="unknown_lot")


@dataclass(frozen=True)
class Device:
    """A gate's plate reader. Its HMAC secret is stored only sealed (see adapters/devices.py)."""

    device_id: str
    carpark_id: str
    name: str
    sealed_secret: bytes
    secret_version: int
    status: str
    created_at: datetime
    version: int = 1
    thing_name: str | None = None  # an MQTT device's AWS IoT Thing (its MQTT client id)
    certificate_id: str | None = None  # its one active X.509 certificate (IoT's id: SHA-256 of the DER)

    def revoked(self) -> Device:
        if self.status != ACTIVE:
            raise RuleViolationError("the device is already revoked", field="device_id", code="device_revoked")
        return replace(self, status=REVOKED, version=self.version + 1)

    def rotated(self, sealed_secret: bytes, certificate_id: str | None = None) -> Device:
        if self.status != ACTIVE:
            raise RuleViolationError("a revoked device cannot get a new secret", field="device_id", code="device_revoked")
        return replace(self, sealed_secret=sealed_secret, secret_version=self.secret_version + 1, version=self.version + 1,
                       certificate_id=certificate_id or self.certificate_id)


@dataclass(frozen=True)
class Membership:
    membership_id: str
    carpark_id: str
    plate: str
    holder: str
    plan: str
    valid_from: date
    valid_until: date  # inclusive, in the car park's time zone
    created_at: datetime

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


def membership_end(plan: str, valid_from: date) -> date:
    """The last day of a plan started on valid_from (a month from 31 Jan ends on 28/29 Feb)."""
    if plan not in PLANS:
        raise InvalidInputError(f"plan must be one of {sorted(PLANS)}", field="plan")
    check_day(valid_from, field="valid_from")
    months = valid_from.month - 1 + PLANS[plan]
    year, month = valid_from.year + months // 12, months % 12 + 1
    day = min(valid_from.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    check_day(day, field="date")
    tz = ZoneInfo(timezone)
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)

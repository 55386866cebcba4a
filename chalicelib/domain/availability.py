"""Availability windows (one-off and weekly recurring) and the bookings inside them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConflictError, InvalidInputError, RuleViolationError
from .pricing import Tariff
from .timeutil import check_day, format_instant

MAX_ONCE_DAYS = 92
MAX_BOOKINGS = 500  # live bookings per space: the calendar is one DynamoDB item (400 KB at most), and stays small
MAX_WINDOWS = 50  # per space: bounds the work of every overlap check and every search hit
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PAST_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class Window:
    """A period the sharer offers the space in. `kind` is "once" or "weekly"."""

    window_id: str
    kind: str
    tariff: Tariff
    start: datetime | None = None  # once
    end: datetime | None = None  # once
    days: tuple[int, ...] = ()  # weekly, 0 = Monday
    start_minute: int = 0  # weekly, minutes after local midnight
    end_minute: int = 0  # weekly, 1..1440
    valid_from: date | None = None  # weekly
    valid_until: date | None = None  # weekly, inclusive

    def occurrence_containing(self, wanted: Interval, tz: ZoneInfo) -> Interval | None:
        if self.kind == "once":
            assert self.start is not None and self.end is not None
            occ = Interval(self.start, self.end)
            return occ if occ.contains(wanted) else None
        return self._merged_occurrence(wanted, tz)

    def _merged_occurrence(self, wanted: Interval, tz: ZoneInfo) -> Interval | None:
        """Weekly occurrences that touch (Mon 00:00-24:00 then Tue 00:00-24:00) form one stretch."""
        day = wanted.start.astimezone(tz).date() - timedelta(days=1)
        last = wanted.end.astimezone(tz).date()
        stretch: Interval | None = None
        while day <= last:
            occ = self._occurrence_on(day, tz)
            day += timedelta(days=1)
            if occ is None:
                continue
            stretch = Interval(stretch.start, occ.end) if stretch and stretch.end >= occ.start else occ
            if stretch.contains(wanted):
                return stretch
        return None

    def _occurrence_on(self, day: date, tz: ZoneInfo) -> Interval | None:
        if day.weekday() not in self.days:
            return None
        if self.valid_from and day < self.valid_from or self.valid_until and day > self.valid_until:
            return None
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        start = _local(midnight, self.start_minute, tz)
        end = _local(midnight, self.end_minute, tz)
        return Interval(start, end)

    def is_over(self, now: datetime) -> bool:
        if self.kind == "once":
            assert self.end is not None
            return self.end <= now
        return self.valid_until is not None and self.valid_until < now.date()

    def describe(self) -> str:
        """The window as a sharer wrote it, for messages: "weekly Mon,Tue 07:00-23:00" or "once 2026-12-01T09:00:00Z to ..."."""
        if self.kind == "once":
            assert self.start is not None and self.end is not None
            return f"once {format_instant(self.start)} to {format_instant(self.end)}"
        days = ",".join(DAY_NAMES[d] for d in self.days)
        valid = "".join(f" {label} {d.isoformat()}" for label, d in (("from", self.valid_from), ("until", self.valid_until)) if d)
        return f"weekly {days} {format_clock(self.start_minute)}-{format_clock(self.end_minute)}{valid}"

    def overlaps(self, other: Window, tz: ZoneInfo) -> bool:
        """Whether some moment is offered by both windows (touching ends do not overlap)."""
        if self.kind == "once" and other.kind == "once":
            assert self.start and self.end and other.start and other.end
            return Interval(self.start, self.end).overlaps(Interval(other.start, other.end))
        if self.kind == "weekly" and other.kind == "weekly":
            return _weekly_overlap(self, other)
        once, weekly = (self, other) if self.kind == "once" else (other, self)
        assert once.start is not None and once.end is not None
        span = Interval(once.start, once.end)
        day, last = once.start.astimezone(tz).date() - timedelta(days=1), once.end.astimezone(tz).date()
        while day <= last:  # a one-off window lasts at most MAX_ONCE_DAYS: at most 94 days to look at
            occ = weekly._occurrence_on(day, tz)
            if occ is not None and occ.overlaps(span):
                return True
            day += timedelta(days=1)
        return False


def _weekly_overlap(a: Window, b: Window) -> bool:
    shared = set(a.days) & set(b.days)
    if not shared or not (a.start_minute < b.end_minute and b.start_minute < a.end_minute):
        return False
    first = max((d for d in (a.valid_from, b.valid_from) if d), default=None)
    last = min((d for d in (a.valid_until, b.valid_until) if d), default=None)
    if first is None or last is None:
        return True  # open-ended on one side: every shared weekday comes round again
    return any((first + timedelta(days=n)).weekday() in shared for n in range(min((last - first).days + 1, 7)))


def _local(midnight: datetime, minutes: int, tz: ZoneInfo) -> datetime:
    wall = midnight.replace(tzinfo=None) + timedelta(minutes=minutes)
    return wall.replace(tzinfo=tz)


@dataclass(frozen=True)
class Booking:
    reservation_id: str
    interval: Interval


@dataclass(frozen=True)
class Calendar:
    """What a space offers and what is already taken. Persisted with a version for conditional writes."""

    timezone: str
    windows: tuple[Window, ...] = ()
    bookings: tuple[Booking, ...] = field(default=())

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def find_window(self, wanted: Interval) -> tuple[Window, Interval]:
        for window in self.windows:
            occ = window.occurrence_containing(wanted, self.tz)
            if occ is not None:
                return window, occ
        raise RuleViolationError(
            "the requested time is not inside one availability window of this space", field="start"
        )

    def is_free(self, wanted: Interval, *, ignore: str | None = None) -> bool:
        return not any(
            b.interval.overlaps(wanted) for b in self.bookings if b.reservation_id != ignore
        )

    def offers(self, wanted: Interval) -> bool:
        return any(w.occurrence_containing(wanted, self.tz) for w in self.windows) and self.is_free(wanted)

    def with_booking(self, booking: Booking) -> Calendar:
        if not self.is_free(booking.interval, ignore=booking.reservation_id):
            raise ConflictError("the space is already booked for part of that time", field="start", code="slot_taken")
        others = tuple(b for b in self.bookings if b.reservation_id != booking.reservation_id)
        if len(others) >= MAX_BOOKINGS:
            raise RuleViolationError(f"this space has {MAX_BOOKINGS} bookings to come; it takes new ones as they pass", field="space_id",
                                     code="calendar_full")
        return Calendar(self.timezone, self.windows, others + (booking,))

    def without_booking(self, reservation_id: str) -> Calendar:
        kept = tuple(b for b in self.bookings if b.reservation_id != reservation_id)
        return Calendar(self.timezone, self.windows, kept)

    def clash(self, window: Window) -> Window | None:
        """Another window of this calendar offering some of the same time. A space has one price at any moment, so
        overlapping windows are refused rather than given a precedence a sharer would have to guess."""
        return next((w for w in self.windows if w.window_id != window.window_id and w.overlaps(window, self.tz)), None)

    def with_windows(self, windows: tuple[Window, ...]) -> Calendar:
        """Replace the windows; every live booking must stay inside one of them."""
        candidate = Calendar(self.timezone, windows, self.bookings)
        for booking in self.bookings:
            if not any(w.occurrence_containing(booking.interval, candidate.tz) for w in windows):
                raise RuleViolationError(
                    f"that change would remove time already booked ({format_instant(booking.interval.start)}"
                    f" to {format_instant(booking.interval.end)})",
                    field="window_id",
                    code="window_booked",
                )
        return candidate


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"unknown time zone {name!r}", field="timezone") from None


def check_once(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise InvalidInputError("end must be after start", field="end")
    if start < now - PAST_SLACK:
        raise InvalidInputError("start must not be in the past", field="start")
    if end - start > timedelta(days=MAX_ONCE_DAYS):
        raise InvalidInputError(f"a one-off window may last at most {MAX_ONCE_DAYS} days", field="end")


def check_weekly(days: tuple[int, ...], start_minute: int, end_minute: int, valid_until: date | None, now: datetime) -> None:
    if not days or len(set(days)) != len(days) or any(d not in range(7) for d in days):
        raise InvalidInputError("days must be distinct weekdays 0 (Monday) to 6 (Sunday)", field="days")
    if not 0 <= start_minute < 1440 or not 0 < end_minute <= 1440:
        raise InvalidInputError("times must be HH:MM between 00:00 and 24:00", field="start_time")
    if end_minute <= start_minute:
        raise InvalidInputError("end_time must be after start_time on the same day", field="end_time")
    if valid_until is not None and valid_until < now.date():
        raise InvalidInputError("valid_until must not be in the past", field="valid_until")


def parse_clock(text: str, *, field: str) -> int:
    """"HH:MM" → minutes after midnight; "24:00" is allowed as an end."""
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
        ok = len(hours) == 2 and len(minutes) == 2 and 0 <= int(minutes) < 60 and 0 <= value <= 1440
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise InvalidInputError(f"{text!r} is not a time of day HH:MM", field=field)
    return value


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class WindowSpec:
    """A window as a sharer describes it, before validation."""

    kind: str
    rate_minor: int
    daily_cap_minor: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    days: tuple[int, ...] = ()
    start_time: str | None = None
    end_time: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


def make_window(spec: WindowSpec, window_id: str, now: datetime, increment_min: int = 15) -> Window:
    tariff = Tariff(spec.rate_minor, spec.daily_cap_minor, increment_min)
    if spec.kind == "once":
        if spec.start is None or spec.end is None:
            raise InvalidInputError("a one-off window needs start and end", field="start" if spec.start is None else "end")
        check_once(spec.start, spec.end, now)
        return Window(window_id, "once", tariff, start=spec.start, end=spec.end)
    if spec.kind == "weekly":
        for name in ("valid_from", "valid_until"):
            if (day := getattr(spec, name)) is not None:
                check_day(day, field=name)
        start_minute = parse_clock(spec.start_time or "", field="start_time")
        end_minute = parse_clock(spec.end_time or "", field="end_time")
        check_weekly(spec.days, start_minute, end_minute, spec.valid_until, now)
        if spec.valid_from and spec.valid_until and spec.valid_until < spec.valid_from:
            raise InvalidInputError("valid_until must not be before valid_from", field="valid_until")
        return Window(
            window_id, "weekly", tariff, days=tuple(sorted(spec.days)), start_minute=start_minute,
            end_minute=end_minute, valid_from=spec.valid_from, valid_until=spec.valid_until,
        )
    raise InvalidInputError("kind must be once or weekly", field="kind")

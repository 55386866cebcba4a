"""A car park's books: what each finished stay, no-show, fee and member visit adds to its daily and monthly
aggregates, and the history report read back from those aggregates (pure; docs/console-api.md "Aggregates").

One entry is counted once (the adapter writes it with a condition on its row's absence, in the same transaction
as the counter updates), on the car park's local day of its instant:

- `paid`: a stay paid (its instant: paid_at): revenue + amount due, one paid stay, its minutes, one overstay if billed
  past the grace; its occupied minutes spread over the weekday x hour cells of the heat map (in local time);
- `refund`: the early-exit refund line of a paid stay's bill (informational: the paid amount is already net of it);
- `no_show`: a reservation nobody drove into (its instant: the reservation's end); the fee is counted when paid;
- `fee`: a no-show or late-cancellation fee paid (its instant: paid_at): revenue + fee;
- `member_visit`: a member's entry and exit (its instant: the exit): minutes and heat-map cells, no money.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import InvalidInputError
from .reservations import Reservation
from .timeutil import format_instant, minutes_between

PAID, REFUND, NO_SHOW, FEE, MEMBER_VISIT = "paid", "refund", "no_show", "fee", "member_visit"
KINDS = (PAID, REFUND, NO_SHOW, FEE, MEMBER_VISIT)
DAY, WEEK, MONTH = "day", "week", "month"
GRANULARITIES = (DAY, WEEK, MONTH)
MAX_REPORT_DAYS = 366
WEEK_MINUTES = 7 * 24 * 60

# Per-day counters kept in the month item, suffixed with the day of the month ("r05": revenue on the 5th).
REVENUE, PAID_STAYS, VISITS, NO_SHOWS, OVERSTAYS, MINUTES, REFUNDS, REFUNDED, FEES = "r", "p", "v", "n", "o", "m", "k", "x", "f"
DAY_COUNTERS = {REVENUE: "revenue_minor", PAID_STAYS: "paid_stays", VISITS: "member_visits", NO_SHOWS: "no_shows",
                OVERSTAYS: "overstays", MINUTES: "stay_minutes", REFUNDS: "refunds", REFUNDED: "refunded_minor", FEES: "fees_minor"}


def cell_name(weekday: int, hour: int) -> str:
    """A heat-map cell's counter: minutes occupied on this weekday (0 = Monday) at this local hour."""
    return f"w{weekday}h{hour:02d}"


CELLS = tuple(cell_name(w, h) for w in range(7) for h in range(24))


def day_counter(prefix: str, day: date) -> str:
    return f"{prefix}{day.day:02d}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class BookEntry:
    carpark_id: str
    kind: str
    ref: str  # the reservation id (a visit: the member's presence key and entry time)
    at: datetime
    day: date  # the car park's local day of `at`
    amount_minor: int
    currency: str
    lot: str | None = None
    plate: str | None = None
    entered_at: datetime | None = None
    exited_at: datetime | None = None
    stay_min: int = 0
    overstay_min: int = 0
    cells: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInputError(f"kind must be one of {KINDS}", field="kind")

    @property
    def row_key(self) -> str:
        """Deterministic from the entry: the row is its own idempotency marker."""
        return f"{format_instant(self.at)}#{self.kind}#{self.ref}"

    def month_counters(self) -> dict[str, int]:
        """What this entry adds to its month's item (per-day counters and the month's heat-map cells)."""
        d = self.day
        out: dict[str, int] = {}
        if self.kind == PAID:
            out = {REVENUE: self.amount_minor, PAID_STAYS: 1, MINUTES: self.stay_min, OVERSTAYS: 1 if self.overstay_min > 0 else 0}
        elif self.kind == FEE:
            out = {REVENUE: self.amount_minor, FEES: self.amount_minor}
        elif self.kind == NO_SHOW:
            out = {NO_SHOWS: 1}
        elif self.kind == REFUND:
            out = {REFUNDS: 1, REFUNDED: self.amount_minor}
        elif self.kind == MEMBER_VISIT:
            out = {VISITS: 1, MINUTES: self.stay_min}
        counters = {day_counter(k, d): v for k, v in out.items() if v}
        counters.update({k: v for k, v in self.cells.items() if v})
        return counters

    def day_counters(self) -> dict[str, int]:
        """What it adds to its day's item: the heat-map cells only (per-day totals live in the month item)."""
        return {k: v for k, v in self.cells.items() if v}


def occupancy_cells(entered: datetime, exited: datetime, timezone: str) -> dict[str, int]:
    """Minutes of [entered, exited) in each weekday x local-hour cell. Whole weeks add 60 to every cell, so a stay of
    any length costs at most one week of hour slices."""
    if exited <= entered:
        return {}
    tz = ZoneInfo(timezone)
    span = exited - entered
    weeks = int(span.total_seconds() // (WEEK_MINUTES * 60))
    cells = dict.fromkeys(CELLS, weeks * 60) if weeks else {}
    t = entered + timedelta(minutes=weeks * WEEK_MINUTES)
    while t < exited:
        local = t.astimezone(tz)
        boundary = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC) + timedelta(hours=1)
        end = min(boundary, exited)
        name = cell_name(local.weekday(), local.hour)
        cells[name] = cells.get(name, 0) + round((end - t).total_seconds() / 60)
        t = end
    return {k: v for k, v in cells.items() if v}


# ---------------------------------------------------------------- the history report


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # inclusive

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise InvalidInputError("the period must not end before it starts", field="to")
        if (self.until - self.since).days >= MAX_REPORT_DAYS:
            raise InvalidInputError(f"a report spans at most {MAX_REPORT_DAYS} days", field="to", code="period_too_long")

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=i) for i in range((self.until - self.since).days + 1)]

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        out, m = [], self.since.replace(day=1)
        while m <= self.until:
            out.append(m)
            m = (m + timedelta(days=32)).replace(day=1)
        return out

    def covers_month(self, first: date) -> bool:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return self.since <= first and last <= self.until

    def partial_days(self) -> list[tuple[date, date]]:
        """The day ranges of the months the period covers only in part (their heat map comes from day items)."""
        out = []
        for first in self.months():
            if not self.covers_month(first):
                last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
                out.append((max(first, self.since), min(last, self.until)))
        return out


Counters = Mapping[str, int]


def _bucket(day: date, granularity: str) -> str:
    if granularity == MONTH:
        return month_key(day)
    if granularity == WEEK:
        monday = day - timedelta(days=day.weekday())
        return monday.isoformat()
    return day.isoformat()


def _day_values(months: Mapping[str, Counters], day: date) -> dict[str, int]:
    item = months.get(month_key(day), {})
    return {name: int(item.get(day_counter(prefix, day), 0)) for prefix, name in DAY_COUNTERS.items()}


def _add(into: dict[str, int], values: Mapping[str, int]) -> None:
    for k, v in values.items():
        into[k] = into.get(k, 0) + v


def series(period: Period, granularity: str, months: Mapping[str, Counters]) -> list[dict[str, int | str]]:
    """Revenue and counts by day, week (starting Monday, named by that Monday) or month, every bucket present."""
    if granularity not in GRANULARITIES:
        raise InvalidInputError(f"granularity must be one of {GRANULARITIES}", field="granularity")
    buckets: dict[str, dict[str, int]] = {}
    for day in period.days:
        _add(buckets.setdefault(_bucket(day, granularity), {}), _day_values(months, day))
    return [{"period": name, **values} for name, values in buckets.items()]


def totals(period: Period, months: Mapping[str, Counters]) -> dict[str, int]:
    out: dict[str, int] = dict.fromkeys(DAY_COUNTERS.values(), 0)
    for day in period.days:
        _add(out, _day_values(months, day))
    return out


def heat_minutes(period: Period, months: Mapping[str, Counters], days: Mapping[date, Counters]) -> dict[str, int]:
    """Occupied minutes per cell over the period: whole months from their month items, the rest from day items."""
    cells: dict[str, int] = dict.fromkeys(CELLS, 0)
    for first in period.months():
        if period.covers_month(first):
            _add(cells, {c: int(months.get(month_key(first), {}).get(c, 0)) for c in CELLS})
    for start, end in period.partial_days():
        for day in Period(start, end).days:
            _add(cells, {c: int(days.get(day, {}).get(c, 0)) for c in CELLS})
    return cells


def heatmap(period: Period, cells: Mapping[str, int]) -> tuple[list[list[float]], list[float]]:
    """Average cars present: per weekday x hour (minutes / (60 x that weekday's days in the period)) and per hour."""
    weekdays = [sum(1 for d in period.days if d.weekday() == w) for w in range(7)]
    grid = [[round(cells.get(cell_name(w, h), 0) / (60 * weekdays[w]), 2) if weekdays[w] else 0.0 for h in range(24)] for w in range(7)]
    n = len(period.days)
    by_hour = [round(sum(cells.get(cell_name(w, h), 0) for w in range(7)) / (60 * n), 2) for h in range(24)]
    return grid, by_hour


@dataclass(frozen=True)
class Summary:
    revenue_minor: int
    paid_stays: int
    member_visits: int
    no_shows: int
    overstays: int
    refunds: int
    refunded_minor: int
    fees_minor: int
    average_stay_min: float
    no_show_rate: float


def summary(t: Mapping[str, int]) -> Summary:
    visits = t["paid_stays"] + t["member_visits"]
    ended = t["paid_stays"] + t["no_shows"]
    return Summary(t["revenue_minor"], t["paid_stays"], t["member_visits"], t["no_shows"], t["overstays"], t["refunds"],
                   t["refunded_minor"], t["fees_minor"], round(t["stay_minutes"] / visits, 1) if visits else 0.0,
                   round(t["no_shows"] / ended, 4) if ended else 0.0)


# ---------------------------------------------------------------- entries of a reservation's life


def _local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def stay_entries(r: Reservation, timezone: str) -> list[BookEntry]:
    """A paid stay, and its early-exit refund line if the bill has one."""
    assert r.paid_at is not None and r.carpark_id is not None
    entered, exited = r.entered_at or r.start, r.exited_at or r.paid_at
    day = _local_day(r.paid_at, timezone)
    stay = BookEntry(r.carpark_id, PAID, r.reservation_id, r.paid_at, day, r.amount_due_minor, r.currency, r.lot, r.plate, entered, exited,
                     minutes_between(entered, exited) if exited > entered else 0, r.bill.overstay_min if r.bill else 0,
                     occupancy_cells(entered, exited, timezone))
    out = [stay]
    if r.bill is not None and r.bill.refund_minor > 0:
        out.append(BookEntry(r.carpark_id, REFUND, r.reservation_id, r.paid_at, day, r.bill.refund_minor, r.currency, r.lot, r.plate))
    return out


def no_show_entry(r: Reservation, timezone: str) -> BookEntry:
    assert r.carpark_id is not None
    return BookEntry(r.carpark_id, NO_SHOW, r.reservation_id, r.end, _local_day(r.end, timezone), r.fee_minor, r.currency, r.lot, r.plate)


def fee_entry(r: Reservation, timezone: str) -> BookEntry:
    assert r.paid_at is not None and r.carpark_id is not None
    return BookEntry(r.carpark_id, FEE, r.reservation_id, r.paid_at, _local_day(r.paid_at, timezone), r.fee_minor, r.currency, r.lot,
                     r.plate)


def visit_entry(carpark_id: str, ref: str, plate: str, entered: datetime, exited: datetime, currency: str, timezone: str) -> BookEntry:
    """A member's visit: from the entry the gate recorded to the exit (no money)."""
    return BookEntry(carpark_id, MEMBER_VISIT, ref, exited, _local_day(exited, timezone), 0, currency, None, plate, entered, exited,
                     minutes_between(entered, exited) if exited > entered else 0, 0, occupancy_cells(entered, exited, timezone))

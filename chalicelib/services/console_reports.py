"""The console's money and history: the transactions of a day or a period (paid stays, no-shows, fees, refunds) with
totals and a proof link for each paid stay, the history report read from the daily and monthly aggregates (never
from every stay of the period), CSV exports of the rows behind every chart and list (large ones through a presigned
S3 download), and the ledger bundle of a paid stay for the car park's staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ..domain import books
from ..domain.accounts import Principal
from ..domain.books import BookEntry, Period
from ..domain.carparks import CarPark, day_bounds, local_day
from ..domain.csv_rows import Cell, to_csv
from ..domain.errors import InvalidInputError, NotFoundError
from ..domain.timeutil import format_instant
from . import audit_log, carparks
from .console_ports import Console, ExportRecord, StayFacts

if TYPE_CHECKING:
    from .carparks import CarParks

EXPORT_TTL_S = 900
EXPORT_PAGE = 1000
MAX_EXPORT_ROWS = 100_000
DATASETS = ("series", "heatmap", "transactions")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class EvidenceSource(Protocol):
    """What the proof route needs of the ledger (services/ledger_reads.LedgerEvidence)."""

    def bundle(self, entry_ids: list[str]) -> dict[str, Any]: ...


def _period(carpark: CarPark, since: date | None, until: date | None, o: CarParks) -> Period:
    first = since or local_day(o.clock.now(), carpark.timezone)
    return Period(first, until or first)


def _bounds(carpark: CarPark, period: Period) -> tuple[datetime, datetime]:
    return day_bounds(period.since, carpark.timezone)[0], day_bounds(period.until, carpark.timezone)[1]


def _totals(c: Console, carpark: CarPark, period: Period) -> dict[str, int]:
    return books.totals(period, c.books.months(carpark.carpark_id, period.months()))


# ---------------------------------------------------------------- transactions


@dataclass(frozen=True)
class Transactions:
    carpark: CarPark
    period: Period
    rows: list[tuple[BookEntry, StayFacts | None]]
    totals: dict[str, int]
    next: str | None
    currency: str


def transactions(principal: Principal, carpark_id: str, *, since: date | None, until: date | None, limit: int, cursor: str | None,
                 o: CarParks) -> Transactions:
    """Paid stays, no-shows, fees and refunds of the period, newest first, each with its stay's state and ledger
    entry; totals over the whole period (from the aggregates, whatever page this is)."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    period = _period(carpark, since, until, o)
    start, end = _bounds(carpark, period)
    page = c.books.rows(carpark.carpark_id, start, end, audit_log.check_limit(limit), cursor, True)
    facts = c.stays.facts([e.ref for e in page.items])
    return Transactions(carpark, period, [(e, facts.get(e.ref)) for e in page.items], _totals(c, carpark, period), page.next, c.currency)


def proof(principal: Principal, carpark_id: str, reservation_id: str, *, o: CarParks, evidence: EvidenceSource) -> dict[str, Any]:
    """The paid stay's ledger bundle (carparker.evidence/v1), verifiable offline with verify-bundle."""
    carpark = carparks.viewed(principal, carpark_id, o)
    try:
        r = o.reservations.get(reservation_id)
    except NotFoundError:
        r = None
    if r is None or r.carpark_id != carpark.carpark_id:
        raise NotFoundError("no such stay at this car park", field="reservation_id")
    if r.ledger_entry is None:
        raise NotFoundError("this stay has no ledger entry yet (it is written when the stay is paid)", field="reservation_id",
                            code="not_recorded")
    return evidence.bundle([r.ledger_entry])


# ---------------------------------------------------------------- the history report


@dataclass(frozen=True)
class Report:
    carpark: CarPark
    period: Period
    granularity: str
    currency: str
    summary: books.Summary
    totals: dict[str, int]
    series: list[dict[str, int | str]]
    heat: list[list[float]]
    by_hour: list[float]


def report(principal: Principal, carpark_id: str, *, since: date | None, until: date | None, granularity: str, o: CarParks) -> Report:
    """Revenue by day, week or month, occupancy by weekday and hour, average stay, no-show rate, overstays: from one
    Query of month items and a Query of day items for each month the period covers only in part."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    period = _period(carpark, since, until, o)
    months = c.books.months(carpark.carpark_id, period.months())
    days = c.books.days(carpark.carpark_id, period.partial_days())
    series = books.series(period, granularity, months)
    heat, by_hour = books.heatmap(period, books.heat_minutes(period, months, days))
    totals = books.totals(period, months)
    return Report(carpark, period, granularity, c.currency, books.summary(totals), totals, series, heat, by_hour)


# ---------------------------------------------------------------- CSV exports


@dataclass(frozen=True)
class Export:
    dataset: str
    filename: str
    rows: int
    csv: str | None  # small exports: in the response
    url: str | None  # large ones: a presigned download
    expires_at: datetime | None


SERIES_HEADER = ("period", *books.DAY_COUNTERS.values())
TRANSACTION_HEADER = ("at", "kind", "reservation_id", "plate", "lot", "entered_at", "exited_at", "stay_min", "overstay_min",
                      "amount_minor", "currency")


def _when(moment: datetime | None) -> str | None:
    return format_instant(moment) if moment else None


def transaction_row(e: BookEntry) -> tuple[Cell, ...]:
    return (format_instant(e.at), e.kind, e.ref, e.plate, e.lot, _when(e.entered_at), _when(e.exited_at), e.stay_min, e.overstay_min,
            e.amount_minor, e.currency)


def _all_rows(c: Console, carpark: CarPark, period: Period) -> list[tuple[Cell, ...]]:
    start, end = _bounds(carpark, period)
    out: list[tuple[Cell, ...]] = []
    cursor: str | None = None
    while len(out) < MAX_EXPORT_ROWS:
        page = c.books.rows(carpark.carpark_id, start, end, EXPORT_PAGE, cursor, False)
        out.extend(transaction_row(e) for e in page.items)
        cursor = page.next
        if cursor is None:
            return out
    raise InvalidInputError(f"more than {MAX_EXPORT_ROWS} rows: export a shorter period", field="to", code="export_too_large")


def _dataset(dataset: str, principal: Principal, carpark: CarPark, period: Period, granularity: str,
             o: CarParks) -> tuple[tuple[str, ...], list[tuple[Cell, ...]]]:
    c = audit_log.console_of(o)
    if dataset == "transactions":
        return TRANSACTION_HEADER, _all_rows(c, carpark, period)
    r = report(principal, carpark.carpark_id, since=period.since, until=period.until, granularity=granularity, o=o)
    if dataset == "series":
        return SERIES_HEADER, [tuple(row[k] for k in SERIES_HEADER) for row in r.series]
    return ("weekday", "hour", "average_cars"), [(WEEKDAYS[w], h, r.heat[w][h]) for w in range(7) for h in range(24)]


def export(principal: Principal, carpark_id: str, *, dataset: str, since: date | None, until: date | None, granularity: str,
           o: CarParks) -> Export:
    """The rows behind a chart or list as CSV: in the response up to `inline_export_rows` rows, else uploaded (under
    the platform's KMS key) and handed out as a presigned download that expires in 15 minutes, then deleted."""
    if dataset not in DATASETS:
        raise InvalidInputError(f"dataset must be one of {DATASETS}", field="dataset")
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    period = _period(carpark, since, until, o)
    header, rows = _dataset(dataset, principal, carpark, period, granularity, o)
    text = to_csv(header, rows)
    filename = f"{dataset}-{period.since.isoformat()}-{period.until.isoformat()}.csv"
    audit_log.record(o, principal, carpark, "export.created", f"export:{dataset}", f"exported {len(rows)} {dataset} rows",
                     {"from": period.since.isoformat(), "to": period.until.isoformat()})
    if len(rows) <= c.inline_export_rows:
        return Export(dataset, filename, len(rows), text, None, None)
    now = o.clock.now()
    export_id = f"{now.strftime('%Y%m%dT%H%M%S')}-{o.new_id()[:12]}"
    key = f"console-exports/{carpark.carpark_id}/{export_id}/{filename}"
    c.blobs.put(key, text.encode(), "text/csv")
    expires = now + timedelta(seconds=EXPORT_TTL_S)
    c.exports.add(ExportRecord(carpark.carpark_id, export_id, key, expires))
    return Export(dataset, filename, len(rows), None, c.blobs.download_url(key, filename, EXPORT_TTL_S), expires)


def expire_exports(c: Console, now: datetime, limit: int = 100) -> list[str]:
    """Delete the CSV files whose download window is over (the scheduled console_sweep)."""
    gone = []
    for e in c.exports.due(now, limit):
        c.blobs.delete(e.key)
        c.exports.forget(e)
        gone.append(e.export_id)
    return gone

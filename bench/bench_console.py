"""Read capacity of the console's history report, on the embedded moto stack (issue 14's figures).

    .venv/bin/python bench/bench_console.py          # prints one JSON object

A car park's books hold 365 days with 200 stays a day: the month and day items are what 200 paid stays a day (seeded,
varied lengths and times) add through the counters the adapter ADDs (domain/books.py BookEntry.month_counters and
day_counters), written in batches. The rows of the stays are not written: the report never reads them, which is the
point (tests/api/test_console.py checks that the report of real stays agrees with their rows). Then the report of the last 30 and of 365 days is built by the service
(services/console_reports.report) and the read capacity it consumed is counted from every DynamoDB read it made
(GetItem, BatchGetItem, Query; the report makes only Queries): moto does not report ConsumedCapacity, so it is computed from the items returned,
as DynamoDB charges strongly consistent reads (BatchGetItem and GetItem: ceil(item size / 4 KB) per item; Query:
ceil(sum of item sizes / 4 KB) per call), item sizes by DynamoDB's rules (attribute names plus values).

- console_report_rcu_30d, console_report_rcu_365d: read capacity units for each report
- console_report_rcu_ratio: 365 d / 30 d (goal <= 3: the report reads aggregates, not every stay)
- console_report_calls_30d, console_report_calls_365d: DynamoDB calls for each
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CP_STAGE", "local")
os.environ.setdefault("CP_PAYMENT_WEBHOOK_SECRET", "local-only-payment-webhook-secret")

STAYS_PER_DAY = 200
DAYS = 365
ZONE = "Europe/Amsterdam"


def _value_size(value: dict[str, Any]) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = len(str(Decimal(v)).replace("-", "").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v)
    return 1


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: each attribute's name and value."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class ReadMeter:
    """A botocore after-call hook on the table's client: read capacity of every read made while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.rcu = 0
        self.calls = 0

    def __call__(self, model: Any, parsed: Any = None, **_: Any) -> None:
        if not self.on or not isinstance(parsed, dict):
            return
        if model.name == "Query":
            self.calls += 1
            self.rcu += math.ceil(sum(item_size(i) for i in parsed.get("Items", [])) / 4096) or 1
        elif model.name == "BatchGetItem":
            self.calls += 1
            self.rcu += sum(math.ceil(item_size(i) / 4096) for items in parsed.get("Responses", {}).values() for i in items)
        elif model.name == "GetItem":
            self.calls += 1
            self.rcu += math.ceil(item_size(parsed["Item"]) / 4096) if "Item" in parsed else 1


def seed(books: Any, carpark_id: str, last_day: date) -> None:
    """The aggregate items 365 days of 200 paid stays leave behind: each stay's counters (BookEntry.month_counters
    and day_counters, as the adapter ADDs them) summed per month and per day, then written in batches."""
    from chalicelib.domain.books import BookEntry, month_key, occupancy_cells

    rng = random.Random(14)
    months: dict[str, dict[str, int]] = {}
    days: dict[str, dict[str, int]] = {}
    for n in range(DAYS):
        day = last_day - timedelta(days=n)
        month = months.setdefault(month_key(day), {})
        cells = days.setdefault(day.isoformat(), {})
        for i in range(STAYS_PER_DAY):
            entered = datetime(day.year, day.month, day.day, 6, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 14 * 60))
            exited = entered + timedelta(minutes=rng.randrange(20, 9 * 60))
            e = BookEntry(carpark_id, "paid", f"r{n}-{i}", exited, day, rng.randrange(200, 4000), "EUR", "A1", None, entered, exited,
                          int((exited - entered).total_seconds() // 60), rng.choice([0] * 9 + [15]), occupancy_cells(entered, exited, ZONE))
            for k, v in e.month_counters().items():
                month[k] = month.get(k, 0) + v
            for k, v in e.day_counters().items():
                cells[k] = cells.get(k, 0) + v
    pk = {"S": f"agg#{carpark_id}"}
    items = [{"pk": pk, "sk": {"S": f"m#{m}"}, "cur": {"S": "EUR"}, **{k: {"N": str(v)} for k, v in c.items()}} for m, c in months.items()]
    items += [{"pk": pk, "sk": {"S": f"d#{d}"}, **{k: {"N": str(v)} for k, v in c.items()}} for d, c in days.items()]
    for i in range(0, len(items), 25):
        books.client.batch_write_item(RequestItems={books.table: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})


def main() -> None:
    from infra import localstack

    stack = localstack.start(prefix="carparker-bench-console")
    try:
        from chalicelib import bootstrap
        from chalicelib.domain.accounts import Principal
        from chalicelib.domain.carparks import local_day
        from chalicelib.services import carparks, console_reports

        o = bootstrap.deps().carparks
        assert o.console is not None
        owner = Principal("bench-owner", "bench@example.com", frozenset(), frozenset({"sharer"}))
        cp = carparks.create_carpark(owner, name="Bench Garage", kind="public", address="Dam 1", lots=("A1",), timezone=ZONE, opening=(),
                                     o=o)
        books = o.console.books
        today = local_day(o.clock.now(), ZONE)
        seed(books, cp.carpark_id, today)
        meter = ReadMeter()
        books.client.meta.events.register("after-call.dynamodb.*", meter)  # type: ignore[attr-defined]
        figures: dict[str, float] = {}
        for days in (30, 365):
            meter.on, meter.rcu, meter.calls = True, 0, 0
            r = console_reports.report(owner, cp.carpark_id, since=today - timedelta(days=days - 1), until=today, granularity="day", o=o)
            meter.on = False
            assert r.summary.paid_stays == days * STAYS_PER_DAY, r.summary
            figures[f"console_report_rcu_{days}d"] = meter.rcu
            figures[f"console_report_calls_{days}d"] = meter.calls
        figures["console_report_rcu_ratio"] = round(figures["console_report_rcu_365d"] / figures["console_report_rcu_30d"], 2)
        print(json.dumps(figures))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

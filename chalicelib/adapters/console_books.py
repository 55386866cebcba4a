"""The car park's books on DynamoDB: each entry's row and its counters in one TransactWriteItems, so a redelivered
completion can never count twice, and the aggregates read back with a few Queries.

Counters are top-level number attributes updated with ADD (atomic, and creating the attribute and the item on first
use); their names come from domain/books.py. Raw low-level calls, on the same botocore client pynamodb uses for the
table (counted by bench/bench_console.py like every other call).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.books import BookEntry, Counters, month_key
from ..domain.errors import ConcurrentUpdateError
from ..domain.timeutil import format_instant, parse_instant
from ..services.console_ports import Page
from .console_store import MONEY, VISITS, _Sealed, decode_cursor, encode_cursor, stored_instant
from .dynamo import last_instant_before

MAX_BATCH = 100  # months in one report: a year touches at most 13


def _agg(carpark_id: str) -> str:
    return f"agg#{carpark_id}"


def _add_update(table: str, key: dict[str, Any], counters: dict[str, int], currency: str | None) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(counters)}
    values: dict[str, Any] = {f":v{i}": {"N": str(v)} for i, v in enumerate(counters.values())}
    expression = "ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(counters)))
    if currency is not None:
        names["#cur"], values[":cur"] = "cur", {"S": currency}
        expression = "SET #cur = :cur " + expression
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": expression, "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": values}}


def _number(value: dict[str, Any]) -> int | None:
    return int(value["N"]) if "N" in value else None


def _counters(item: dict[str, Any]) -> dict[str, int]:
    return {k: n for k, v in item.items() if (n := _number(v)) is not None}


class DynamoBooks(_Sealed):
    def _row(self, e: BookEntry) -> dict[str, Any]:
        data = {"kind": e.kind, "ref": e.ref, "at": format_instant(e.at), "day": e.day.isoformat(), "amount_minor": e.amount_minor,
                "currency": e.currency, "lot": e.lot, "stay_min": e.stay_min, "overstay_min": e.overstay_min,
                "entered_at": format_instant(e.entered_at) if e.entered_at else None,
                "exited_at": format_instant(e.exited_at) if e.exited_at else None}
        pk = f"{VISITS if e.kind == 'member_visit' else MONEY}#{e.carpark_id}"
        item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": e.row_key}, "data": {"S": json.dumps(data, separators=(",", ":"))}}
        if e.plate:
            sealed = self.seal(e.carpark_id, pk, e.row_key, {"plate": e.plate})
            if sealed is not None:
                item["sealed"] = {"B": sealed}
            item["ptag"] = {"S": self.sealer.gate_tag(e.carpark_id, e.plate)}
        return {"Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    def record(self, entries: list[BookEntry]) -> bool:
        if not entries:
            return False
        first = entries[0]
        month: dict[str, int] = {}
        day: dict[str, int] = {}
        for e in entries:
            for k, v in e.month_counters().items():
                month[k] = month.get(k, 0) + v
            for k, v in e.day_counters().items():
                day[k] = day.get(k, 0) + v
        agg = {"pk": {"S": _agg(first.carpark_id)}}
        items = [self._row(e) for e in entries]
        if month:
            items.append(_add_update(self.table, {**agg, "sk": {"S": f"m#{month_key(first.day)}"}}, month, first.currency))
        if day:
            items.append(_add_update(self.table, {**agg, "sk": {"S": f"d#{first.day.isoformat()}"}}, day, None))
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                return False  # its row is there: counted before
            raise ConcurrentUpdateError("the books were busy; try again", field="reservation_id") from exc
        return True

    def months(self, carpark_id: str, firsts: list[date]) -> dict[str, Counters]:
        """The month items of a run of months: one Query over their key range (a Query is charged by the items' total
        size, a BatchGetItem by each item rounded up to 4 KB: a year of month items costs 10 units instead of 13)."""
        if not firsts:
            return {}
        wanted = {month_key(d) for d in firsts[:MAX_BATCH]}
        return {sk[2:]: c for sk, c in self._range(carpark_id, f"m#{month_key(min(firsts))}", f"m#{month_key(max(firsts))}")
                if sk[2:] in wanted}

    def _range(self, carpark_id: str, low: str, high: str) -> list[tuple[str, dict[str, int]]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b", "ConsistentRead": True,
            "ExpressionAttributeValues": {":pk": {"S": _agg(carpark_id)}, ":a": {"S": low}, ":b": {"S": high}},
            "ReturnConsumedCapacity": "TOTAL"}
        found: list[tuple[str, dict[str, int]]] = []
        while True:
            out = self.client.query(**kwargs)
            found.extend((item["sk"]["S"], _counters(item)) for item in out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                return found
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def days(self, carpark_id: str, ranges: list[tuple[date, date]]) -> dict[date, Counters]:
        found: dict[date, Counters] = {}
        for start, end in ranges:
            found.update((date.fromisoformat(sk[2:]), c) for sk, c in self._range(carpark_id, f"d#{start.isoformat()}", f"d#{end.isoformat()}"))
        return found

    def _entry(self, carpark_id: str, item: Any) -> BookEntry:
        d = item.data
        fields = self.open(carpark_id, item)
        return BookEntry(carpark_id, d["kind"], d["ref"], parse_instant(d["at"], field="stored"), date.fromisoformat(d["day"]),
                         int(d["amount_minor"]), d["currency"], d.get("lot"), (fields or {}).get("plate"), stored_instant(d.get("entered_at")),
                         stored_instant(d.get("exited_at")), int(d.get("stay_min") or 0), int(d.get("overstay_min") or 0))

    def rows(self, carpark_id: str, since: datetime, until: datetime, limit: int, cursor: str | None, newest_first: bool) -> Page[BookEntry]:
        pk = f"{MONEY}#{carpark_id}"
        cond = self.model.sk.between(format_instant(since), last_instant_before(until) + "~")
        start = decode_cursor(cursor, {"pk": pk}, ("pk", "sk"))
        found = self.model.query(pk, range_key_condition=cond, scan_index_forward=not newest_first, limit=limit, page_size=limit,
                                 last_evaluated_key=start)
        items = [self._entry(carpark_id, i) for i in found]
        return Page(items, encode_cursor(found.last_evaluated_key) if len(items) == limit else None)

"""A meter for AWS calls, for the capacity and cost models (bench/bench_capacity.py).

Beyond counting calls (as bench/awscount.py does) it records, per call: the time spent inside it (so a handler's own
time is its wall time minus its AWS time), the thread it ran on (validators run on "validator" threads), and for
DynamoDB the request units it costs and the partition key it lands on, with DynamoDB's own rules
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html, as of 2025):
- a write costs 1 WRU per started KiB of the item (the larger of the item before and after), twice that inside
  TransactWriteItems; a delete costs what the deleted item's size costs;
- a read costs 1 RRU per started 4 KiB, half of that when eventually consistent, twice that inside TransactGetItems;
  a Query or Scan rounds up the sum of the items it returns, not each item;
- a write also costs units on each GSI whose copy of the item it changes (by the index's projection, at the copy's
  size; a changed index key is a delete and a put; a sparse index without the item's keys costs nothing).

Item sizes come from a second, unmetered client that reads the item back after each write (before, for a delete),
so the units follow what the code really stored, whatever changes in the append path.
"""

from __future__ import annotations

import base64
import collections
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_KEY_EQUALS = re.compile(r"(#?[\w.]+)\s*=\s*(:[\w]+)")


def attribute_size(value: dict[str, Any]) -> int:
    """The size DynamoDB counts for one attribute value in wire format ({"S": ...}, {"N": ...}, ...)."""
    (kind, v), = value.items()
    if kind == "S":
        return len(str(v).encode("utf-8"))
    if kind == "N":
        digits = str(v).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(v) if isinstance(v, bytes | bytearray) else len(base64.b64decode(v))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: x}) for x in v)
    if kind == "L":
        return 3 + sum(1 + attribute_size(x) for x in v)
    return 3 + item_size(v)  # M


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


@dataclass
class Touch:
    """Request units one call put on one partition key (``index`` is "" for the table itself)."""

    table: str
    index: str
    key: str
    write: bool
    units: float


@dataclass
class CallRecord:
    service: str
    operation: str
    seconds: float
    thread: str
    touches: list[Touch] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


class Schemas:
    """Each table's partition key and its GSIs' partition keys, read once with the unmetered client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cache: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.projections: dict[tuple[str, str], tuple[list[str], set[str] | None]] = {}

    def of(self, table: str) -> tuple[list[str], dict[str, str]]:
        """The table's key attributes and {GSI name: its partition key attribute}."""
        if table not in self.cache:
            t = self.client.describe_table(TableName=table)["Table"]
            keys = [k["AttributeName"] for k in t["KeySchema"]]
            gsis = {}
            for g in t.get("GlobalSecondaryIndexes", []):
                gsi_keys = [k["AttributeName"] for k in sorted(g["KeySchema"], key=lambda k: k["KeyType"] != "HASH")]
                gsis[g["IndexName"]] = gsi_keys[0]
                p = g.get("Projection", {})
                kind = p.get("ProjectionType", "ALL")
                included = None if kind == "ALL" else set(keys) | set(gsi_keys) | set(p.get("NonKeyAttributes", []))
                self.projections[(table, g["IndexName"])] = (gsi_keys, included)
            self.cache[table] = (keys, gsis)
        return self.cache[table]

    def projected(self, table: str, index: str, item: dict[str, Any]) -> dict[str, Any] | None:
        """The index's copy of ``item`` (None if the item lacks the index's keys: a sparse index holds nothing)."""
        self.of(table)
        gsi_keys, included = self.projections[(table, index)]
        if not all(k in item for k in gsi_keys):
            return None
        return dict(item) if included is None else {k: v for k, v in item.items() if k in included}


def _value(av: dict[str, Any] | None) -> str:
    return "" if av is None else str(next(iter(av.values())))


class AwsMeter:
    """Register with ``register(emitter)`` on every botocore client or session to meter; ``on`` gates recording."""

    def __init__(self, raw_dynamodb: Any) -> None:
        self.raw = raw_dynamodb
        self.schemas = Schemas(raw_dynamodb)
        self.records: list[CallRecord] = []
        self.on = False
        self.lock = threading.Lock()
        self.overhead_s: dict[str, float] = collections.defaultdict(float)  # the meter's own time, by thread

    def register(self, emitter: Any) -> None:
        # unique ids: a client made from a metered session already has the hooks, and must not count twice
        emitter.register("before-parameter-build.*.*", self._before, unique_id="aws-meter-before")
        emitter.register("after-call.*.*", self._after, unique_id="aws-meter-after")

    # ------------------------------------------------------------------ hooks

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.on:
            return
        began = time.perf_counter()
        context["meter_params"] = dict(params)
        context["meter_before"] = self._before_images(model.name, params) if model.name in WRITES else {}
        context["meter_start"] = time.perf_counter()
        self._spent(context["meter_start"] - began)

    def _after(self, parsed: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        start = context.get("meter_start")
        if start is None:
            return
        seconds = time.perf_counter() - start
        service = model.service_model.service_name
        record = CallRecord(service, model.name, seconds, threading.current_thread().name)
        if service == "dynamodb" and isinstance(parsed, dict) and "Error" not in parsed:
            record.touches = self._touches(model.name, context["meter_params"], parsed, context["meter_before"])
        with self.lock:
            self.records.append(record)
        self._spent(time.perf_counter() - start - seconds)

    def _spent(self, seconds: float) -> None:
        with self.lock:
            self.overhead_s[threading.current_thread().name] += seconds

    # ------------------------------------------------------------------ DynamoDB units

    def _write_parts(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(table, kind, request) for each item a write touches."""
        if operation == "TransactWriteItems":
            return [(body["TableName"], kind, body) for item in params["TransactItems"] for kind, body in item.items()]
        if operation == "BatchWriteItem":
            return [(table, kind, body) for table, reqs in params["RequestItems"].items() for r in reqs for kind, body in r.items()]
        return [(params["TableName"], operation, params)]

    def _key_of(self, table: str, body: dict[str, Any]) -> dict[str, Any]:
        keys, _ = self.schemas.of(table)
        source = body.get("Key") or body.get("Item") or {}
        return {k: source[k] for k in keys if k in source}

    def _before_images(self, operation: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Each written item as it was before the write (DynamoDB charges the larger of before and after)."""
        images: dict[str, dict[str, Any]] = {}
        for table, _, body in self._write_parts(operation, params):
            key = self._key_of(table, body)
            images[f"{table} {sorted(key.items())!r}"] = self.raw.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
        return images

    def _touches(self, operation: str, params: dict[str, Any], parsed: dict[str, Any],
                 before: dict[str, dict[str, Any]]) -> list[Touch]:
        if operation in WRITES:
            factor = 2.0 if operation == "TransactWriteItems" else 1.0
            return [t for table, kind, body in self._write_parts(operation, params)
                    for t in self._write_touches(table, kind, body, factor, before)]
        return self._read_touches(operation, params, parsed)

    def _write_touches(self, table: str, kind: str, body: dict[str, Any], factor: float,
                       before: dict[str, dict[str, Any]]) -> list[Touch]:
        keys, gsis = self.schemas.of(table)
        key = self._key_of(table, body)
        old = before.get(f"{table} {sorted(key.items())!r}", {})
        new = self.raw.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
        size = max(item_size(old), item_size(new), item_size(key))
        touches = [Touch(table, "", _value(key.get(keys[0])), True, float(factor * math.ceil(size / 1024)))]
        if kind == "ConditionCheck":
            return touches
        for index, attr in gsis.items():  # an index is written only when its copy of the item changes
            was, now = self.schemas.projected(table, index, old), self.schemas.projected(table, index, new)
            if was == now:
                continue
            moved = was is not None and now is not None and (was.get(attr) != now.get(attr))
            for copy in ([was, now] if moved else [now if now is not None else was]):
                assert copy is not None
                touches.append(Touch(table, index, _value(copy[attr]), True, float(math.ceil(item_size(copy) / 1024))))
        return touches

    def _read_touches(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> list[Touch]:
        if operation == "GetItem":
            table = params["TableName"]
            return [self._read(table, "", self._key_of(table, params), [parsed.get("Item", {})], params)]
        if operation == "BatchGetItem":
            return [self._read(table, "", self._key_of(table, {"Key": item}), [item], reqs)
                    for table, reqs in params["RequestItems"].items() for item in parsed.get("Responses", {}).get(table, [])]
        if operation == "TransactGetItems":
            return [self._read(g["Get"]["TableName"], "", g["Get"]["Key"], [r.get("Item", {})], {}, factor=2.0)
                    for g, r in zip(params["TransactItems"], parsed.get("Responses", []), strict=False)]
        if operation in ("Query", "Scan"):
            return [self._query(operation, params, parsed)]
        return []

    def _read(self, table: str, index: str, key: dict[str, Any], items: list[dict[str, Any]], params: dict[str, Any],
              factor: float | None = None) -> Touch:
        consistent = bool(params.get("ConsistentRead"))
        per = factor if factor is not None else (1.0 if consistent else 0.5)
        size = sum(item_size(i) for i in items)
        keys, _ = self.schemas.of(table)
        return Touch(table, index, _value(key.get(keys[0])), False, per * max(1, math.ceil(size / 4096)))

    def _query(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> Touch:
        table, index = params["TableName"], params.get("IndexName", "")
        keys, gsis = self.schemas.of(table)
        pk = gsis.get(index, keys[0])
        names = params.get("ExpressionAttributeNames", {})
        values = params.get("ExpressionAttributeValues", {})
        key = "<scan>"
        for name, placeholder in _KEY_EQUALS.findall(params.get("KeyConditionExpression", "")):
            if names.get(name, name) == pk:
                key = _value(values.get(placeholder))
        per = 1.0 if params.get("ConsistentRead") else 0.5
        size = sum(item_size(i) for i in parsed.get("Items", []))
        return Touch(table, index, key, False, per * max(1, math.ceil(size / 4096)))

    # ------------------------------------------------------------------ summaries

    def take(self) -> list[CallRecord]:
        with self.lock:
            taken, self.records = self.records, []
        return taken


def calls_by_name(records: list[CallRecord]) -> collections.Counter[str]:
    return collections.Counter(r.name for r in records)

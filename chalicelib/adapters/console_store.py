"""The console's records on DynamoDB (table `<prefix>-console`, see adapters/console_tables.py): cars inside and their
counts, the movements feed, alerts, overrides, exports, and the erasure of a closed account's plate.

Every state change is a conditional write; a pair that must change together (a car inside and its lot's count, an
alert and its guard) is one TransactWriteItems. Plates are sealed to the car park's pseudo-owner, beside the plate's
gate blind index (`ptag`), which is how account closure finds them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.alerts import Alert
from ..domain.errors import ConflictError, InvalidInputError, NotFoundError
from ..domain.presence import Presence
from ..domain.timeutil import format_instant, parse_instant
from ..services.console_ports import ExportRecord, Movement, Override, Page
from .dynamo import cancelled_by_condition, condition_failed, conditional_save
from .dynamo import stored_instant as _stored_instant
from .sealed_fields import ERASED, FieldSealer, SealingEnclave, carpark_owner

PURPOSE = "console"
MONEY, VISITS = "book", "visit"
FEED_DAYS = 90  # the live feed keeps movements this long (the gate-events table keeps them all)
MAX_ERASED = 2000


# ---------------------------------------------------------------- shared helpers


def stored_instant(text: str | None) -> datetime | None:
    """dynamo.stored_instant for the optional times of the console's records."""
    return _stored_instant(text) if text else None


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fixed: dict[str, str], names: tuple[str, ...]) -> dict[str, Any] | None:
    """A cursor this adapter made for this very query: its key names, and the partition it was made in. Anything else
    (edited, from another car park's list, or another list's) is a 400, never a read of someone else's items."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        ok = isinstance(key, dict) and set(key) == set(names) and all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and 0 < len(v["S"]) <= 1024 for v in key.values())
        ok = ok and all(key[k]["S"] == v for k, v in fixed.items())
    except (ValueError, TypeError, binascii.Error):
        ok = False
    if not ok:
        raise InvalidInputError("next must be a cursor this list returned", field="next", code="invalid_cursor")
    return key  # type: ignore[no-any-return]


def page_of(found: Any, convert: Callable[[Any], Any], limit: int) -> Page[Any]:
    items = [convert(i) for i in found]
    return Page(items, encode_cursor(found.last_evaluated_key) if len(items) == limit else None)


class _Sealed:
    def __init__(self, model: Any, enclave: SealingEnclave) -> None:
        self.model = model
        self.table = model.Meta.table_name
        self.sealer = FieldSealer(enclave)

    @property
    def client(self) -> Any:
        return self.model._get_connection().connection.client

    def seal(self, carpark_id: str, pk: str, sk: str, fields: dict[str, Any]) -> bytes | None:
        return self.sealer.seal(carpark_owner(carpark_id), PURPOSE, f"{pk}|{sk}", fields)

    def open(self, carpark_id: str, item: Any) -> dict[str, Any]:
        return self.sealer.open(carpark_owner(carpark_id), PURPOSE, f"{item.pk}|{item.sk}", item.sealed) or {}

    def ptag(self, carpark_id: str, plate: str | None) -> str | None:
        return self.sealer.gate_tag(carpark_id, plate) if plate and plate != ERASED else None


def _s(value: str) -> dict[str, str]:
    return {"S": value}


# ---------------------------------------------------------------- cars inside


def _lot_counter(lot: str | None) -> str:
    return "unassigned" if lot is None else f"lot:{lot}"


class DynamoPresence(_Sealed):
    def tag(self, carpark_id: str, plate: str) -> str:
        return self.sealer.tag("presence-plate", f"{carpark_id}#{plate}")

    def _raw(self, p: Presence) -> dict[str, Any]:
        pk, sk = f"in#{p.carpark_id}", p.key
        data = {"kind": p.kind, "ref": p.ref, "lot": p.lot, "entered_at": format_instant(p.entered_at), "reservation_id": p.reservation_id,
                "membership_id": p.membership_id, "due": format_instant(p.due) if p.due else None}
        item: dict[str, Any] = {"pk": _s(pk), "sk": _s(sk), "data": _s(json.dumps(data, separators=(",", ":"))), "gsi1pk": _s(pk),
                "gsi1sk": _s(f"{format_instant(p.entered_at)}#{sk}")}
        sealed = self.seal(p.carpark_id, pk, sk, {"plate": p.plate})
        if sealed is not None:
            item["sealed"] = {"B": sealed}
        if tag := self.ptag(p.carpark_id, p.plate):
            item["ptag"] = _s(tag)
        return item

    def _count(self, carpark_id: str, lot: str | None, by: int) -> dict[str, Any]:
        return {"Update": {"TableName": self.table, "Key": {"pk": _s(f"occ#{carpark_id}"), "sk": _s("now")},
                           "UpdateExpression": "ADD #lot :n", "ExpressionAttributeNames": {"#lot": _lot_counter(lot)},
                           "ExpressionAttributeValues": {":n": {"N": str(by)}}}}

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                return False
            raise
        return True

    def enter(self, p: Presence) -> bool:
        put = {"Put": {"TableName": self.table, "Item": self._raw(p), "ConditionExpression": "attribute_not_exists(pk)"}}
        return self._transact([put, self._count(p.carpark_id, p.lot, 1)])

    def _presence(self, carpark_id: str, item: Any) -> Presence:
        d = item.data
        return Presence(carpark_id, d["kind"], d["ref"], self.open(carpark_id, item).get("plate", ERASED),
                        parse_instant(d["entered_at"], field="stored"), d.get("lot"), d.get("reservation_id"), d.get("membership_id"),
                        stored_instant(d.get("due")))

    def get(self, carpark_id: str, key: str) -> Presence | None:
        try:
            return self._presence(carpark_id, self.model.get(f"in#{carpark_id}", key, consistent_read=True))
        except self.model.DoesNotExist:
            return None

    def leave(self, carpark_id: str, key: str) -> Presence | None:
        current = self.get(carpark_id, key)
        if current is None:
            return None
        delete = {"Delete": {"TableName": self.table, "Key": {"pk": _s(f"in#{carpark_id}"), "sk": _s(key)},
                             "ConditionExpression": "gsi1sk = :was",
                             "ExpressionAttributeValues": {":was": _s(f"{format_instant(current.entered_at)}#{key}")}}}
        return current if self._transact([delete, self._count(carpark_id, current.lot, -1)]) else None

    def counts(self, carpark_id: str) -> dict[str | None, int]:
        out = self.client.get_item(TableName=self.table, Key={"pk": _s(f"occ#{carpark_id}"), "sk": _s("now")}, ConsistentRead=True)
        item = out.get("Item") or {}
        counts: dict[str | None, int] = {}
        for name, value in item.items():
            if "N" in value:
                counts[None if name == "unassigned" else name.removeprefix("lot:")] = int(value["N"])
        return counts

    def page(self, carpark_id: str, limit: int, cursor: str | None, oldest_first: bool) -> Page[Presence]:
        pk = f"in#{carpark_id}"
        start = decode_cursor(cursor, {"gsi1pk": pk, "pk": pk}, ("pk", "sk", "gsi1pk", "gsi1sk"))
        found = self.model.gsi1.query(pk, scan_index_forward=oldest_first, limit=limit, page_size=limit, last_evaluated_key=start)
        return page_of(found, lambda i: self._presence(carpark_id, i), limit)


# ---------------------------------------------------------------- the movements feed


class DynamoFeed(_Sealed):
    def add(self, m: Movement) -> None:
        pk = f"mv#{m.carpark_id}"
        data = {"source": m.source, "direction": m.direction, "decision": m.decision, "reason": m.reason,
                "occurred_at": format_instant(m.occurred_at), "device_id": m.device_id, "reservation_id": m.reservation_id,
                "membership_id": m.membership_id, "ref": m.ref, "by": m.by}
        arrived = parse_instant(m.sort_key.split("#", 1)[0], field="sort_key")
        item = self.model(pk, m.sort_key, data=data, sealed=self.seal(m.carpark_id, pk, m.sort_key, {"read": m.read, "matched": m.matched}),
                          ptag=self.ptag(m.carpark_id, m.matched or m.read),
                          expires_at=int((arrived + timedelta(days=FEED_DAYS)).timestamp()))
        try:
            item.save(condition=self.model.pk.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):  # already there: the same movement recorded twice is recorded once
                raise

    def _movement(self, carpark_id: str, item: Any) -> Movement:
        d, plates = item.data, self.open(carpark_id, item)
        return Movement(carpark_id, item.sk, d["source"], d["direction"], plates.get("read"), plates.get("matched"), d["decision"],
                        d["reason"], parse_instant(d["occurred_at"], field="stored"), d.get("device_id"), d.get("reservation_id"),
                        d.get("membership_id"), d.get("ref"), d.get("by"))

    def since(self, carpark_id: str, start: str, limit: int) -> list[Movement]:
        found = self.model.query(f"mv#{carpark_id}", range_key_condition=self.model.sk >= start, consistent_read=True, limit=limit,
                                 page_size=limit)
        return [self._movement(carpark_id, i) for i in found]

    def page(self, carpark_id: str, limit: int, cursor: str | None) -> Page[Movement]:
        pk = f"mv#{carpark_id}"
        found = self.model.query(pk, scan_index_forward=False, limit=limit, page_size=limit,
                                 last_evaluated_key=decode_cursor(cursor, {"pk": pk}, ("pk", "sk")))
        return page_of(found, lambda i: self._movement(carpark_id, i), limit)


# ---------------------------------------------------------------- alerts


class DynamoAlerts(_Sealed):
    def _item(self, a: Alert, sk: str, version: int) -> Any:
        pk = f"al#{a.carpark_id}"
        data = {"alert_id": a.alert_id, "kind": a.kind, "raised_at": format_instant(a.raised_at), "reservation_id": a.reservation_id,
                "device_id": a.device_id, "state": a.state, "acknowledged_by": a.acknowledged_by,
                "acknowledged_at": format_instant(a.acknowledged_at) if a.acknowledged_at else None}
        open_index = {"gsi1pk": f"alopen#{a.carpark_id}", "gsi1sk": sk} if a.state == "open" else {}
        return self.model(pk, sk, data=data, sealed=self.seal(a.carpark_id, pk, sk, {"body": a.body, "plate": a.plate}),
                          ptag=self.ptag(a.carpark_id, a.plate), version=version, **open_index)

    def raise_alert(self, alert: Alert) -> bool:
        sk = f"{format_instant(alert.raised_at)}#{alert.alert_id}"
        guard = self.model(f"alg#{alert.carpark_id}", alert.alert_id, data={"sk": sk})
        try:
            with TransactWrite(connection=self.model._get_connection().connection) as tx:
                tx.save(guard, condition=self.model.pk.does_not_exist())
                tx.save(self._item(alert, sk, 1), condition=self.model.pk.does_not_exist())
        except TransactWriteError as exc:
            if cancelled_by_condition(exc):
                return False
            raise
        return True

    def _alert(self, carpark_id: str, item: Any) -> Alert:
        d, sealed = item.data, self.open(carpark_id, item)
        return Alert(carpark_id, d["alert_id"], d["kind"], sealed.get("body", ERASED), parse_instant(d["raised_at"], field="stored"),
                     d.get("reservation_id"), d.get("device_id"), sealed.get("plate"), d["state"], d.get("acknowledged_by"),
                     stored_instant(d.get("acknowledged_at")))

    def _sk(self, carpark_id: str, alert_id: str) -> str:
        if not alert_id or len(alert_id) > 200:
            raise NotFoundError("no such alert", field="alert_id")
        try:
            return str(self.model.get(f"alg#{carpark_id}", alert_id, consistent_read=True).data["sk"])
        except self.model.DoesNotExist:
            raise NotFoundError("no such alert", field="alert_id") from None

    def get(self, carpark_id: str, alert_id: str) -> Alert:
        item = self.model.get(f"al#{carpark_id}", self._sk(carpark_id, alert_id), consistent_read=True)
        return self._alert(carpark_id, item)

    def acknowledge(self, alert: Alert) -> None:
        sk = self._sk(alert.carpark_id, alert.alert_id)
        conditional_save(self._item(alert, sk, 2), self.model.version == 1,
                         ConflictError("this alert was already acknowledged", field="alert_id", code="invalid_transition"))

    def page(self, carpark_id: str, open_only: bool, limit: int, cursor: str | None) -> Page[Alert]:
        pk = f"al#{carpark_id}"
        if open_only:
            gpk = f"alopen#{carpark_id}"
            start = decode_cursor(cursor, {"gsi1pk": gpk, "pk": pk}, ("pk", "sk", "gsi1pk", "gsi1sk"))
            found = self.model.gsi1.query(gpk, scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
        else:
            found = self.model.query(pk, scan_index_forward=False, limit=limit, page_size=limit,
                                     last_evaluated_key=decode_cursor(cursor, {"pk": pk}, ("pk", "sk")))
        return page_of(found, lambda i: self._alert(carpark_id, i), limit)


# ---------------------------------------------------------------- overrides


class DynamoOverrides(_Sealed):
    def add(self, o: Override) -> None:
        pk, sk = f"ovr#{o.carpark_id}", f"{format_instant(o.at)}#{o.override_id}"
        data = {"override_id": o.override_id, "action": o.action, "reason": o.reason, "by": o.by, "at": format_instant(o.at),
                "billed": o.billed, "device_id": o.device_id, "command_id": o.command_id, "reservation_id": o.reservation_id,
                "membership_id": o.membership_id, "flagged": o.flagged}
        item = self.model(pk, sk, data=data, sealed=self.seal(o.carpark_id, pk, sk, {"plate": o.plate}), ptag=self.ptag(o.carpark_id, o.plate))
        conditional_save(item, self.model.pk.does_not_exist(), ConflictError("override recorded already", field="override_id"))

    def _override(self, carpark_id: str, item: Any) -> Override:
        d = item.data
        return Override(carpark_id, d["override_id"], d["action"], self.open(carpark_id, item).get("plate", ERASED), d["reason"], d["by"],
                        parse_instant(d["at"], field="stored"), d["billed"], d.get("device_id"), d.get("command_id"), d.get("reservation_id"),
                        d.get("membership_id"), bool(d.get("flagged")))

    def page(self, carpark_id: str, limit: int, cursor: str | None) -> Page[Override]:
        pk = f"ovr#{carpark_id}"
        found = self.model.query(pk, scan_index_forward=False, limit=limit, page_size=limit,
                                 last_evaluated_key=decode_cursor(cursor, {"pk": pk}, ("pk", "sk")))
        return page_of(found, lambda i: self._override(carpark_id, i), limit)


# ---------------------------------------------------------------- exports


class DynamoExports:
    DUE = "exports-due"

    def __init__(self, model: Any) -> None:
        self.model = model

    def add(self, e: ExportRecord) -> None:
        expires = format_instant(e.expires_at)
        self.model(f"exp#{e.carpark_id}", e.export_id, data={"key": e.key, "expires_at": expires}, gsi1pk=self.DUE,
                   gsi1sk=f"{expires}#{e.carpark_id}#{e.export_id}").save(condition=self.model.pk.does_not_exist())

    def due(self, now: datetime, limit: int) -> list[ExportRecord]:
        found = self.model.gsi1.query(self.DUE, range_key_condition=self.model.gsi1sk <= format_instant(now) + "~", limit=limit)
        return [ExportRecord(i.pk.removeprefix("exp#"), i.sk, i.data["key"], parse_instant(i.data["expires_at"], field="stored"))
                for i in found]

    def forget(self, e: ExportRecord) -> None:
        self.model(f"exp#{e.carpark_id}", e.export_id).delete()


# ---------------------------------------------------------------- erasure


class DynamoPlateEraser(_Sealed):
    """Every console item holding a plate carries its gate blind index; closure re-seals those whose plate is exactly
    the closed account's with ERASED in its place, and drops the index (the facts stay: times, money, decisions)."""

    def erase_plate(self, carpark_id: str, plate: str) -> int:
        erased = 0
        tag = self.sealer.gate_tag(carpark_id, plate)
        for item in self.model.by_ptag.query(tag, limit=MAX_ERASED):
            fields = self.open(carpark_id, item)
            if plate not in fields.values():
                continue  # a plate a camera could confuse with it, not the same one
            cleaned = {k: ERASED if v == plate else v.replace(plate, ERASED) if k == "body" and isinstance(v, str) else v
                       for k, v in fields.items()}
            sealed = self.seal(carpark_id, item.pk, item.sk, cleaned)
            actions = [self.model.ptag.remove(), self.model.sealed.set(sealed) if sealed is not None else self.model.sealed.remove()]
            try:
                self.model(item.pk, item.sk).update(actions=actions, condition=self.model.ptag == tag)
            except UpdateError as exc:
                if not condition_failed(exc):  # erased meanwhile, or the item is gone (a car that left)
                    raise
            erased += 1
        return erased

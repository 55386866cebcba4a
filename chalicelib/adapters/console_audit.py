"""The audit trail on its own table (`<prefix>-console-audit`): one item per entry under the car park, sorted by time.

Append-only three ways: this adapter has no update or delete, each put is conditional on a new key, and the app role
is denied UpdateItem, DeleteItem and BatchWriteItem on the table (infra/template.json, TheAuditTrailIsAppendOnly).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.audit_trail import AuditEntry
from ..domain.errors import ConflictError
from ..domain.timeutil import format_instant, parse_instant
from ..services.console_ports import Page
from .console_store import decode_cursor, page_of
from .dynamo import conditional_save


class DynamoAuditLog:
    def __init__(self, model: Any) -> None:
        self.model = model

    def append(self, e: AuditEntry) -> None:
        data = {"entry_id": e.entry_id, "at": format_instant(e.at), "actor": e.actor, "role": e.role, "action": e.action, "target": e.target,
                "summary": e.summary, "details": dict(e.details)}
        item = self.model(e.carpark_id, f"{format_instant(e.at)}#{e.entry_id}", data=data)
        conditional_save(item, self.model.sk.does_not_exist(), ConflictError("audit entry exists already", field="entry_id"))

    @staticmethod
    def _entry(carpark_id: str, i: Any) -> AuditEntry:
        d = i.data
        return AuditEntry(carpark_id, d["entry_id"], parse_instant(d["at"], field="stored"), d["actor"], d["role"], d["action"],
                          d["target"], d["summary"], dict(d.get("details") or {}))

    def page(self, carpark_id: str, since: datetime | None, until: datetime | None, limit: int, cursor: str | None) -> Page[AuditEntry]:
        low = format_instant(since) if since else "0"
        high = (format_instant(until) if until else "9999") + "~"
        found = self.model.query(carpark_id, range_key_condition=self.model.sk.between(low, high), scan_index_forward=False, limit=limit,
                                 page_size=limit, last_evaluated_key=decode_cursor(cursor, {"carpark_id": carpark_id}, ("carpark_id", "sk")))
        return page_of(found, lambda i: self._entry(carpark_id, i), limit)

"""The gate event log: each plate read a device reported, claimed once by its event id (services/idempotency.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from ..domain.timeutil import format_instant
from ..services.carpark_ports import GateEventRecord
from ..services.idempotency import Claimed
from .dynamo import condition_failed, last_instant_before, stored_instant
from .sealed_fields import ERASED, FieldSealer, SealingEnclave, carpark_owner
from .tables import OperationsModels


class DynamoGateEventLog:
    """The plate read and the reply (which names it) sealed to the car park's pseudo-owner; the request
    fingerprint, a hash over a body with the plate in it, stored as a blind index."""

    FINGERPRINT = "gate-event-request"
    PURPOSE = "gate-event"

    def __init__(self, models: OperationsModels, enclave: SealingEnclave) -> None:
        self.model = models.gate_events
        self.sealer = FieldSealer(enclave)

    def _record(self, i: Any) -> GateEventRecord:
        fields = self.sealer.open(carpark_owner(i.carpark_id), self.PURPOSE, i.event_key, i.sealed)
        if fields is None and i.sealed is not None:
            fields = {"plate": ERASED, "response": None}
        return GateEventRecord(i.event_key, i.device_id, i.carpark_id, i.request_hash, i.state, stored_instant(i.occurred_at),
                               i.direction, (fields or {}).get("plate"), (fields or {}).get("response"))

    def claim(self, record: GateEventRecord) -> Claimed[dict[str, object]] | None:
        item = self.model(record.event_key, device_id=record.device_id, carpark_id=record.carpark_id,
                          request_hash=self.sealer.tag(self.FINGERPRINT, record.request_hash), state="in_progress",
                          occurred_at=format_instant(record.occurred_at))
        try:
            item.save(condition=self.model.event_key.does_not_exist())
            return None
        except PutError as exc:
            if not condition_failed(exc):
                raise
        stored = self.model.get(record.event_key, consistent_read=True)
        found = self._record(stored)
        fingerprint = self.sealer.fingerprint_as_stored(self.FINGERPRINT, record.request_hash, stored.request_hash)
        return Claimed(fingerprint, dict(found.response) if found.state == "done" and found.response is not None else None)

    def finish(self, record: GateEventRecord, response: dict[str, object]) -> None:
        sealed = self.sealer.seal(carpark_owner(record.carpark_id), self.PURPOSE, record.event_key,
                                  {"plate": record.plate, "response": response})
        actions = [self.model.state.set("done"), self.model.direction.set(record.direction)]
        if sealed is not None:  # None only if the car park's key were erased
            actions.append(self.model.sealed.set(sealed))
        if record.plate:  # the same blind index as reservations: what account closure finds a plate's movements by
            actions.append(self.model.gate_key.set(self.sealer.gate_tag(record.carpark_id, record.plate)))
        self.model(record.event_key).update(actions=actions, condition=self.model.state == "in_progress")

    def by_plate(self, carpark_id: str, plate: str, limit: int) -> list[GateEventRecord]:
        """Finished events at this car park whose read a camera could confuse with this plate."""
        found = self.model.by_gate_key.query(self.sealer.gate_tag(carpark_id, plate), limit=limit)
        return [self._record(i) for i in found]

    def erase(self, record: GateEventRecord) -> None:
        """Re-seal the event with its plate (and its reply's) as ERASED and drop its blind index: the movement stays,
        whose car it was does not."""
        reply = {**(record.response or {}), "plate": ERASED} if record.response is not None else None
        sealed = self.sealer.seal(carpark_owner(record.carpark_id), self.PURPOSE, record.event_key, {"plate": ERASED, "response": reply})
        actions = [self.model.gate_key.remove()] + ([self.model.sealed.set(sealed)] if sealed is not None else [])
        self.model(record.event_key).update(actions=actions, condition=self.model.state == "done")

    def release(self, record: GateEventRecord) -> None:
        try:
            self.model(record.event_key).delete(condition=self.model.state == "in_progress")
        except DeleteError as exc:
            if not condition_failed(exc):  # already done: a finished event is never released
                raise

    def by_carpark(self, carpark_id: str, since: datetime, until: datetime, limit: int | None = None) -> list[GateEventRecord]:
        cond = self.model.occurred_at.between(format_instant(since), last_instant_before(until))
        found = self.model.by_carpark.query(carpark_id, range_key_condition=cond, scan_index_forward=False, limit=limit)
        return [self._record(i) for i in found]

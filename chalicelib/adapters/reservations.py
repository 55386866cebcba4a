"""Reservations on DynamoDB: the plate sealed to the parker, found at the gate by its blind index."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from ..domain.reservations import RESERVED, Reservation
from ..domain.spaces import Space
from ..domain.timeutil import format_instant
from . import codec
from .dynamo import CONDITION_FAILED, last_instant_before
from .sealed_fields import ERASED, PLATE, FieldSealer, SealingEnclave
from .spaces import DynamoSpaceRepository
from .tables import Models


class DynamoReservationRepository:
    """Reservations, their plate sealed to the parker (purpose "plate", object id = reservation id) and looked up
    at the gate by a blind index (adapters/sealed_fields.py). After the parker's key is erased the plate reads
    as ERASED, and the item keeps no sealed fields and no gate key when it is written again. The one reservations
    adapter: what booking and changing need, and the gate's, the sweep's and the dashboard's queries."""

    def __init__(self, models: Models, spaces: DynamoSpaceRepository, enclave: SealingEnclave) -> None:
        self.model = models.reservations
        self.spaces = spaces
        self.connection = models.connection
        self.sealer = FieldSealer(enclave)

    def _item(self, r: Reservation) -> Model:
        sealed = None if r.plate == ERASED else self.sealer.seal(r.parker_id, PLATE, r.reservation_id, codec.reservation_sealed_fields(r))
        gate_tag = self.sealer.gate_tag(r.carpark_id, r.plate) if sealed is not None and r.carpark_id else None
        values = codec.reservation_values(r, sealed=sealed, gate_tag=gate_tag)
        return self.model(values.pop("reservation_id"), **values)

    def _reservation(self, item: Any) -> Reservation:
        fields = self.sealer.open(item.parker_id, PLATE, item.reservation_id, item.sealed)
        return codec.reservation_from_item(item, fields or {"plate": ERASED})

    def get(self, reservation_id: str) -> Reservation:
        try:
            return self._reservation(self.model.get(reservation_id, consistent_read=True))
        except DoesNotExist:
            raise NotFoundError("no such reservation", field="reservation_id") from None

    def unchanged(self, seen: Reservation) -> Reservation | None:
        try:
            stored = self.model.get(seen.reservation_id, consistent_read=True, attributes_to_get=["version"])
        except DoesNotExist:
            return None
        return seen if int(stored.version) == seen.version else None

    def _query(self, items: Iterable[Any]) -> list[Reservation]:
        """The reservations an index query names, in its order, read from the table. The indexes hold keys only, so
        a reservation's state change rewrites no index copy but those whose keys it changes (docs/capacity.md)."""
        ids = list(dict.fromkeys(i.reservation_id for i in items))
        found = {i.reservation_id: i for i in self.model.batch_get(ids, consistent_read=True)} if ids else {}
        return [self._reservation(found[r]) for r in ids if r in found]

    def by_parker(self, parker_id: str, limit: int | None = None) -> list[Reservation]:
        return self._query(self.model.by_parker.query(parker_id, scan_index_forward=False, limit=limit))

    def by_sharer(self, sharer_id: str, limit: int | None = None) -> list[Reservation]:
        return self._query(self.model.by_sharer.query(sharer_id, scan_index_forward=False, limit=limit))

    def by_space(self, space_id: str, limit: int | None = None) -> list[Reservation]:
        return self._query(self.model.by_space.query(space_id, scan_index_forward=False, limit=limit))

    def book(self, reservation: Reservation, space: Space, expected_space_version: int) -> None:
        """Create the reservation and claim its time on the space in one transaction."""
        self._transact(
            [(self._item(reservation), self.model.reservation_id.does_not_exist())],
            space,
            expected_space_version,
            duplicate=ConflictError("reservation already exists", field="reservation_id", code="duplicate_reservation"),
        )

    def change(
        self,
        reservation: Reservation,
        expected_version: int,
        space: Space | None = None,
        expected_space_version: int | None = None,
    ) -> None:
        stale = ConcurrentUpdateError("reservation changed meanwhile", field="reservation_id")
        self._transact([(self._item(reservation), self.model.version == expected_version)], space, expected_space_version, duplicate=stale)

    def _transact(self, puts: list[tuple[Model, Any]], space: Space | None, space_version: int | None, *, duplicate: Exception) -> None:
        try:
            with TransactWrite(connection=self.connection) as tx:
                for item, condition in puts:
                    tx.save(item, condition=condition)
                if space is not None:
                    tx.save(self.spaces.item(space), condition=self.spaces.model.version == space_version)
        except TransactWriteError as exc:
            reasons = [(r or {}).get("Code") if isinstance(r, dict) else getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
            if reasons and reasons[0] == CONDITION_FAILED:
                raise duplicate from exc
            if CONDITION_FAILED in reasons:
                raise ConcurrentUpdateError("space calendar changed meanwhile", field="space_id") from exc
            raise

    def for_plate(self, carpark_id: str, plate: str) -> list[Reservation]:
        """Every reservation whose plate a camera could confuse with this one: one query on the blind index."""
        return self._query(self.model.by_gate_key.query(self.sealer.gate_tag(carpark_id, plate)))

    def at_carpark(self, carpark_id: str, limit: int) -> list[Reservation]:
        return self._query(self.model.by_carpark.query(carpark_id, scan_index_forward=False, limit=limit))

    def paid_at_carpark(self, carpark_id: str, since: datetime, until: datetime) -> list[Reservation]:
        cond = self.model.paid_at.between(format_instant(since), last_instant_before(until))
        return self._query(self.model.by_carpark_paid.query(carpark_id, range_key_condition=cond))

    def expired(self, before: datetime, limit: int) -> list[Reservation]:
        cond = self.model.end <= format_instant(before)
        return self._query(self.model.by_expiry.query(RESERVED, range_key_condition=cond, limit=limit))

    def uncharged(self, limit: int) -> list[Reservation]:
        return self._query(self.model.by_expiry.query(codec.UNCHARGED, limit=limit))

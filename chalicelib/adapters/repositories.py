"""DynamoDB repositories. Every write is conditional: on the item's absence or on its version."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..domain import geo
from ..domain.accounts import User
from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from ..domain.reservations import Reservation
from ..domain.spaces import Space
from ..domain.timeutil import format_instant, parse_instant
from . import codec
from .dynamo import conditional_save
from .sealed_fields import ERASED, PLATE, FieldSealer, SealingEnclave
from .tables import Models

CONDITION_FAILED = "ConditionalCheckFailed"


class DynamoUserRepository:
    def __init__(self, models: Models) -> None:
        self.model = models.users

    def _item(self, user: User) -> Model:
        return self.model(
            user.user_id,
            email=user.email,
            display_name=user.display_name,
            roles=list(user.roles),
            status=user.status,
            created_at=format_instant(user.created_at),
            closed_at=format_instant(user.closed_at) if user.closed_at else None,
            version=user.version,
        )

    def add(self, user: User) -> None:
        conditional_save(self._item(user), self.model.user_id.does_not_exist(), ConflictError("account already exists", field="email", code="account_exists"))

    def get(self, user_id: str) -> User:
        try:
            item = self.model.get(user_id, consistent_read=True)
        except DoesNotExist:
            raise NotFoundError("no such user", field="user_id") from None
        return User(
            user_id=item.user_id,
            email=item.email,
            display_name=item.display_name,
            roles=tuple(item.roles),
            status=item.status,
            created_at=parse_instant(item.created_at, field="created_at"),
            version=int(item.version),
            closed_at=parse_instant(item.closed_at, field="closed_at") if item.closed_at else None,
        )

    def save(self, user: User, expected_version: int) -> None:
        conditional_save(self._item(user), self.model.version == expected_version, ConcurrentUpdateError("account changed meanwhile"))


class DynamoSpaceRepository:
    def __init__(self, models: Models) -> None:
        self.model = models.spaces

    def item(self, space: Space) -> Model:
        values = codec.space_values(space, geo.encode(space.location.lat, space.location.lng))
        return self.model(values.pop("space_id"), **values)

    def add(self, space: Space) -> None:
        conditional_save(self.item(space), self.model.space_id.does_not_exist(), ConflictError("space already exists", field="space_id"))

    def get(self, space_id: str) -> Space:
        try:
            return codec.space_from_item(self.model.get(space_id, consistent_read=True))
        except DoesNotExist:
            raise NotFoundError("no such space", field="space_id") from None

    def save(self, space: Space, expected_version: int) -> None:
        conditional_save(self.item(space), self.model.version == expected_version, ConcurrentUpdateError("space changed meanwhile", field="space_id"))

    def by_owner(self, owner_id: str, limit: int | None = None) -> list[Space]:
        return [codec.space_from_item(i) for i in self.model.by_owner.query(owner_id, scan_index_forward=False, limit=limit)]

    def pending(self, limit: int) -> list[Space]:
        return [codec.space_from_item(i) for i in self.model.by_review.query("pending", limit=limit)]

    def linked_to(self, carpark_id: str, link_state: str, limit: int) -> list[Space]:
        """Spaces naming this car park whose link is in this state, oldest request first."""
        found = self.model.by_carpark_link.query(carpark_id, range_key_condition=self.model.link_sort.startswith(f"{link_state}#"),
                                                 limit=limit)
        return [codec.space_from_item(i) for i in found]

    def in_cells(self, cells: list[str]) -> tuple[list[Space], int]:
        """Approved spaces in the given geohash cells, and how many items DynamoDB read for them."""
        found: list[Space] = []
        read = 0
        for cell in cells:
            condition = None if len(cell) == geo.INDEX_PRECISION else self.model.geohash.startswith(cell)
            result = self.model.by_cell.query(cell[: geo.INDEX_PRECISION], range_key_condition=condition)
            for item in result:
                found.append(codec.space_from_item(item))
            read += result.total_count
        return found, read


class DynamoReservationRepository:
    """Reservations, their plate sealed to the parker (purpose "plate", object id = reservation id) and looked up
    at the gate by a blind index (adapters/sealed_fields.py). After the parker's key is erased the plate reads
    as ERASED, and the item keeps no sealed fields and no gate key when it is written again."""

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
        return codec.reservation_from_item(item, fields or {"plate": ERASED, "request_hash": None})

    def get(self, reservation_id: str) -> Reservation:
        try:
            return self._reservation(self.model.get(reservation_id, consistent_read=True))
        except DoesNotExist:
            raise NotFoundError("no such reservation", field="reservation_id") from None

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

"""Parking spaces on DynamoDB, with their calendars; every write is conditional on the item's absence or version."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from ..domain import geo
from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from ..domain.spaces import Space
from . import codec
from .dynamo import conditional_save
from .tables import Models


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

"""pynamodb models, bound to table names at call time (no import-time configuration)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .. import config


def _meta(name: str, region: str) -> Any:
    return type("Meta", (), {"table_name": config.table_name(name), "region": region, "max_retry_attempts": 3})


def _index(name: str, hash_key: str, range_key: str | None) -> type[GlobalSecondaryIndex[Any]]:
    attrs: dict[str, Any] = {
        "Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()}),
        hash_key: UnicodeAttribute(hash_key=True),
    }
    if range_key:
        attrs[range_key] = UnicodeAttribute(range_key=True)
    return type(f"Index_{name}", (GlobalSecondaryIndex,), attrs)


@dataclass(frozen=True)
class Models:
    # The model classes are built at call time (their table names come from config), so mypy
    # cannot see their attributes: they are typed loosely here and checked by the contract tests.
    users: Any
    spaces: Any
    reservations: Any
    idempotency: Any
    connection: Connection


@functools.lru_cache(maxsize=8)
def _build(prefix: str, region: str) -> Models:
    del prefix  # part of the cache key: config.table_name reads it

    class UserItem(Model):
        Meta = _meta("users", region)
        user_id = UnicodeAttribute(hash_key=True)
        email = UnicodeAttribute()
        display_name = UnicodeAttribute()
        roles = JSONAttribute()
        status = UnicodeAttribute()
        created_at = UnicodeAttribute()
        closed_at = UnicodeAttribute(null=True)
        carpark_id = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class SpaceItem(Model):
        Meta = _meta("spaces", region)
        space_id = UnicodeAttribute(hash_key=True)
        owner_id = UnicodeAttribute()
        created_at = UnicodeAttribute()
        title = UnicodeAttribute()
        address = UnicodeAttribute()
        lat = NumberAttribute()
        lng = NumberAttribute()
        geohash = UnicodeAttribute()
        gh5 = UnicodeAttribute(null=True)  # set only while approved: a sparse search index
        review_status = UnicodeAttribute(null=True)  # set only while pending: a sparse review queue
        status = UnicodeAttribute()
        reject_reason = UnicodeAttribute(null=True)
        attributes = JSONAttribute()
        carpark_id = UnicodeAttribute(null=True)
        lot = UnicodeAttribute(null=True)
        currency = UnicodeAttribute()
        timezone = UnicodeAttribute()
        windows = JSONAttribute()
        bookings = JSONAttribute()
        document = JSONAttribute(null=True)
        version = NumberAttribute()
        by_owner = _index("by_owner", "owner_id", "created_at")()
        by_cell = _index("by_cell", "gh5", "geohash")()
        by_review = _index("by_review", "review_status", "created_at")()

    class ReservationItem(Model):
        Meta = _meta("reservations", region)
        reservation_id = UnicodeAttribute(hash_key=True)
        space_id = UnicodeAttribute()
        parker_id = UnicodeAttribute()
        sharer_id = UnicodeAttribute()
        start = UnicodeAttribute()
        end = UnicodeAttribute()
        plate = UnicodeAttribute()
        price_minor = NumberAttribute()
        currency = UnicodeAttribute()
        state = UnicodeAttribute()
        created_at = UnicodeAttribute()
        window_id = UnicodeAttribute()
        carpark_id = UnicodeAttribute(null=True)
        lot = UnicodeAttribute(null=True)
        fee_minor = NumberAttribute(default=0)
        refund_minor = NumberAttribute(default=0)
        cancelled_by = UnicodeAttribute(null=True)
        request_hash = UnicodeAttribute(null=True)
        version = NumberAttribute()
        by_parker = _index("by_parker", "parker_id", "start")()
        by_sharer = _index("by_sharer", "sharer_id", "start")()
        by_space = _index("by_space", "space_id", "start")()

    class IdempotencyItem(Model):
        Meta = _meta("idempotency", region)
        idem_key = UnicodeAttribute(hash_key=True)
        request_hash = UnicodeAttribute()
        state = UnicodeAttribute()  # "in_progress" or "done"
        status_code = NumberAttribute(null=True)
        body = UnicodeAttribute(null=True)
        expires_at = NumberAttribute()

    return Models(UserItem, SpaceItem, ReservationItem, IdempotencyItem, Connection(region=region))


def models() -> Models:
    return _build(config.resource_prefix(), config.region())


"""pynamodb models, bound to table names at call time (no import-time configuration)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .. import config


def _meta(name: str, region: str) -> Any:
    return type("Meta", (), {"table_name": config.table_name(name), "region": region, "max_retry_attempts": 3})


def _index(name: str, hash_key: str, range_key: str | None, *, keys_only: bool = False) -> type[GlobalSecondaryIndex[Any]]:
    projection = KeysOnlyProjection() if keys_only else AllProjection()
    attrs: dict[str, Any] = {
        "Meta": type("Meta", (), {"index_name": name, "projection": projection}),
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
        link_state = UnicodeAttribute(null=True)
        link_decided_at = UnicodeAttribute(null=True)
        link_decided_by = UnicodeAttribute(null=True)
        link_sort = UnicodeAttribute(null=True)  # "<link state>#<created_at>" while the space names a car park
        by_owner = _index("by_owner", "owner_id", "created_at")()
        by_carpark_link = _index("by_carpark_link", "carpark_id", "link_sort")()
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
        sealed = BinaryAttribute(null=True, legacy_encoding=False)  # the plate; absent once erased
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
        entered_at = UnicodeAttribute(null=True)
        exited_at = UnicodeAttribute(null=True)
        bill = JSONAttribute(null=True)
        charge_id = UnicodeAttribute(null=True)
        payment_status = UnicodeAttribute(null=True)
        paid_at = UnicodeAttribute(null=True)
        completed_at = UnicodeAttribute(null=True)
        ledger_entry = UnicodeAttribute(null=True)
        gate_key = UnicodeAttribute(null=True)
        awaiting = UnicodeAttribute(null=True)
        paid_carpark = UnicodeAttribute(null=True)
        version = NumberAttribute()
        by_parker = _index("by_parker", "parker_id", "start", keys_only=True)()
        by_sharer = _index("by_sharer", "sharer_id", "start", keys_only=True)()
        by_space = _index("by_space", "space_id", "start", keys_only=True)()
        by_carpark = _index("by_carpark", "carpark_id", "start", keys_only=True)()
        by_gate_key = _index("by_gate_key", "gate_key", "start", keys_only=True)()
        by_expiry = _index("by_expiry", "awaiting", "end", keys_only=True)()
        by_carpark_paid = _index("by_carpark_paid", "paid_carpark", "paid_at", keys_only=True)()

    class IdempotencyItem(Model):
        Meta = _meta("idempotency", region)
        idem_key = UnicodeAttribute(hash_key=True)
        request_hash = UnicodeAttribute()
        state = UnicodeAttribute()  # "in_progress" or "done"
        status_code = NumberAttribute(null=True)
        body = BinaryAttribute(null=True, legacy_encoding=False)  # the response, sealed to the calling user
        expires_at = NumberAttribute()

    return Models(UserItem, SpaceItem, ReservationItem, IdempotencyItem, Connection(region=region))


def models() -> Models:
    return _build(config.resource_prefix(), config.region())



# ---------------------------------------------------------------- car parks, gate, payments (the order lifecycle)


@dataclass(frozen=True)
class OperationsModels:
    """The car parks' tables (car parks, devices, members, gate events, staff) and the order's money and messages
    (notifications, balances, payments)."""

    # Built at call time like Models: typed loosely, checked by the contract tests.
    carparks: Any
    devices: Any
    memberships: Any
    gate_events: Any
    notifications: Any
    balances: Any
    payments: Any
    staff: Any


def _ranged(table: str, region: str, hash_key: str, range_key: str, indexes: dict[str, tuple[str, str]], **attrs: Any) -> type[Model]:
    """A model with a string hash (and range) key, string attributes as given and sparse GSIs."""
    body: dict[str, Any] = {"Meta": _meta(table, region), hash_key: UnicodeAttribute(hash_key=True)}
    if range_key:
        body[range_key] = UnicodeAttribute(range_key=True)
    body.update(attrs)
    for index, (h, r) in indexes.items():
        body.setdefault(h, UnicodeAttribute(null=True))
        body.setdefault(r, UnicodeAttribute(null=True))
        body[index] = _index(index, h, r)()
    return type(f"{table.title().replace('-', '')}Item", (Model,), body)


def _s(null: bool = True) -> UnicodeAttribute:
    return UnicodeAttribute(null=null)


@functools.lru_cache(maxsize=8)
def _build_operations(prefix: str, region: str) -> OperationsModels:
    del prefix
    carparks = _ranged("carparks", region, "carpark_id", "", {}, owner_id=_s(False), name=_s(False), kind=_s(False),
                       address=_s(False), lots=JSONAttribute(), timezone=_s(False), opening=JSONAttribute(),
                       created_at=_s(False), version=NumberAttribute(),
                       settings=JSONAttribute(null=True))  # tariff and capacities (domain/carpark_settings.py)
    devices = _ranged("devices", region, "device_id", "", {"by_carpark": ("carpark_id", "created_at")}, name=_s(False),
                      sealed_secret=BinaryAttribute(legacy_encoding=False), secret_version=NumberAttribute(), status=_s(False),
                      version=NumberAttribute(), thing_name=_s(), certificate_id=_s())
    memberships = _ranged("memberships", region, "membership_id", "",
                          {"by_carpark": ("carpark_id", "valid_until"), "by_gate_key": ("gate_key", "valid_until")},
                          sealed=BinaryAttribute(null=True, legacy_encoding=False),  # plate and holder
                          plan=_s(False), valid_from=_s(False), created_at=_s(False),
                          # the console's plans (services/members.py): price, who added it, an early end, the plan it renews
                          price_minor=NumberAttribute(null=True), added_by=_s(), ended_at=_s(), ended_by=_s(), renews=_s(),
                          version=NumberAttribute(null=True))
    gate_events = _ranged("gate-events", region, "event_key", "", {"by_carpark": ("carpark_id", "occurred_at"),
                                                                   "by_gate_key": ("gate_key", "occurred_at")},
                          device_id=_s(False), request_hash=_s(False), state=_s(False), direction=_s(),
                          sealed=BinaryAttribute(null=True, legacy_encoding=False))  # plate and response
    notifications = _ranged("notifications", region, "feed_id", "sort_key", {"by_reservation": ("reservation_id", "feed_id")},
                            kind=_s(False), title=_s(False),
                            sealed=BinaryAttribute(null=True, legacy_encoding=False),  # the body
                            reservation_id=_s(), created_at=_s(False))
    balances = _ranged("balances", region, "pk", "", {}, balance_minor=NumberAttribute(null=True), currency=_s(),
                       amount_minor=NumberAttribute(null=True), fee_minor=NumberAttribute(null=True), account_id=_s(),
                       created_at=_s())
    payments = _ranged("payments", region, "pk", "", {"by_queue": ("queue", "created_at")}, kind=_s(False),
                       data=JSONAttribute(), status=_s(), version=NumberAttribute(default=1))
    staff = _ranged("carpark-staff", region, "carpark_id", "user_id", {}, role=_s(False), state=_s(False), invited_by=_s(False),
                    invited_at=_s(False), decided_at=_s(), ended_by=_s(), version=NumberAttribute(),
                    by_user=_index("by_user", "user_id", "carpark_id")())
    return OperationsModels(carparks, devices, memberships, gate_events, notifications, balances, payments, staff)


def operations_models() -> OperationsModels:
    return _build_operations(config.resource_prefix(), config.region())


@functools.lru_cache(maxsize=8)
def _build_device_state(prefix: str, region: str) -> Any:
    del prefix
    return _ranged("device-state", region, "device_id", "sk", {"by_pending": ("pending_device", "pending_key")},
                   at=_s(), firmware=_s(), status=JSONAttribute(null=True), via=_s(),  # the last heartbeat (sk "heartbeat")
                   action=_s(), reason=_s(), issued_by=_s(), issued_at=_s(), expires_at=_s(), state=_s(),  # commands
                   acked_at=_s(), reservation_id=_s())


def device_state_model() -> Any:
    """Gate devices' runtime state: one "heartbeat" item per device and its commands ("cmd#<id>"); a command is in the
    sparse by_pending index (device, expiry) until it is acknowledged."""
    return _build_device_state(config.resource_prefix(), config.region())

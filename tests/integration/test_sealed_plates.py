"""Plates in the repositories on moto: sealed at rest, found by the gate's blind index, erased with the parker's key."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import config
from chalicelib.adapters.carparks import DynamoMembershipRepository
from chalicelib.adapters.enclave import KmsEnclave
from chalicelib.adapters.idempotency import DynamoIdempotencyStore
from chalicelib.adapters.reservations import DynamoReservationRepository
from chalicelib.adapters.sealed_fields import ERASED, PLATE, FieldSealer
from chalicelib.adapters.spaces import DynamoSpaceRepository
from chalicelib.adapters.tables import models, operations_models
from chalicelib.bootstrap import SystemClock, build_enclave
from chalicelib.domain.carparks import Membership
from chalicelib.domain.gate import gate_key
from chalicelib.domain.reservations import RESERVED, Reservation
from chalicelib.services.idempotency import Claimed, KeyedRequest, Reply
from tests.integration.test_repository_contract import a_space

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def enclave(stack: object) -> KmsEnclave:
    return build_enclave(SystemClock())


def stored(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return dict(boto3.client("dynamodb").get_item(TableName=config.table_name(table), Key=key, ConsistentRead=True)["Item"])


def a_booking(enclave: KmsEnclave, plate: str, carpark_id: str) -> tuple[DynamoReservationRepository, Reservation]:
    spaces = DynamoSpaceRepository(models())
    repo = DynamoReservationRepository(models(), spaces, enclave)
    space = replace(a_space(), carpark_id=carpark_id)
    spaces.add(space)
    r = Reservation(uuid.uuid4().hex, space.space_id, uuid.uuid4().hex, space.owner_id, plate, NOW + timedelta(days=1),
                    NOW + timedelta(days=1, hours=2), 400, "EUR", RESERVED, 1, NOW, "w1", carpark_id=carpark_id)
    repo.book(r, space, space.version)
    return repo, r


def test_the_gate_finds_a_misread_plate_by_its_blind_index_and_the_item_holds_neither(enclave: KmsEnclave) -> None:
    carpark = uuid.uuid4().hex
    repo, r = a_booking(enclave, "SB0123", carpark)
    item = stored("reservations", {"reservation_id": {"S": r.reservation_id}})
    assert "plate" not in item and b"SB0123" not in item["sealed"]["B"]
    assert item["gate_key"]["S"] != gate_key(carpark, "SB0123") and carpark not in item["gate_key"]["S"]
    assert [x.reservation_id for x in repo.for_plate(carpark, "58O123")] == [r.reservation_id]  # S/5, B/8, 0/O
    assert repo.get(r.reservation_id) == r
    assert repo.for_plate(uuid.uuid4().hex, "SB0123") == []  # the tag is bound to the car park


def test_sealed_plates_of_any_length_look_alike(enclave: KmsEnclave) -> None:
    sealer, owner = FieldSealer(enclave), uuid.uuid4().hex
    short, long = (sealer.seal(owner, PLATE, "r1", {"plate": p}) for p in ("AB", "ABCDEFGHIJ"))
    assert short is not None and long is not None and len(short) == len(long)


def test_after_the_parker_is_erased_the_plate_reads_as_erased_and_is_dropped_on_the_next_write(enclave: KmsEnclave) -> None:
    carpark = uuid.uuid4().hex
    repo, r = a_booking(enclave, "KL123M", carpark)
    enclave.erase_user(r.parker_id)
    erased = repo.get(r.reservation_id)
    assert erased.plate == ERASED and replace(erased, plate=r.plate) == r
    repo.change(replace(erased, version=2), 1)
    item = stored("reservations", {"reservation_id": {"S": r.reservation_id}})
    assert "sealed" not in item and "gate_key" not in item and repo.get(r.reservation_id).plate == ERASED
    assert repo.for_plate(carpark, "KL123M") == []


def test_memberships_seal_plate_and_holder_to_the_car_park(enclave: KmsEnclave) -> None:
    repo, carpark = DynamoMembershipRepository(operations_models(), enclave), uuid.uuid4().hex
    m = Membership(uuid.uuid4().hex, carpark, "GH12IJ", "Holder Pietersen", "monthly", date(2026, 12, 1), date(2026, 12, 31), NOW)
    repo.add(m)
    item = stored("memberships", {"membership_id": {"S": m.membership_id}})
    assert b"GH12IJ" not in repr(item).encode() + item["sealed"]["B"] and b"Pietersen" not in item["sealed"]["B"]
    assert repo.for_plate(carpark, "6H121J") == [m] and repo.by_carpark(carpark) == [m]


def test_a_stored_response_is_sealed_and_a_different_request_is_still_told_apart(enclave: KmsEnclave) -> None:
    store, key = DynamoIdempotencyStore(models(), enclave), f"{uuid.uuid4().hex}#k1"
    request = KeyedRequest(key, "a" * 64, 2_000_000_000)
    assert store.claim(request) is None
    store.finish(request, Reply(201, '{"plate": "XY99ZZ"}'))
    item = stored("idempotency", {"idem_key": {"S": key}})
    assert b"XY99ZZ" not in item["body"]["B"] and item["request_hash"]["S"] != "a" * 64
    same, other = store.claim(request), store.claim(KeyedRequest(key, "b" * 64, 2_000_000_000))
    assert same == Claimed("a" * 64, Reply(201, '{"plate": "XY99ZZ"}'))
    assert other is not None and other.fingerprint != "b" * 64

"""Contract tests: the in-memory fakes and the DynamoDB adapters behave alike."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.balances import DynamoBalances
from chalicelib.adapters.gate_events import DynamoGateEventLog
from chalicelib.adapters.notifications import DynamoNotificationFeed
from chalicelib.adapters.tables import models, operations_models
from chalicelib.bootstrap import SystemClock, build_enclave
from chalicelib.services.carpark_ports import GateEventRecord
from chalicelib.services.idempotency import Claimed
from chalicelib.services.order_ports import Notification, Payout
from tests.fakes import FakeBalances, FakeGateEvents, FakeNotifications

T = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["fake", "dynamo"])
def kind(request: Any, stack: object) -> str:
    return str(request.param)


def test_feed_is_newest_first_and_idempotent(kind: str) -> None:
    feed = FakeNotifications() if kind == "fake" else DynamoNotificationFeed(operations_models(), build_enclave(SystemClock()))
    who = uuid.uuid4().hex
    for n in range(3):
        feed.add(Notification(who, f"n{n}", "k", "t", "b", T + timedelta(minutes=n)))
    feed.add(Notification(who, "n1", "k", "t", "b", T + timedelta(minutes=1)))
    assert [n.notification_id for n in feed.feed(who, 10)] == ["n2", "n1", "n0"]


def test_payout_credits_once(kind: str) -> None:
    balances = FakeBalances() if kind == "fake" else DynamoBalances(operations_models(), models().connection)
    who = uuid.uuid4().hex
    assert balances.credit(Payout("o1" + who, who, 100, 18, "EUR", T)) is True
    assert balances.credit(Payout("o1" + who, who, 100, 18, "EUR", T)) is False
    assert balances.credit(Payout("o2" + who, who, 50, 9, "EUR", T)) is True
    assert balances.balance(who) == (150, "EUR")


def test_gate_event_is_claimed_once_and_released_only_while_in_progress(kind: str) -> None:
    log = FakeGateEvents() if kind == "fake" else DynamoGateEventLog(operations_models(), build_enclave(SystemClock()))
    cp = uuid.uuid4().hex
    record = GateEventRecord(f"gd#{cp}", "gd", cp, "h1", "in_progress", T, "entry", "AB1")
    assert log.claim(record) is None
    assert log.claim(record) == Claimed("h1")  # claimed, not yet answered
    log.release(record)
    assert log.claim(record) is None
    log.finish(record, {"decision": "open"})
    log.release(record)  # a finished event stays
    assert log.claim(record) == Claimed("h1", {"decision": "open"})
    other = log.claim(replace(record, request_hash="h2"))
    assert other is not None and other.fingerprint != "h2"  # another body under the same event id
    assert [e.plate for e in log.by_carpark(cp, T - timedelta(hours=1), T + timedelta(hours=1))] == ["AB1"]


def test_staff_memberships_are_one_per_car_park_and_person_and_change_only_by_version(kind: str) -> None:
    from dataclasses import replace

    from chalicelib.adapters.staff import DynamoStaffRepository
    from chalicelib.domain.errors import ConcurrentUpdateError
    from chalicelib.domain.staff import founding_membership, invitation
    from tests.fakes import FakeStaff

    repo = FakeStaff() if kind == "fake" else DynamoStaffRepository(operations_models())
    a, b, person = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    repo.add(founding_membership(a, "owner-a", T))
    first = invitation(a, person, "staff", "owner-a", T)
    repo.add(first)
    with pytest.raises(ConcurrentUpdateError):
        repo.add(invitation(a, person, "owner", "owner-a", T))
    repo.add(invitation(b, person, "staff", "owner-b", T))
    accepted = first.accepted(T + timedelta(minutes=1))
    repo.save(accepted, first.version)
    with pytest.raises(ConcurrentUpdateError):
        repo.save(replace(first.declined(T), version=2), first.version)
    assert repo.find(a, person) == accepted and repo.find(a, "nobody") is None
    assert [m.carpark_id for m in repo.by_user(person, 10)] == sorted([a, b])
    assert sorted(m.user_id for m in repo.by_carpark(a, 10)) == sorted(["owner-a", person])


def test_a_plates_movements_are_found_by_its_blind_index_and_erased_keeping_the_movement(kind: str) -> None:
    log = FakeGateEvents() if kind == "fake" else DynamoGateEventLog(operations_models(), build_enclave(SystemClock()))
    cp = uuid.uuid4().hex
    for n, (plate, reply) in enumerate((("AB123C", "r1"), ("A8123C", "r1"), ("ZZ999Z", "r2"))):  # the second a misread
        record = GateEventRecord(f"gd#{cp}#{n}", "gd", cp, "h", "in_progress", T + timedelta(minutes=n), "entry", plate)
        log.claim(record)
        log.finish(record, {"decision": "open", "plate": plate, "reservation_id": reply})
    found = log.by_plate(cp, "AB123C", 10)
    assert sorted(e.plate for e in found) == ["A8123C", "AB123C"] and log.by_plate(uuid.uuid4().hex, "AB123C", 10) == []
    for e in found:
        log.erase(e)
    assert log.by_plate(cp, "AB123C", 10) == []
    moves = log.by_carpark(cp, T - timedelta(hours=1), T + timedelta(hours=1))
    assert sorted((e.plate, (e.response or {}).get("plate"), (e.response or {}).get("reservation_id")) for e in moves) == [
        ("ZZ999Z", "ZZ999Z", "r2"), ("[erased]", "[erased]", "r1"), ("[erased]", "[erased]", "r1")]


def test_notifications_about_a_reservation_are_found_in_every_feed_and_rewritten_in_place(kind: str) -> None:
    feed = FakeNotifications() if kind == "fake" else DynamoNotificationFeed(operations_models(), build_enclave(SystemClock()))
    rid, sharer, carpark = uuid.uuid4().hex, uuid.uuid4().hex, f"carpark:{uuid.uuid4().hex}"
    for who in (sharer, carpark):
        feed.add(Notification(who, f"{rid}:completed", "order_completed", "Order completed", "AB123C: 400 EUR paid", T, rid))
    feed.add(Notification(sharer, "other", "payout", "Payout", "100 credited", T + timedelta(minutes=1), uuid.uuid4().hex))
    about = feed.about(rid, 10)
    assert sorted(n.feed_id for n in about) == sorted([sharer, carpark])
    for n in about:
        feed.rewrite(Notification(n.feed_id, n.notification_id, n.kind, n.title, n.body.replace("AB123C", "[erased]"), n.created_at,
                                  n.reservation_id))
    assert [n.body for n in feed.feed(sharer, 10)] == ["100 credited", "[erased]: 400 EUR paid"]
    assert feed.feed(carpark, 10)[0].body == "[erased]: 400 EUR paid"


def test_a_day_of_movements_is_half_open_so_an_event_at_midnight_is_in_one_day(kind: str) -> None:
    log = FakeGateEvents() if kind == "fake" else DynamoGateEventLog(operations_models(), build_enclave(SystemClock()))
    cp, midnight = uuid.uuid4().hex, datetime(2026, 12, 2, tzinfo=UTC)
    for n, at in enumerate((midnight - timedelta(seconds=1), midnight)):
        record = GateEventRecord(f"gd#{cp}#m{n}", "gd", cp, "h", "in_progress", at, "entry", "AB1")
        log.claim(record)
        log.finish(record, {"decision": "open"})
    first = log.by_carpark(cp, midnight - timedelta(days=1), midnight)
    second = log.by_carpark(cp, midnight, midnight + timedelta(days=1))
    assert [e.occurred_at for e in first] == [midnight - timedelta(seconds=1)] and [e.occurred_at for e in second] == [midnight]

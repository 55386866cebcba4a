"""No double booking under concurrent requests: the invariant is a DynamoDB transaction condition."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from chalicelib.bootstrap import SystemClock, build_enclave, new_id
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import ConflictError
from chalicelib.services import reservations
from chalicelib.services.idempotency import Reply, respond_once
from tests.integration.test_repository_contract import a_space

ATTEMPTS = 24


def test_concurrent_overlapping_reservations_yield_exactly_one(stack: Any) -> None:
    from chalicelib.adapters.reservations import DynamoReservationRepository
    from chalicelib.adapters.spaces import DynamoSpaceRepository
    from chalicelib.adapters.tables import models

    spaces = DynamoSpaceRepository(models())
    repo = DynamoReservationRepository(models(), spaces, build_enclave(SystemClock()))
    space = a_space()
    spaces.add(space)
    base = SystemClock().now().replace(minute=0, second=0) + timedelta(days=1)
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        who = Principal(f"parker-{i}", f"p{i}@example.com", frozenset(), frozenset({"parker"}))
        start = base + timedelta(minutes=15 * (i % 4))  # all overlap each other
        barrier.wait()
        try:
            reservations.reserve(who, space.space_id, f"CAR{i}", start, start + timedelta(hours=2),
                                 spaces=spaces, reservations=repo, clock=SystemClock(), new_id=new_id)
            outcomes.append("booked")
        except ConflictError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("booked") == 1, outcomes
    assert len(outcomes) == ATTEMPTS and set(outcomes) <= {"booked", "slot_taken", "concurrent_update"}
    stored = repo.by_space(space.space_id)
    assert len(stored) == 1 and spaces.get(space.space_id).calendar.bookings[0].reservation_id == stored[0].reservation_id


def test_retried_request_with_same_idempotency_key_books_once_under_concurrency(stack: Any) -> None:
    from chalicelib.adapters.idempotency import DynamoIdempotencyStore
    from chalicelib.adapters.reservations import DynamoReservationRepository
    from chalicelib.adapters.spaces import DynamoSpaceRepository
    from chalicelib.adapters.tables import models

    enclave = build_enclave(SystemClock())
    spaces = DynamoSpaceRepository(models())
    repo, store = DynamoReservationRepository(models(), spaces, enclave), DynamoIdempotencyStore(models(), enclave)
    space = a_space()
    spaces.add(space)
    who = Principal(f"parker-{uuid.uuid4().hex[:8]}", "px@example.com", frozenset(), frozenset({"parker"}))
    start = SystemClock().now().replace(minute=0, second=0) + timedelta(days=2)
    key = uuid.uuid4().hex
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def booking() -> Reply:
        r = reservations.reserve(who, space.space_id, "AB1", start, start + timedelta(hours=1), spaces=spaces, reservations=repo,
                                 clock=SystemClock(), new_id=new_id)
        return Reply(201, r.reservation_id)

    def attempt() -> None:
        barrier.wait()
        try:
            reply, replayed = respond_once(who.user_id, key, "same-request", booking, store=store, now_s=int(time.time()))
            outcomes.append("replayed" if replayed else "booked")
        except ConflictError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("booked") == 1 and set(outcomes) <= {"booked", "replayed", "request_in_progress"}, outcomes
    assert len(repo.by_space(space.space_id)) == 1
    replayed, _ = respond_once(who.user_id, key, "same-request", booking, store=store, now_s=int(time.time()))
    assert replayed.body == repo.by_space(space.space_id)[0].reservation_id

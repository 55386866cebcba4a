"""Reservation use cases on in-memory fakes with a fixed clock: assert the end state."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, RuleViolationError
from chalicelib.services import reservations as svc
from chalicelib.services.idempotency import Claimed, KeyedRequest, Reply, respond_once
from tests.fakes import FakeReservationRepository, FakeSpaceRepository, FixedClock
from tests.integration.test_repository_contract import a_space

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PARKER = Principal("parker-1", "p@example.com", frozenset(), frozenset({"parker"}))
SHARER = Principal("owner-1", "s@example.com", frozenset(), frozenset({"sharer"}))
ids = (f"id{i}" for i in itertools.count())


@pytest.fixture
def world() -> tuple[FakeSpaceRepository, FakeReservationRepository, FixedClock, str]:
    spaces = FakeSpaceRepository()
    space = a_space()
    spaces.add(space)
    return spaces, FakeReservationRepository(spaces), FixedClock(NOW), space.space_id


def book(world: tuple, start_h: float, end_h: float, who: Principal = PARKER) -> svc.Reservation:
    spaces, repo, clock, sid = world
    return svc.reserve(who, sid, "ab 12", NOW + timedelta(hours=start_h), NOW + timedelta(hours=end_h),
                       spaces=spaces, reservations=repo, clock=clock, new_id=lambda: next(ids))


def test_parker_cancelling_after_the_start_owes_the_price(world: tuple) -> None:
    spaces, repo, clock, sid = world
    r = book(world, 1, 3)
    clock.moment = NOW + timedelta(hours=2)
    cancelled = svc.cancel(PARKER, r.reservation_id, spaces=spaces, reservations=repo, clock=clock)
    assert (cancelled.fee_minor, cancelled.refund_minor, cancelled.cancelled_by) == (r.price_minor, 0, "parker")
    assert spaces.get(sid).calendar.bookings == ()


def test_parker_cancelling_before_the_start_is_free(world: tuple) -> None:
    spaces, repo, clock, _ = world
    r = book(world, 1, 3)
    cancelled = svc.cancel(PARKER, r.reservation_id, spaces=spaces, reservations=repo, clock=clock)
    assert (cancelled.fee_minor, cancelled.refund_minor) == (0, r.price_minor)


def test_a_stranger_cannot_see_or_cancel(world: tuple) -> None:
    spaces, repo, clock, _ = world
    r = book(world, 1, 3)
    stranger = Principal("x", "x@example.com", frozenset(), frozenset({"parker"}))
    with pytest.raises(NotFoundError):
        svc.cancel(stranger, r.reservation_id, spaces=spaces, reservations=repo, clock=clock)
    assert repo.get(r.reservation_id).state == "reserved"


def test_only_the_parker_extends_and_only_into_free_time(world: tuple) -> None:
    spaces, repo, clock, _ = world
    r = book(world, 1, 3)
    book(world, 4, 5, who=Principal("p2", "p2@example.com", frozenset(), frozenset({"parker"})))
    with pytest.raises(ForbiddenError):
        svc.extend(SHARER, r.reservation_id, NOW + timedelta(hours=4), spaces=spaces, reservations=repo, clock=clock)
    with pytest.raises(ConflictError):
        svc.extend(PARKER, r.reservation_id, NOW + timedelta(hours=4, minutes=30), spaces=spaces, reservations=repo, clock=clock)
    with pytest.raises(InvalidInputError):
        svc.extend(PARKER, r.reservation_id, NOW + timedelta(hours=2), spaces=spaces, reservations=repo, clock=clock)
    longer = svc.extend(PARKER, r.reservation_id, NOW + timedelta(hours=4), spaces=spaces, reservations=repo, clock=clock)
    assert longer.price_minor == 600 and repo.get(r.reservation_id).end == NOW + timedelta(hours=4)


def test_a_cancelled_reservation_cannot_be_extended(world: tuple) -> None:
    spaces, repo, clock, _ = world
    r = book(world, 1, 3)
    svc.cancel(PARKER, r.reservation_id, spaces=spaces, reservations=repo, clock=clock)
    with pytest.raises(ConflictError):
        svc.extend(PARKER, r.reservation_id, NOW + timedelta(hours=4), spaces=spaces, reservations=repo, clock=clock)


def test_length_limits(world: tuple) -> None:
    with pytest.raises(InvalidInputError):
        book(world, 1, 1.1)
    with pytest.raises(InvalidInputError):
        book(world, 1, 1 + 24 * 31)


def test_sharers_without_the_parker_role_cannot_reserve(world: tuple) -> None:
    with pytest.raises(ForbiddenError):
        book(world, 1, 2, who=Principal("s2", "s2@example.com", frozenset(), frozenset({"sharer"})))


def test_pending_spaces_cannot_be_booked() -> None:
    spaces = FakeSpaceRepository()
    space = a_space(status="pending")
    spaces.add(space)
    with pytest.raises(RuleViolationError):
        svc.reserve(PARKER, space.space_id, "AB1", NOW + timedelta(hours=1), NOW + timedelta(hours=2),
                    spaces=spaces, reservations=FakeReservationRepository(spaces), clock=FixedClock(NOW), new_id=lambda: "x")


class MemoryClaims:
    def __init__(self) -> None:
        self.items: dict[str, Claimed[Reply]] = {}

    def claim(self, request: KeyedRequest) -> Claimed[Reply] | None:
        if request.key in self.items:
            return self.items[request.key]
        self.items[request.key] = Claimed(request.fingerprint)
        return None

    def finish(self, request: KeyedRequest, reply: Reply) -> None:
        self.items[request.key] = Claimed(self.items[request.key].fingerprint, reply)

    def release(self, request: KeyedRequest) -> None:
        del self.items[request.key]


def test_a_retried_booking_with_its_key_books_once_and_the_key_is_not_reused(world: tuple) -> None:
    store, repo = MemoryClaims(), world[1]

    def booking(start_h: float) -> Reply:
        return Reply(201, book(world, start_h, start_h + 1).reservation_id)

    first, replayed = respond_once(PARKER.user_id, "k", "h1", lambda: booking(1), store=store, now_s=0)
    again, replayed_again = respond_once(PARKER.user_id, "k", "h1", lambda: booking(1), store=store, now_s=0)
    assert (again, replayed, replayed_again) == (first, False, True) and len(repo.items) == 1
    with pytest.raises(ConflictError) as err:
        respond_once(PARKER.user_id, "k", "h2", lambda: booking(5), store=store, now_s=0)
    assert err.value.code == "idempotency_key_reused" and len(repo.items) == 1


def test_idempotent_action_runs_once_and_a_refusal_releases_the_key() -> None:
    store, calls = MemoryClaims(), []

    def action() -> Reply:
        calls.append(1)
        return Reply(201, '{"ok":true}')

    assert respond_once("u", "k", "h1", action, store=store, now_s=0) == (Reply(201, '{"ok":true}'), False)
    assert respond_once("u", "k", "h1", action, store=store, now_s=0) == (Reply(201, '{"ok":true}'), True)
    assert len(calls) == 1
    with pytest.raises(ConflictError):
        respond_once("u", "k", "other", action, store=store, now_s=0)

    def refused() -> Reply:
        raise RuleViolationError("no")

    with pytest.raises(RuleViolationError):
        respond_once("u", "k2", "h", refused, store=store, now_s=0)
    assert "u#k2" not in store.items

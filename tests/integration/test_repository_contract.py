"""One set of repository tests, run against the in-memory fakes and the DynamoDB adapters on moto."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.availability import Booking, Calendar, Interval, WindowSpec, make_window
from chalicelib.domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from chalicelib.domain.geo import Point
from chalicelib.domain.reservations import RESERVED, Reservation
from chalicelib.domain.spaces import APPROVED, PENDING, Space, SpaceAttributes
from tests.fakes import FakeReservationRepository, FakeSpaceRepository

NOW = datetime.now(UTC).replace(microsecond=0)


def a_space(status: str = APPROVED, lat: float = 52.37, lng: float = 4.89, owner: str = "owner-1") -> Space:
    window = make_window(WindowSpec("weekly", 200, days=tuple(range(7)), start_time="00:00", end_time="24:00"), "w1", NOW)
    return Space(uuid.uuid4().hex, owner, "Spot", "Dam 1", Point(lat, lng), SpaceAttributes(), status,
                 Calendar("Europe/Amsterdam", (window,)), 1, NOW, "EUR")


def a_reservation(space: Space, start_h: int = 24, hours: int = 2) -> Reservation:
    start = NOW.replace(minute=0, second=0) + timedelta(hours=start_h)
    return Reservation(uuid.uuid4().hex, space.space_id, "parker-1", space.owner_id, "AB123C", start,
                       start + timedelta(hours=hours), 400, "EUR", RESERVED, 1, NOW, "w1")


@pytest.fixture(params=["fake", "dynamodb"])
def repos(request: Any) -> tuple[Any, Any]:
    if request.param == "fake":
        spaces = FakeSpaceRepository()
        return spaces, FakeReservationRepository(spaces)
    request.getfixturevalue("stack")
    from chalicelib.adapters.reservations import DynamoReservationRepository
    from chalicelib.adapters.spaces import DynamoSpaceRepository
    from chalicelib.adapters.tables import models
    from chalicelib.bootstrap import SystemClock, build_enclave

    dspaces = DynamoSpaceRepository(models())
    return dspaces, DynamoReservationRepository(models(), dspaces, build_enclave(SystemClock()))


def test_a_saved_space_reads_back_equal(repos: tuple[Any, Any]) -> None:
    spaces, _ = repos
    space = a_space()
    spaces.add(space)
    assert spaces.get(space.space_id) == space


def test_adding_the_same_space_twice_conflicts(repos: tuple[Any, Any]) -> None:
    spaces, _ = repos
    space = a_space()
    spaces.add(space)
    with pytest.raises(ConflictError):
        spaces.add(space)


def test_a_missing_space_is_not_found(repos: tuple[Any, Any]) -> None:
    with pytest.raises(NotFoundError):
        repos[0].get("nope-" + uuid.uuid4().hex)


def test_a_save_with_a_stale_version_is_refused_and_changes_nothing(repos: tuple[Any, Any]) -> None:
    spaces, _ = repos
    space = a_space()
    spaces.add(space)
    spaces.save(replace(space, title="v2", version=2), 1)
    with pytest.raises(ConcurrentUpdateError):
        spaces.save(replace(space, title="stale", version=2), 1)
    assert spaces.get(space.space_id).title == "v2"


def test_only_approved_spaces_are_found_in_their_cell(repos: tuple[Any, Any]) -> None:
    spaces, _ = repos
    lat, lng = 10.0 + (uuid.uuid4().int % 1000) / 10_000, 20.0
    shown, hidden = a_space(lat=lat, lng=lng), a_space(status=PENDING, lat=lat, lng=lng)
    spaces.add(shown)
    spaces.add(hidden)
    from chalicelib.domain import geo

    found, read = spaces.in_cells([geo.encode(lat, lng, 6)])
    assert [s.space_id for s in found] == [shown.space_id] and read == 1


def test_pending_queue_lists_pending_spaces_only(repos: tuple[Any, Any]) -> None:
    spaces, _ = repos
    pending, approved = a_space(status=PENDING), a_space()
    spaces.add(pending)
    spaces.add(approved)
    ids = [s.space_id for s in spaces.pending(1000)]
    assert pending.space_id in ids and approved.space_id not in ids


def test_booking_writes_reservation_and_calendar_together(repos: tuple[Any, Any]) -> None:
    spaces, reservations = repos
    space = a_space()
    spaces.add(space)
    r = a_reservation(space)
    booked = replace(space, calendar=space.calendar.with_booking(Booking(r.reservation_id, r.interval)), version=2)
    reservations.book(r, booked, 1)
    assert reservations.get(r.reservation_id) == r
    assert spaces.get(space.space_id).calendar.bookings == (Booking(r.reservation_id, Interval(r.start, r.end)),)
    assert [x.reservation_id for x in reservations.by_parker("parker-1") if x.space_id == space.space_id] == [r.reservation_id]
    assert [x.reservation_id for x in reservations.by_space(space.space_id)] == [r.reservation_id]


def test_booking_against_a_stale_calendar_writes_nothing(repos: tuple[Any, Any]) -> None:
    spaces, reservations = repos
    space = a_space()
    spaces.add(space)
    spaces.save(replace(space, version=2), 1)
    r = a_reservation(space)
    with pytest.raises(ConcurrentUpdateError):
        reservations.book(r, replace(space, version=3), 1)
    with pytest.raises(NotFoundError):
        reservations.get(r.reservation_id)
    assert spaces.get(space.space_id).version == 2


def test_booking_the_same_reservation_id_twice_is_a_duplicate(repos: tuple[Any, Any]) -> None:
    spaces, reservations = repos
    space = a_space()
    spaces.add(space)
    r = a_reservation(space)
    reservations.book(r, replace(space, version=2), 1)
    with pytest.raises(ConflictError) as err:
        reservations.book(r, replace(space, version=3), 2)
    assert err.value.code == "duplicate_reservation"
    assert spaces.get(space.space_id).version == 2


def test_change_with_stale_reservation_version_is_refused(repos: tuple[Any, Any]) -> None:
    spaces, reservations = repos
    space = a_space()
    spaces.add(space)
    r = a_reservation(space)
    reservations.book(r, replace(space, version=2), 1)
    reservations.change(replace(r, state="cancelled", version=2), 1, replace(space, version=3), 2)
    with pytest.raises(ConcurrentUpdateError):
        reservations.change(replace(r, state="entered", version=2), 1)
    assert reservations.get(r.reservation_id).state == "cancelled"


def test_a_copy_is_unchanged_only_while_its_version_is_the_stored_one(repos: tuple[Any, Any]) -> None:
    spaces, reservations = repos
    space = a_space()
    spaces.add(space)
    r = a_reservation(space)
    reservations.book(r, replace(space, version=2), 1)
    assert reservations.unchanged(r) == r
    reservations.change(replace(r, state="cancelled", version=2), 1)
    assert reservations.unchanged(r) is None and reservations.unchanged(replace(r, reservation_id=uuid.uuid4().hex)) is None


def test_a_car_parks_link_queue_lists_its_spaces_by_link_state_oldest_first(repos: tuple[Any, Any]) -> None:
    spaces, _ = repos
    carpark = uuid.uuid4().hex
    older = replace(a_space(), carpark_id=carpark, lot="A1", link_state="pending", created_at=NOW - timedelta(hours=1))
    newer = replace(a_space(), carpark_id=carpark, link_state="pending")
    accepted = replace(a_space(), carpark_id=carpark, link_state="accepted", link_decided_at=NOW, link_decided_by="cp-owner")
    elsewhere = replace(a_space(), carpark_id=uuid.uuid4().hex, link_state="pending")
    for s in (newer, older, accepted, elsewhere, a_space()):
        spaces.add(s)
    assert [s.space_id for s in spaces.linked_to(carpark, "pending", 10)] == [older.space_id, newer.space_id]
    assert spaces.linked_to(carpark, "accepted", 10) == [accepted]
    decided = older.link_decided(False, "cp-owner", NOW)
    spaces.save(decided, older.version)
    assert [s.space_id for s in spaces.linked_to(carpark, "pending", 10)] == [newer.space_id]
    assert spaces.linked_to(carpark, "refused", 10) == [decided] and spaces.get(older.space_id).gate_carpark is None

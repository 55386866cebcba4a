"""A space's calendar is one item: it holds a bounded number of windows and bookings, so nobody can make it unwritable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.availability import MAX_BOOKINGS, Booking, Calendar, Interval
from chalicelib.domain.errors import RuleViolationError

T = datetime(2027, 1, 4, 8, tzinfo=UTC)


def test_a_calendar_takes_at_most_max_bookings_and_again_once_one_is_released() -> None:
    slots = [Booking(f"r{n}", Interval(T + timedelta(minutes=15 * n), T + timedelta(minutes=15 * (n + 1)))) for n in range(MAX_BOOKINGS)]
    full = Calendar("Europe/Amsterdam", (), tuple(slots))
    late = Booking("one-more", Interval(T + timedelta(days=30), T + timedelta(days=30, minutes=15)))
    with pytest.raises(RuleViolationError) as refused:
        full.with_booking(late)
    assert refused.value.code == "calendar_full"
    assert full.with_booking(Booking("r3", Interval(T + timedelta(minutes=45), T + timedelta(minutes=60)))).bookings  # a change of one
    assert len(full.without_booking("r0").with_booking(late).bookings) == MAX_BOOKINGS

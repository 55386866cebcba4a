"""Pure domain rules: plates, prices, windows, geo cover, the reservation state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import geo
from chalicelib.domain.availability import Booking, Calendar, Interval, WindowSpec, make_window, parse_clock
from chalicelib.domain.errors import ConflictError, InvalidInputError, InvalidTransitionError, RuleViolationError
from chalicelib.domain.plates import confusion_key, normalise_plate
from chalicelib.domain.pricing import Tariff, price_for_minutes
from chalicelib.domain.reservations import STATES, TRANSITIONS, check_transition
from chalicelib.domain.timeutil import parse_instant

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize("raw,plate", [("ab-123 c", "AB123C"), (" nl.01.xy ", "NL01XY"), ("g_x-1", "GX1")])
def test_plates_are_normalised(raw: str, plate: str) -> None:
    assert normalise_plate(raw) == plate


@pytest.mark.parametrize("raw", ["", "!", "A", "ABCDEFGHIJK", "ÄB12"])
def test_bad_plates_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInputError):
        normalise_plate(raw)


def test_confusable_plates_share_a_key() -> None:
    assert confusion_key("B0S1") == confusion_key("8O5I")


@pytest.mark.parametrize(
    "minutes,rate,cap,price",
    [(60, 200, None, 200), (61, 200, None, 250), (15, 200, None, 50), (1, 199, None, 50), (120, 300, 500, 500),
     (24 * 60, 200, 1500, 1500), (24 * 60 + 30, 200, 1500, 1600), (48 * 60, 100, None, 4800), (0, 200, None, 0)],
)
def test_price_table(minutes: int, rate: int, cap: int | None, price: int) -> None:
    assert price_for_minutes(minutes, Tariff(rate, cap)) == price


@given(st.integers(0, 60 * 24 * 40), st.integers(0, 5000), st.one_of(st.none(), st.integers(0, 50000)))
def test_price_is_never_negative_and_respects_the_daily_cap(minutes: int, rate: int, cap: int | None) -> None:
    price = price_for_minutes(minutes, Tariff(rate, cap))
    assert price >= 0
    days = -(-minutes // (24 * 60))
    if cap is not None:
        assert price <= cap * max(days, 1)
    assert isinstance(price, int)


@given(st.integers(0, 60 * 24 * 5), st.integers(1, 5000))
def test_longer_stays_never_cost_less(minutes: int, rate: int) -> None:
    tariff = Tariff(rate, None)
    assert price_for_minutes(minutes + 1, tariff) >= price_for_minutes(minutes, tariff)


def weekly(days: tuple[int, ...], start: str, end: str, **kw: object) -> object:
    return make_window(WindowSpec("weekly", 100, days=days, start_time=start, end_time=end, **kw), "w", NOW)  # type: ignore[arg-type]


def test_weekly_window_contains_an_office_hour_in_local_time() -> None:
    cal = Calendar("Europe/Amsterdam", (weekly((0, 1, 2, 3, 4), "08:00", "18:00"),))  # type: ignore[arg-type]
    wed_9_local = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert cal.offers(Interval(wed_9_local, wed_9_local + timedelta(hours=2)))
    assert not cal.offers(Interval(wed_9_local, wed_9_local + timedelta(hours=10)))
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert not cal.offers(Interval(saturday, saturday + timedelta(hours=1)))


def test_touching_daily_occurrences_allow_overnight_stays() -> None:
    cal = Calendar("Europe/Amsterdam", (weekly(tuple(range(7)), "00:00", "24:00"),))  # type: ignore[arg-type]
    evening = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert cal.offers(Interval(evening, evening + timedelta(hours=14)))
    office = Calendar("Europe/Amsterdam", (weekly((0, 1, 2, 3, 4), "08:00", "18:00"),))  # type: ignore[arg-type]
    assert not office.offers(Interval(evening, evening + timedelta(hours=14)))


def test_weekly_window_follows_daylight_saving_time() -> None:
    cal = Calendar("Europe/Amsterdam", (weekly((0, 1, 2, 3, 4, 5, 6), "08:00", "09:00"),))  # type: ignore[arg-type]
    summer = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 CEST
    winter = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert cal.offers(Interval(summer, summer + timedelta(hours=1)))
    assert cal.offers(Interval(winter, winter + timedelta(hours=1)))
    assert not cal.offers(Interval(winter - timedelta(hours=1), winter))


def test_validity_dates_bound_a_weekly_window() -> None:
    w = weekly(tuple(range(7)), "00:00", "24:00", valid_until=date(2026, 11, 30))
    cal = Calendar("UTC", (w,))  # type: ignore[arg-type]
    assert cal.offers(Interval(datetime(2026, 11, 30, 1, tzinfo=UTC), datetime(2026, 11, 30, 2, tzinfo=UTC)))
    assert not cal.offers(Interval(datetime(2026, 12, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, 2, tzinfo=UTC)))


@pytest.mark.parametrize("start,end,field", [("08:00", "08:00", "end_time"), ("9:00", "10:00", "start_time"), ("10:00", "24:01", "end_time")])
def test_bad_weekly_times_are_refused(start: str, end: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        weekly((0,), start, end)
    assert err.value.field == field


def test_clock_parsing() -> None:
    assert parse_clock("24:00", field="x") == 1440
    with pytest.raises(InvalidInputError):
        parse_clock("12:60", field="x")


def test_bookings_cannot_overlap_but_may_touch() -> None:
    cal = Calendar("UTC", (weekly(tuple(range(7)), "00:00", "24:00"),))  # type: ignore[arg-type]
    a = Interval(NOW, NOW + timedelta(hours=2))
    cal = cal.with_booking(Booking("a", a))
    cal.with_booking(Booking("b", Interval(a.end, a.end + timedelta(hours=1))))
    with pytest.raises(ConflictError):
        cal.with_booking(Booking("c", Interval(NOW + timedelta(hours=1), NOW + timedelta(hours=3))))


def test_removing_booked_time_from_windows_is_refused() -> None:
    cal = Calendar("UTC", (weekly(tuple(range(7)), "00:00", "24:00"),)).with_booking(  # type: ignore[arg-type]
        Booking("a", Interval(NOW, NOW + timedelta(hours=1))))
    with pytest.raises(RuleViolationError):
        cal.with_windows(())


def test_instants_need_an_offset() -> None:
    with pytest.raises(InvalidInputError):
        parse_instant("2026-12-01T10:00:00", field="start")
    assert parse_instant("2026-12-01T11:00:00+01:00", field="start") == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_state_machine_allows_only_listed_transitions() -> None:
    for current in STATES:
        for new in STATES:
            if new in TRANSITIONS[current]:
                check_transition(current, new)
            else:
                with pytest.raises(InvalidTransitionError):
                    check_transition(current, new)


def test_geohash_known_value_and_cover_contains_the_center() -> None:
    assert geo.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"
    center = geo.Point(52.3731, 4.8926)
    cells = geo.cover(center, 800)
    assert any(geo.encode(center.lat, center.lng).startswith(c) for c in cells)
    assert len(cells) <= geo.MAX_COVER_CELLS


@given(st.floats(-60, 60), st.floats(-170, 170), st.integers(50, 5000), st.floats(0, 1), st.floats(0, 6.28))
def test_cover_contains_every_point_of_the_circle(lat: float, lng: float, radius: int, frac: float, angle: float) -> None:
    import math

    center = geo.Point(lat, lng)
    d = radius * frac * 0.99
    p_lat = lat + math.degrees(d * math.cos(angle) / geo.EARTH_RADIUS_M)
    p_lng = lng + math.degrees(d * math.sin(angle) / (geo.EARTH_RADIUS_M * math.cos(math.radians(lat))))
    point = geo.encode(p_lat, p_lng)
    assert any(point.startswith(c) for c in geo.cover(center, radius))


def test_distance_is_sensible() -> None:
    dam, centraal = geo.Point(52.3731, 4.8926), geo.Point(52.3791, 4.9003)
    assert 750 < geo.distance_m(dam, centraal) < 850

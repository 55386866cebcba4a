"""Windows that offer the same time at two prices are told apart from windows that only touch or never meet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.availability import Calendar, Window, WindowSpec, make_window

NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)  # a Monday
TZ = ZoneInfo("Europe/Amsterdam")


def weekly(start: str, end: str, days: tuple[int, ...] = (0, 1, 2, 3, 4), rate: int = 200, **valid: date) -> Window:
    return make_window(WindowSpec("weekly", rate, days=days, start_time=start, end_time=end, **valid), f"w{start}{end}{days}{valid}", NOW)


def once(start: datetime, end: datetime) -> Window:
    return make_window(WindowSpec("once", 300, start=start, end=end), f"o{start}{end}", NOW)


def test_a_pricier_window_inside_another_overlaps_and_touching_ones_do_not() -> None:
    day = weekly("07:00", "23:00")
    assert day.overlaps(weekly("10:00", "12:00", rate=900), TZ)
    assert not day.overlaps(weekly("23:00", "24:00"), TZ) and not day.overlaps(weekly("00:00", "07:00"), TZ)
    assert not day.overlaps(weekly("10:00", "12:00", days=(5, 6)), TZ)


def test_validity_ranges_decide_whether_weekly_windows_meet() -> None:
    winter = weekly("08:00", "18:00", valid_until=date(2027, 3, 31))
    assert not winter.overlaps(weekly("08:00", "18:00", valid_from=date(2027, 4, 1)), TZ)
    assert winter.overlaps(weekly("17:00", "19:00", valid_from=date(2027, 3, 31)), TZ)  # 31 March 2027 is a Wednesday
    sunday_only = weekly("08:00", "18:00", days=(0, 6), valid_from=date(2027, 3, 28), valid_until=date(2027, 3, 28))
    assert not sunday_only.overlaps(weekly("08:00", "18:00", days=(0,), valid_from=date(2027, 3, 28), valid_until=date(2027, 3, 28)), TZ)


def test_one_off_windows_against_weekly_ones_in_local_time() -> None:
    office = weekly("08:00", "18:00")
    saturday = once(datetime(2026, 11, 28, 9, tzinfo=UTC), datetime(2026, 11, 28, 12, tzinfo=UTC))
    assert not saturday.overlaps(office, TZ) and not office.overlaps(saturday, TZ)
    evening = once(datetime(2026, 11, 24, 16, 59, tzinfo=UTC), datetime(2026, 11, 24, 20, tzinfo=UTC))  # 17:59 local
    assert evening.overlaps(office, TZ)
    assert not once(datetime(2026, 11, 24, 17, tzinfo=UTC), datetime(2026, 11, 24, 20, tzinfo=UTC)).overlaps(office, TZ)
    assert evening.overlaps(once(datetime(2026, 11, 24, 19, tzinfo=UTC), datetime(2026, 11, 24, 21, tzinfo=UTC)), TZ)


def test_the_calendar_names_the_window_that_clashes() -> None:
    day = weekly("07:00", "23:00")
    calendar = Calendar("Europe/Amsterdam", (day, weekly("23:00", "24:00")))
    assert calendar.clash(weekly("10:00", "12:00", rate=900)) == day
    assert calendar.clash(day) is None  # a window does not clash with its own earlier version
    assert "weekly Mon,Tue,Wed,Thu,Fri 07:00-23:00" == day.describe()

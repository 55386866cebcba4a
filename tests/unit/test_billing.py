"""The bill: a table of cases, and properties that hold for any stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.billing import BillingPolicy, bill_stay, cap_limit, no_show_fee, payout_split
from chalicelib.domain.pricing import Tariff, price_for_minutes
from chalicelib.domain.timeutil import minutes_between

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RATE = Tariff(200, None, 15)  # 2.00 an hour, 15-minute increments
CAPPED = Tariff(200, 1500, 15)  # at most 15.00 a day
POLICY = BillingPolicy(grace_min=10, overstay_surcharge_bp=5000)


def total(tariff: Tariff, hours: float, entered_min: int, exited_min: int, policy: BillingPolicy = POLICY) -> int:
    """Reserve T0 for `hours`; enter and exit at minutes relative to T0."""
    end = T0 + timedelta(hours=hours)
    reserved = price_for_minutes(minutes_between(T0, end), tariff)
    return bill_stay(start=T0, end=end, reserved_minor=reserved, tariff=tariff, entered_at=T0 + timedelta(minutes=entered_min),
                     exited_at=T0 + timedelta(minutes=exited_min), policy=policy).total_minor


@pytest.mark.parametrize(
    ("case", "tariff", "hours", "entered", "exited", "expected"),
    [
        ("on time", RATE, 2, 0, 120, 400),
        ("early exit pays the reservation", RATE, 2, 0, 30, 400),
        ("early entry within the gate grace is free", RATE, 2, -10, 120, 400),
        ("late by exactly the grace: no overstay", RATE, 2, 0, 130, 400),
        ("one minute past the grace: the whole overstay, one increment", RATE, 2, 0, 131, 400 + 50 + 25),
        ("overstay 30 min: 100 plus 50 % surcharge", RATE, 2, 0, 150, 550),
        ("overstay 1 h 1 min: five increments", RATE, 2, 0, 181, 400 + 250 + 125),
        ("daily cap: a 10-hour reservation costs the cap", CAPPED, 10, 0, 600, 1500),
        ("daily cap holds through overstay", CAPPED, 10, 0, 15 * 60, 1500),
        ("overstay into the second day: under the two-day cap", CAPPED, 23, 0, 25 * 60, 1500 + 400 + 200),
        ("long overstay: the cap for every started day", CAPPED, 23, 0, 40 * 60, 1500 + 1500),
        ("zero rate", Tariff(0, None, 15), 2, 0, 300, 0),
    ],
)
def test_bill_cases(case: str, tariff: Tariff, hours: float, entered: int, exited: int, expected: int) -> None:
    assert total(tariff, hours, entered, exited) == expected, case


@pytest.mark.parametrize(("cap", "exit_h", "expected"), [(None, 4, 800), (500, 4, 500), (None, 5, 800 + 200 + 100)])
def test_across_midnight_time_runs_on_without_a_reset(cap: int | None, exit_h: int, expected: int) -> None:
    start = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    end = start + timedelta(hours=4)  # 02:00 the next day
    tariff = Tariff(200, cap, 15)
    reserved = price_for_minutes(240, tariff)
    bill = bill_stay(start=start, end=end, reserved_minor=reserved, tariff=tariff, entered_at=start,
                     exited_at=start + timedelta(hours=exit_h), policy=POLICY)
    assert bill.total_minor == expected


def test_overstay_detail_is_itemised() -> None:
    end = T0 + timedelta(hours=2)
    bill = bill_stay(start=T0, end=end, reserved_minor=400, tariff=RATE, entered_at=T0, exited_at=end + timedelta(minutes=30), policy=POLICY)
    assert (bill.reserved_minor, bill.overstay_min, bill.overstay_minor, bill.surcharge_minor, bill.cap_discount_minor) == (400, 30, 100, 50, 0)


def test_early_exit_refund_only_when_the_policy_says_so() -> None:
    generous = BillingPolicy(refund_early_exit=True)
    assert total(RATE, 4, 0, 60, generous) == 200
    assert total(RATE, 4, 0, 60) == 800


def test_no_show_fee_and_payout_split_are_exact() -> None:
    assert no_show_fee(999, BillingPolicy(no_show_fee_bp=5000)) == 500  # half up
    assert payout_split(550, 1500) == (83, 467)
    assert payout_split(0, 1500) == (0, 0)


stays = st.tuples(
    st.integers(min_value=0, max_value=50_000),  # rate per hour
    st.one_of(st.none(), st.integers(min_value=0, max_value=20_000)),  # daily cap
    st.sampled_from([1, 5, 15, 30, 60]),  # increment
    st.integers(min_value=15, max_value=5 * 24 * 60),  # reserved minutes
    st.integers(min_value=-15, max_value=60),  # entry offset from start
    st.integers(min_value=0, max_value=8 * 24 * 60),  # exit offset from start
    st.integers(min_value=0, max_value=60),  # grace
    st.integers(min_value=0, max_value=20_000),  # surcharge bp
    st.booleans(),  # refund early exit
)


@given(stays)
def test_bill_is_never_negative_and_never_beyond_the_cap(stay: tuple[int, int | None, int, int, int, int, int, int, bool]) -> None:
    rate, cap, inc, minutes, entered, exited, grace, surcharge, refund = stay
    tariff = Tariff(rate, cap, inc)
    end = T0 + timedelta(minutes=minutes)
    entry = T0 + timedelta(minutes=entered)
    exit_ = max(entry, T0 + timedelta(minutes=exited))
    reserved = price_for_minutes(minutes, tariff)
    bill = bill_stay(start=T0, end=end, reserved_minor=reserved, tariff=tariff, entered_at=entry, exited_at=exit_,
                     policy=BillingPolicy(grace, surcharge, refund))
    assert bill.total_minor >= 0
    assert all(isinstance(v, int) for v in vars(bill).values())
    limit = cap_limit(minutes_between(min(T0, entry), max(end, exit_)), tariff)
    if limit is not None:
        assert bill.total_minor <= limit
    if not refund:
        assert bill.total_minor >= min(reserved, limit if limit is not None else reserved)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10_000))
def test_payout_split_adds_up(amount: int, bp: int) -> None:
    fee, share = payout_split(amount, bp)
    assert fee + share == amount and 0 <= fee <= amount

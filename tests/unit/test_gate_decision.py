"""Gate decisions: confusable plates are tolerated, a different reserved plate is never let in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import signing
from chalicelib.domain.carparks import CarPark, Membership, OpeningRule, membership_end
from chalicelib.domain.errors import UnauthenticatedError
from chalicelib.domain.gate import decide_entry, decide_exit, resolve_plate
from chalicelib.domain.plates import confusion_key
from chalicelib.domain.reservations import ENTERED, RESERVED, Reservation

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CP = CarPark("cp1", "owner", "Central", "public", "Dam 2", ("A1",), "Europe/Amsterdam", (), NOW)


def res(plate: str, *, start_h: float = -1, end_h: float = 2, state: str = RESERVED, rid: str | None = None) -> Reservation:
    return Reservation(rid or f"r-{plate}", "s1", "p1", "s1", plate, NOW + timedelta(hours=start_h), NOW + timedelta(hours=end_h),
                       400, "EUR", state, 1, NOW - timedelta(days=1), "w1", carpark_id="cp1", lot="A1")


def entry(read: str, reservations: list[Reservation], members: tuple[Membership, ...] | list[Membership] = (), confidence: int = 95, now: datetime = NOW,
          carpark: CarPark = CP) -> tuple[str, str, str | None]:
    d = decide_entry(read, confidence, now, carpark=carpark, reservations=reservations, members=list(members), grace_min=15,
                     min_confidence_pct=80)
    return d.action, d.reason, d.reservation_id or d.membership_id


def test_exact_plate_in_its_window_opens() -> None:
    assert entry("AB123C", [res("AB123C")]) == ("open", "reservation", "r-AB123C")


@pytest.mark.parametrize("misread", ["A8123C", "AB1Z3C", "A8I23C"])
def test_camera_confusions_are_tolerated(misread: str) -> None:
    assert entry(misread, [res("AB123C")])[0] == "open"


def test_a_read_that_is_another_reserved_plate_is_that_plate_not_a_confusion() -> None:
    # A812 is reserved now, AB12 tomorrow: a car reading exactly AB12 is AB12, and too early.
    tomorrow = res("AB12", start_h=24, end_h=26)
    assert entry("AB12", [res("A812"), tomorrow]) == ("deny", "too_early", None)


def test_ambiguous_confusion_is_denied() -> None:
    assert entry("A5I2", [res("A512"), res("AS12")]) == ("deny", "ambiguous_plate", None)


def test_low_confidence_fuzzy_match_is_denied_but_exact_match_is_not() -> None:
    assert entry("A8123C", [res("AB123C")], confidence=50) == ("deny", "low_confidence", None)
    assert entry("AB123C", [res("AB123C")], confidence=50)[0] == "open"


def test_grace_before_start_and_nothing_after_end() -> None:
    r = res("AB123C", start_h=0.25, end_h=2)
    assert entry("AB123C", [r])[0] == "open"  # 15 minutes early: within the grace
    assert entry("AB123C", [r], now=NOW - timedelta(seconds=1)) == ("deny", "too_early", None)
    assert entry("AB123C", [res("AB123C", start_h=-3, end_h=0)]) == ("deny", "reservation_over", None)


def test_member_valid_today_opens_only_while_the_car_park_is_open() -> None:
    m = Membership("m1", "cp1", "MEM1", "Mia", "monthly", date(2026, 11, 20), date(2026, 12, 19), NOW)
    assert entry("MEM1", [], [m]) == ("open", "member", "m1")
    expired = Membership("m2", "cp1", "MEM1", "Mia", "monthly", date(2026, 10, 1), date(2026, 10, 31), NOW)
    assert entry("MEM1", [], [expired]) == ("deny", "unknown_plate", None)
    night_only = CarPark("cp1", "o", "C", "residential", "x", (), "Europe/Amsterdam", (OpeningRule((0, 1, 2, 3, 4, 5, 6), 0, 360),), NOW)
    assert entry("MEM1", [], [m], carpark=night_only) == ("deny", "closed", None)


def test_exit_needs_an_entry_and_says_so() -> None:
    d = decide_exit("AB123C", NOW, carpark=CP, reservations=[res("AB123C")], members=[])
    assert (d.action, d.reason) == ("deny", "no_entry_recorded")
    d = decide_exit("A8123C", NOW, carpark=CP, reservations=[res("AB123C", state=ENTERED)], members=[])
    assert (d.action, d.reason, d.reservation_id) == ("open", "goodbye", "r-AB123C")


def test_membership_plans_end_the_day_before_the_same_date_later() -> None:
    assert membership_end("monthly", date(2026, 1, 31)) == date(2026, 2, 27)
    assert membership_end("quarterly", date(2026, 12, 1)) == date(2027, 2, 28)
    assert membership_end("annual", date(2028, 2, 29)) == date(2029, 2, 27)


plates = st.text(alphabet="AB8O0I1S5XYZ2", min_size=2, max_size=8)


@given(plates, st.lists(plates, min_size=1, max_size=6))
def test_a_read_never_resolves_to_a_plate_it_could_not_be(read: str, known: list[str]) -> None:
    found = resolve_plate(read, set(known))
    if found:
        assert confusion_key(str(found)) == confusion_key(read)
        assert found == read or read not in known
    if read in known:
        assert found == read


def test_signature_known_answer_and_refusals() -> None:
    # HMAC-SHA256(b"secret", b"1700000000.{}"), as docs/gate.md shows it
    assert signing.sign(b"secret", 1700000000, b"{}") == "v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
    now = datetime.fromtimestamp(1700000000, UTC)
    good = signing.sign(b"k", 1700000000, b"body")
    signing.verify(b"k", 1700000000, b"body", good, now=now, max_skew_s=300)
    with pytest.raises(UnauthenticatedError) as bad:
        signing.verify(b"k", 1700000000, b"body!", good, now=now, max_skew_s=300)
    assert bad.value.code == "bad_signature"
    with pytest.raises(UnauthenticatedError) as stale:
        signing.verify(b"k", 1700000000, b"body", good, now=now + timedelta(seconds=301), max_skew_s=300)
    assert stale.value.code == "stale_request"


def test_device_secrets_never_look_like_command_line_options() -> None:
    from chalicelib.services.carparks import new_device_secret

    # A simulator run with `--secret $SECRET` broke whenever a bare base64url secret began with '-'.
    assert all(new_device_secret().startswith("gs_") for _ in range(500))

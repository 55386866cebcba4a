"""Photo evidence rules on real JPEG bytes: viewpoints, sets, digest and EXIF capture time."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.images import inspect
from chalicelib.domain.errors import InvalidInputError, RuleViolationError
from chalicelib.domain.photos import ARRIVAL, DEPARTURE, check_photo, check_set, commitment
from tests.photos import jpeg

NOW = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
AMS = ZoneInfo("Europe/Amsterdam")
FOUR = ["front", "rear", "left", "right"]


def test_three_viewpoints_are_refused() -> None:
    with pytest.raises(RuleViolationError) as err:
        check_set(ARRIVAL, ["front", "rear", "left"], set())
    assert err.value.code == "views_missing" and "right" in err.value.message


def test_four_and_more_viewpoints_are_accepted_once_each() -> None:
    check_set(ARRIVAL, FOUR + ["wheel-front-left"], set())
    with pytest.raises(InvalidInputError):
        check_set(ARRIVAL, FOUR + ["front"], set())


def test_departure_needs_arrival_and_sets_are_taken_once() -> None:
    with pytest.raises(RuleViolationError) as err:
        check_set(DEPARTURE, FOUR, set())
    assert err.value.code == "arrival_missing"
    check_set(DEPARTURE, FOUR, {ARRIVAL})
    with pytest.raises(RuleViolationError):
        check_set(ARRIVAL, FOUR, {ARRIVAL})


def facts(taken: datetime | None, **kw: object) -> tuple[object, str]:
    data = jpeg(taken, **kw)  # type: ignore[arg-type]
    return inspect(data, AMS), hashlib.sha256(data).hexdigest()


def test_a_fresh_photo_inside_the_session_passes_and_its_time_is_read_from_exif() -> None:
    f, digest = facts(NOW - timedelta(minutes=2))
    assert check_photo(f, digest, now=NOW, session_start=NOW - timedelta(hours=1), view="front") == NOW - timedelta(minutes=2)  # type: ignore[arg-type]


@pytest.mark.parametrize("taken,code", [
    (None, "capture_time_missing"),
    (NOW - timedelta(minutes=30), "capture_time_old"),
    (NOW + timedelta(minutes=10), "capture_time_future"),
])
def test_missing_old_and_future_capture_times_are_refused(taken: datetime | None, code: str) -> None:
    f, digest = facts(taken)
    with pytest.raises(RuleViolationError) as err:
        check_photo(f, digest, now=NOW, session_start=NOW - timedelta(hours=1), view="rear")  # type: ignore[arg-type]
    assert err.value.code == code and err.value.field == "photos.rear"


def test_a_photo_from_before_the_car_entered_is_refused() -> None:
    f, digest = facts(NOW - timedelta(minutes=3))
    with pytest.raises(RuleViolationError) as err:
        check_photo(f, digest, now=NOW, session_start=NOW - timedelta(minutes=1), view="left")  # type: ignore[arg-type]
    assert err.value.code == "capture_before_entry"


def test_content_that_differs_from_its_declared_digest_is_refused() -> None:
    f, _ = facts(NOW - timedelta(minutes=1))
    with pytest.raises(RuleViolationError) as err:
        check_photo(f, "0" * 64, now=NOW, session_start=NOW - timedelta(hours=1), view="front")  # type: ignore[arg-type]
    assert err.value.code == "digest_mismatch"


def test_bytes_that_are_not_an_image_are_refused() -> None:
    data = b"%PDF-1.4 not a photo" * 100
    f = inspect(data, AMS)
    with pytest.raises(RuleViolationError) as err:
        check_photo(f, hashlib.sha256(data).hexdigest(), now=NOW, session_start=NOW, view="front")
    assert err.value.code == "not_an_image"


def test_capture_time_without_offset_is_local_time_of_the_space() -> None:
    local = NOW.astimezone(AMS) - timedelta(minutes=1)
    f, _ = facts(local, with_offset=False)
    assert f.captured_at == NOW - timedelta(minutes=1)  # type: ignore[attr-defined]


def test_commitment_hides_the_digest_and_binds_the_salt() -> None:
    digest = hashlib.sha256(b"photo").hexdigest()
    a, b = commitment(b"\x01" * 32, digest), commitment(b"\x02" * 32, digest)
    assert a != b and digest not in (a, b) and len(a) == 64

"""Instants are timezone-aware UTC datetimes; on the wire they are RFC 3339 strings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .errors import InvalidInputError

# The instants and days the API accepts. Far inside datetime's own range (years 1 to 9999), so converting an
# offset or adding a stay, a grace period or a plan's length can never overflow; nothing we book lies outside.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
FIRST_DAY, LAST_DAY = EARLIEST.date(), date(2999, 12, 31)


def parse_instant(value: object, *, field: str) -> datetime:
    """Parse an RFC 3339 timestamp with an explicit offset; return it in UTC, to the second."""
    if not isinstance(value, str):
        raise InvalidInputError("must be an RFC 3339 timestamp string", field=field)
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    if len(text) > 40:
        raise InvalidInputError("is too long for an RFC 3339 timestamp", field=field)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{value!r} is not an RFC 3339 timestamp such as 2026-12-01T09:00:00Z", field=field
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInputError("timestamp needs a timezone offset (for example Z)", field=field)
    try:
        utc = parsed.astimezone(UTC)  # year 1 at +01:00 or year 9999 at -01:00 leaves datetime's range
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise InvalidInputError(f"must lie between {format_instant(EARLIEST)} and {format_instant(LATEST)}", field=field,
                                code="out_of_range")
    return utc.replace(microsecond=0)


def check_day(day: date, *, field: str) -> date:
    """A calendar day inside the range instants may take (see EARLIEST, LATEST)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInputError(f"must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}", field=field,
                                code="out_of_range")
    return day


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes, rounded up: a started minute is a used minute."""
    seconds = int((end - start).total_seconds())
    return -(-seconds // 60)

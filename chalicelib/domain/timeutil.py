"""Instants are timezone-aware UTC datetimes; on the wire they are RFC 3339 strings."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import InvalidInputError


def parse_instant(value: object, *, field: str) -> datetime:
    """Parse an RFC 3339 timestamp with an explicit offset; return it in UTC, to the second."""
    if not isinstance(value, str):
        raise InvalidInputError("must be an RFC 3339 timestamp string", field=field)
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{value!r} is not an RFC 3339 timestamp such as 2026-12-01T09:00:00Z", field=field
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInputError("timestamp needs a timezone offset (for example Z)", field=field)
    return parsed.astimezone(UTC).replace(microsecond=0)


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes, rounded up: a started minute is a used minute."""
    seconds = int((end - start).total_seconds())
    return -(-seconds // 60)

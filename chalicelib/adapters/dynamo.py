"""What every DynamoDB adapter shares: a failed condition turned into a domain error, keyed reads, stored instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from ..domain.errors import NotFoundError
from ..domain.timeutil import format_instant, parse_instant

CONDITION_FAILED = "ConditionalCheckFailed"  # a transaction's cancellation reason


def condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def cancelled_by_condition(exc: Exception) -> bool:
    """Whether a TransactWriteItems was cancelled because one of its conditions failed (pynamodb's TransactWriteError)."""
    return any(getattr(r, "code", None) == CONDITION_FAILED for r in (getattr(exc, "cancellation_reasons", None) or []))


def conditional_save(item: Model, condition: Any, on_conflict: Exception) -> None:
    """Save `item` only if `condition` holds; otherwise raise `on_conflict` (a domain error)."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            raise on_conflict from exc
        raise


def stored_instant(text: str) -> datetime:
    return parse_instant(text, field="stored")


def last_instant_before(until: datetime) -> str:
    """The last stored instant before `until`: ranges are half-open, so an event at midnight is in one day, not two
    (instants are stored to the second)."""
    return format_instant(until - timedelta(seconds=1))


def get_or_not_found(model: type[Model], key: str, what: str, field: str) -> Any:
    if not key or len(key) > 1024:  # DynamoDB refuses such keys with a ValidationException: nothing is stored under them
        raise NotFoundError(f"no such {what}", field=field)
    try:
        return model.get(key, consistent_read=True)
    except DoesNotExist:
        raise NotFoundError(f"no such {what}", field=field) from None

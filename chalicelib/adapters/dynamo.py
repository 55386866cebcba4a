"""The one place that turns a failed DynamoDB condition into a domain error."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.models import Model


def condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def conditional_save(item: Model, condition: Any, on_conflict: Exception) -> None:
    """Save `item` only if `condition` holds; otherwise raise `on_conflict` (a domain error)."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            raise on_conflict from exc
        raise

"""Bounded retries for optimistic concurrency: re-read, re-decide, re-write."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from ..domain.errors import ConcurrentUpdateError

T = TypeVar("T")
MAX_ATTEMPTS = 8


def on_conflict(action: Callable[[], T], *, attempts: int = MAX_ATTEMPTS, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `action` again while someone else keeps winning the race; give up with a 409."""
    for attempt in range(attempts):
        try:
            return action()
        except ConcurrentUpdateError:
            if attempt == attempts - 1:
                raise
            sleep(random.uniform(0, 0.005 * (2**attempt)))
    raise AssertionError("unreachable")

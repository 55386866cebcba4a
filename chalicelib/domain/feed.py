"""The movements feed's poll cursor: a poll returns only what is new since the last one, even when two gate events
are recorded in the same second or one is written a little after a later one (pure).

Each movement is stored under "<arrival time>#<id>". The cursor names the newest arrival time seen and the short ids
of everything seen in the WINDOW_S seconds before it; a poll reads from that time minus the window and drops what
the cursor has seen, so a write that lands late (within the window) is still delivered, once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import InvalidInputError
from .timeutil import format_instant, parse_instant

WINDOW_S = 30
MAX_SEEN = 500  # ids remembered: far more than a car park's gates record in WINDOW_S


def short_id(sort_key: str) -> str:
    return hashlib.sha256(sort_key.encode()).hexdigest()[:10]


def sort_time(sort_key: str) -> str:
    return sort_key.split("#", 1)[0]


@dataclass(frozen=True)
class FeedCursor:
    newest: str  # RFC 3339 arrival time of the newest movement seen
    seen: tuple[tuple[str, str], ...]  # (arrival time, short id) of those seen within the window before it

    def window_start(self) -> str:
        return format_instant(parse_instant(self.newest, field="since") - timedelta(seconds=WINDOW_S))

    def is_seen(self, sort_key: str) -> bool:
        return short_id(sort_key) in {sid for _, sid in self.seen}

    def after(self, sort_keys: list[str]) -> FeedCursor:
        """The cursor once these (new) movements have been delivered."""
        newest = max([self.newest, *(sort_time(k) for k in sort_keys)])
        floor = format_instant(parse_instant(newest, field="since") - timedelta(seconds=WINDOW_S))
        seen = [s for s in self.seen if s[0] >= floor] + [(sort_time(k), short_id(k)) for k in sort_keys if sort_time(k) >= floor]
        return FeedCursor(newest, tuple(sorted(set(seen)))[-MAX_SEEN:])

    def encode(self) -> str:
        raw = json.dumps({"t": self.newest, "s": [f"{t}|{s}" for t, s in self.seen]}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def start_at(moment: datetime) -> FeedCursor:
    return FeedCursor(format_instant(moment), ())


def decode(text: str) -> FeedCursor:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        newest = data["t"]
        parse_instant(newest, field="since")
        seen = tuple(tuple(item.split("|", 1)) for item in data["s"])
        if not isinstance(data["s"], list) or len(seen) > MAX_SEEN or any(len(s) != 2 for s in seen):
            raise ValueError("bad seen list")
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, InvalidInputError):
        raise InvalidInputError("since must be a cursor this route returned", field="since", code="invalid_cursor") from None
    return FeedCursor(newest, seen)  # type: ignore[arg-type]

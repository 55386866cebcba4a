"""Idempotency-Key for every POST: the first request claims the key, retries get its stored answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..domain.errors import ConflictError, DomainError

TTL_S = 24 * 3600


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    state: str  # "in_progress" or "done"
    status_code: int | None = None
    body: str | None = None


class IdempotencyStore(Protocol):
    def claim(self, key: str, request_hash: str, expires_at: int) -> StoredResponse | None: ...
    def finish(self, key: str, status_code: int, body: str) -> None: ...
    def release(self, key: str) -> None: ...


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def run_once(
    user_id: str, key: str, fingerprint: str, action: Callable[[], tuple[int, str]], *, store: IdempotencyStore, now_s: int
) -> tuple[int, str, bool]:
    """(status, body, replayed). A key is scoped to its user; reusing it for another request is a 409."""
    if not 1 <= len(key) <= 255:
        raise ConflictError("Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key", code="invalid_idempotency_key")
    scoped = f"{user_id}#{key}"
    previous = store.claim(scoped, fingerprint, now_s + TTL_S)
    if previous is not None:
        if previous.request_hash != fingerprint:
            raise ConflictError("this Idempotency-Key was already used for a different request", field="Idempotency-Key", code="idempotency_key_reused")
        if previous.state != "done" or previous.status_code is None or previous.body is None:
            raise ConflictError("a request with this Idempotency-Key is still in progress; retry shortly", field="Idempotency-Key", code="request_in_progress")
        return previous.status_code, previous.body, True
    try:
        status, body = action()
    except DomainError:
        store.release(scoped)  # a refused request changed nothing: let the client retry it
        raise
    except Exception:
        store.release(scoped)
        raise
    store.finish(scoped, status, body)
    return status, body, False

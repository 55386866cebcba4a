"""The one idempotency mechanism: the first request claims its key with a conditional write, a retry gets the first
answer back, a key reused for something else (or still being worked on) is refused, and an action that fails gives
its key back. Every authenticated POST uses it with its Idempotency-Key (api/http.py), gate events with the device's
event id (services/gate.py); each store is a table that keeps what its callers need (docs/architecture.md says why
this and not Powertools' idempotency utility).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from ..domain.errors import ConflictError

TTL_S = 24 * 3600  # how long a POST's answer is kept for its retries
R = TypeVar("R")
D = TypeVar("D", contravariant=True)


@dataclass(frozen=True)
class Claimed(Generic[R]):
    """What a claim found under its key: the fingerprint the key was first claimed with, and the result once done."""

    fingerprint: str
    result: R | None = None


class Claims(Protocol[D, R]):
    """A store of claimed keys. `D` is what a claim writes (the key, the request's fingerprint, whatever else the
    store keeps about the request), `R` the result a retry gets back."""

    def claim(self, draft: D) -> Claimed[R] | None:
        """Store the draft if its key is new (None); otherwise what is stored under the key."""
        ...

    def finish(self, draft: D, result: R) -> None: ...
    def release(self, draft: D) -> None:
        """Forget an unfinished claim: its action failed and changed nothing, so it may be tried again."""
        ...


@dataclass(frozen=True)
class Refusals:
    """What a repeated key is told, in the words of the API it came through."""

    field: str
    reused_code: str
    reused: str
    busy_code: str
    busy: str


def run_once(draft: D, fingerprint: str, action: Callable[[], R], *, store: Claims[D, R], refusals: Refusals) -> tuple[R, bool]:
    """(result, replayed): the action runs only for the request that claims the key first."""
    previous = store.claim(draft)
    if previous is not None:
        if previous.fingerprint != fingerprint:
            raise ConflictError(refusals.reused, field=refusals.field, code=refusals.reused_code)
        if previous.result is None:
            raise ConflictError(refusals.busy, field=refusals.field, code=refusals.busy_code)
        return previous.result, True
    try:
        result = action()
    except Exception:
        store.release(draft)  # a refused or failed request changed nothing: let the client retry it
        raise
    store.finish(draft, result)
    return result, False


# ---------------------------------------------------------------- POST requests with an Idempotency-Key


REQUESTS = Refusals("Idempotency-Key", "idempotency_key_reused", "this Idempotency-Key was already used for a different request",
                    "request_in_progress", "a request with this Idempotency-Key is still in progress; retry shortly")


@dataclass(frozen=True)
class KeyedRequest:
    key: str  # "<user>#<Idempotency-Key>": a key is scoped to its user
    fingerprint: str
    expires_at: int  # epoch seconds: the store's TTL attribute


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: str


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def respond_once(user_id: str, key: str, fingerprint: str, action: Callable[[], Reply], *, store: Claims[KeyedRequest, Reply],
                 now_s: int) -> tuple[Reply, bool]:
    """A POST with an Idempotency-Key: (reply, replayed). Reusing a key for another request is a 409."""
    if not 1 <= len(key) <= 255:
        raise ConflictError("Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key", code="invalid_idempotency_key")
    return run_once(KeyedRequest(f"{user_id}#{key}", fingerprint, now_s + TTL_S), fingerprint, action, store=store,
                    refusals=REQUESTS)

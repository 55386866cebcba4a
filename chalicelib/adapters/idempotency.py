"""Idempotency records in DynamoDB, claimed with a condition on the key's absence."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from ..services.idempotency import StoredResponse
from .repositories import _condition_failed
from .tables import Models


class DynamoIdempotencyStore:
    def __init__(self, models: Models) -> None:
        self.model = models.idempotency

    def claim(self, key: str, request_hash: str, expires_at: int) -> StoredResponse | None:
        item = self.model(key, request_hash=request_hash, state="in_progress", expires_at=expires_at)
        try:
            item.save(condition=self.model.idem_key.does_not_exist())
            return None
        except PutError as exc:
            if not _condition_failed(exc):
                raise
        try:
            found = self.model.get(key, consistent_read=True)
        except DoesNotExist:
            return StoredResponse(request_hash, "in_progress")  # released meanwhile: treat as busy
        return StoredResponse(found.request_hash, found.state, found.status_code and int(found.status_code), found.body)

    def finish(self, key: str, status_code: int, body: str) -> None:
        item = self.model.get(key, consistent_read=True)
        item.update(
            actions=[self.model.state.set("done"), self.model.status_code.set(status_code), self.model.body.set(body)],
            condition=self.model.state == "in_progress",
        )

    def release(self, key: str) -> None:
        self.model(key).delete(condition=self.model.state == "in_progress")

"""Idempotency records in DynamoDB, claimed with a condition on the key's absence.

A stored response can name a plate (a reservation's body does), so it is sealed to the calling user, whose
id leads the scoped key ("<user>#<Idempotency-Key>"); the request fingerprint, a hash over a body that
names the plate, is kept only as a blind index. A response of an erased user reads back as ERASED.
"""

from __future__ import annotations

import hashlib

from pynamodb.exceptions import DoesNotExist, PutError

from ..services.idempotency import StoredResponse
from .dynamo import condition_failed
from .sealed_fields import ERASED, FieldSealer, SealingEnclave
from .tables import Models

PURPOSE = "idempotent-response"
FINGERPRINT = "idempotent-request"


def _owner_and_object(key: str) -> tuple[str, str]:
    """The user the record belongs to, and an object id within the enclave's 256-character limit."""
    return key.split("#", 1)[0], hashlib.sha256(key.encode()).hexdigest()


class DynamoIdempotencyStore:
    def __init__(self, models: Models, enclave: SealingEnclave) -> None:
        self.model = models.idempotency
        self.sealer = FieldSealer(enclave)

    def claim(self, key: str, request_hash: str, expires_at: int) -> StoredResponse | None:
        item = self.model(key, request_hash=self.sealer.tag(FINGERPRINT, request_hash), state="in_progress", expires_at=expires_at)
        try:
            item.save(condition=self.model.idem_key.does_not_exist())
            return None
        except PutError as exc:
            if not condition_failed(exc):
                raise
        try:
            found = self.model.get(key, consistent_read=True)
        except DoesNotExist:
            return StoredResponse(request_hash, "in_progress")  # released meanwhile: treat as busy
        fingerprint = self.sealer.fingerprint_as_stored(FINGERPRINT, request_hash, found.request_hash)
        return StoredResponse(fingerprint, found.state, found.status_code and int(found.status_code), self._body(key, found.body))

    def _body(self, key: str, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        owner, object_id = _owner_and_object(key)
        fields = self.sealer.open(owner, PURPOSE, object_id, sealed)
        return str(fields["body"]) if fields is not None else ERASED

    def finish(self, key: str, status_code: int, body: str) -> None:
        owner, object_id = _owner_and_object(key)
        sealed = self.sealer.seal(owner, PURPOSE, object_id, {"body": body})
        actions = [self.model.state.set("done"), self.model.status_code.set(status_code)]
        if sealed is not None:  # None: the user's key was erased by this very request (closing the account)
            actions.append(self.model.body.set(sealed))
        self.model.get(key, consistent_read=True).update(actions=actions, condition=self.model.state == "in_progress")

    def release(self, key: str) -> None:
        self.model(key).delete(condition=self.model.state == "in_progress")

"""Idempotency records in DynamoDB, claimed with a condition on the key's absence.

A stored response can name a plate (a reservation's body does), so it is sealed to the calling user, whose
id leads the scoped key ("<user>#<Idempotency-Key>"); the request fingerprint, a hash over a body that
names the plate, is kept only as a blind index. A response of an erased user reads back as ERASED.
"""

from __future__ import annotations

import hashlib

from pynamodb.exceptions import DoesNotExist, PutError

from ..services.idempotency import Claimed, KeyedRequest, Reply
from .dynamo import condition_failed
from .sealed_fields import ERASED, FieldSealer, SealingEnclave
from .tables import Models

PURPOSE = "idempotent-response"
FINGERPRINT = "idempotent-request"


def _owner_and_object(key: str) -> tuple[str, str]:
    """The user the record belongs to, and an object id within the enclave's 256-character limit."""
    return key.split("#", 1)[0], hashlib.sha256(key.encode()).hexdigest()


class DynamoIdempotencyStore:
    """The Claims store of POST requests (services/idempotency.py)."""

    def __init__(self, models: Models, enclave: SealingEnclave) -> None:
        self.model = models.idempotency
        self.sealer = FieldSealer(enclave)

    def claim(self, request: KeyedRequest) -> Claimed[Reply] | None:
        item = self.model(request.key, request_hash=self.sealer.tag(FINGERPRINT, request.fingerprint), state="in_progress",
                          expires_at=request.expires_at)
        try:
            item.save(condition=self.model.idem_key.does_not_exist())
            return None
        except PutError as exc:
            if not condition_failed(exc):
                raise
        try:
            found = self.model.get(request.key, consistent_read=True)
        except DoesNotExist:
            return Claimed(request.fingerprint)  # released meanwhile: treat as busy
        fingerprint = self.sealer.fingerprint_as_stored(FINGERPRINT, request.fingerprint, found.request_hash)
        body = self._body(request.key, found.body)
        if found.state != "done" or found.status_code is None or body is None:
            return Claimed(fingerprint)  # still being answered
        return Claimed(fingerprint, Reply(int(found.status_code), body))

    def _body(self, key: str, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        owner, object_id = _owner_and_object(key)
        fields = self.sealer.open(owner, PURPOSE, object_id, sealed)
        return str(fields["body"]) if fields is not None else ERASED

    def finish(self, request: KeyedRequest, reply: Reply) -> None:
        owner, object_id = _owner_and_object(request.key)
        sealed = self.sealer.seal(owner, PURPOSE, object_id, {"body": reply.body})
        actions = [self.model.state.set("done"), self.model.status_code.set(reply.status_code)]
        if sealed is not None:  # None: the user's key was erased by this very request (closing the account)
            actions.append(self.model.body.set(sealed))
        self.model.get(request.key, consistent_read=True).update(actions=actions, condition=self.model.state == "in_progress")

    def release(self, request: KeyedRequest) -> None:
        self.model(request.key).delete(condition=self.model.state == "in_progress")

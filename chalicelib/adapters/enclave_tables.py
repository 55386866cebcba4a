"""pynamodb models and repositories of the enclave: wrapped per-user keys, the enclave's own sealed
secrets, node certificates and identity cases. Bound to table names at call time, like tables.py."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from .. import config
from ..domain.errors import ConflictError
from ..domain.timeutil import format_instant, parse_instant
from .tables import _index, _meta

ACTIVE, ERASED = "active", "erased"


@dataclass(frozen=True)
class EnclaveModels:
    user_keys: type[Model]
    secrets: type[Model]
    node_certificates: type[Model]
    identity_cases: type[Model]


@functools.lru_cache(maxsize=8)
def _build(prefix: str, region: str) -> EnclaveModels:
    del prefix  # part of the cache key: config.table_name reads it

    class UserKeyItem(Model):
        Meta = _meta("user-keys", region)
        user_id = UnicodeAttribute(hash_key=True)
        state = UnicodeAttribute()  # "active" or "erased"
        key_ref = UnicodeAttribute(null=True)
        wrapped = BinaryAttribute(null=True, legacy_encoding=False)  # removed on erasure
        created_at = UnicodeAttribute()
        erased_at = UnicodeAttribute(null=True)

    class SecretItem(Model):
        Meta = _meta("enclave-secrets", region)
        name = UnicodeAttribute(hash_key=True)
        sealed = BinaryAttribute(legacy_encoding=False)
        public = UnicodeAttribute()  # PEM of the public half (or the CA certificate)
        created_at = UnicodeAttribute()

    class NodeCertificateItem(Model):
        Meta = _meta("node-certificates", region)
        node_id = UnicodeAttribute(hash_key=True)
        serial = UnicodeAttribute()
        certificate = UnicodeAttribute()
        status = UnicodeAttribute()  # "active" or "revoked"
        issued_at = UnicodeAttribute()
        revoked = JSONAttribute()  # [{"serial": hex, "revoked_at": instant}] of every certificate this node ever lost
        version = NumberAttribute()

    class IdentityCaseItem(Model):
        Meta = _meta("identity-cases", region)
        user_id = UnicodeAttribute(hash_key=True)
        case_id = UnicodeAttribute()
        status = UnicodeAttribute()
        documents = JSONAttribute()
        review_status = UnicodeAttribute(null=True)  # set only while open: a sparse review queue
        opened_at = UnicodeAttribute(null=True)
        decided_at = UnicodeAttribute(null=True)
        decided_by = UnicodeAttribute(null=True)
        reason = UnicodeAttribute(null=True)
        version = NumberAttribute()
        by_review = _index("by_review", "review_status", "opened_at")()

    return EnclaveModels(UserKeyItem, SecretItem, NodeCertificateItem, IdentityCaseItem)


def enclave_models() -> EnclaveModels:
    return _build(config.resource_prefix(), config.region())


def condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def conditional_save(item: Model, condition: Any, on_conflict: Exception) -> None:
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            raise on_conflict from exc
        raise


@dataclass(frozen=True)
class WrappedUserKey:
    user_id: str
    state: str
    key_ref: str | None
    wrapped: bytes | None
    created_at: datetime


class DynamoUserKeyStore:
    """One item per user. Erasure overwrites the item with a tombstone that holds no key material,
    so the key can never be re-created for a closed account either."""

    def __init__(self, models: EnclaveModels) -> None:
        self.model = models.user_keys

    def get(self, user_id: str) -> WrappedUserKey | None:
        try:
            item = self.model.get(user_id, consistent_read=True)
        except DoesNotExist:
            return None
        return WrappedUserKey(item.user_id, item.state, item.key_ref, item.wrapped, parse_instant(item.created_at, field="created_at"))

    def add(self, key: WrappedUserKey) -> None:
        item = self.model(key.user_id, state=ACTIVE, key_ref=key.key_ref, wrapped=key.wrapped, created_at=format_instant(key.created_at))
        conditional_save(item, self.model.user_id.does_not_exist(), ConflictError("this user already has a key", code="user_key_exists"))

    def erase(self, user_id: str, at: datetime) -> None:
        """Replace whatever is stored by a tombstone; idempotent."""
        item = self.model(user_id, state=ERASED, key_ref=None, wrapped=None, created_at=format_instant(at), erased_at=format_instant(at))
        try:
            conditional_save(item, self.model.user_id.does_not_exist() | (self.model.state != ERASED), ConflictError("already erased"))
        except ConflictError:
            return


@dataclass(frozen=True)
class StoredSecret:
    name: str
    sealed: bytes
    public: str


class DynamoSecretStore:
    """The enclave's own private keys, each sealed under the KMS key, written once."""

    def __init__(self, models: EnclaveModels) -> None:
        self.model = models.secrets

    def get(self, name: str) -> StoredSecret | None:
        try:
            item = self.model.get(name, consistent_read=True)
        except DoesNotExist:
            return None
        return StoredSecret(item.name, bytes(item.sealed), item.public)

    def add(self, secret: StoredSecret, at: datetime) -> None:
        item = self.model(secret.name, sealed=secret.sealed, public=secret.public, created_at=format_instant(at))
        conditional_save(item, self.model.name.does_not_exist(), ConflictError("secret already exists", code="secret_exists"))

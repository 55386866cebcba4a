"""pynamodb models and repositories of the enclave: wrapped per-user keys, the enclave's own sealed
secrets, node certificates and identity cases. Bound to table names at call time, like tables.py."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from .. import config
from ..domain.errors import ConcurrentUpdateError, ConflictError
from ..domain.identity import APPROVED, OPEN, DocumentRef, IdentityCase
from ..domain.timeutil import format_instant, parse_instant
from .dynamo import conditional_save
from .tables import _index, _meta

ACTIVE, ERASED = "active", "erased"


@dataclass(frozen=True)
class EnclaveModels:
    """Model classes built at call time (table names come from config), so mypy cannot see their attributes."""

    user_keys: Any
    secrets: Any
    node_certificates: Any
    identity_cases: Any


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
        superseded = JSONAttribute(null=True)  # [PEM] of the node's earlier certificates for this key, renewed, oldest first

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


@dataclass(frozen=True)
class NodeRecord:
    node_id: str
    serial: str  # hex
    certificate: str
    status: str  # "active" or "revoked"
    issued_at: datetime
    revoked: tuple[tuple[str, datetime], ...]  # (serial hex, revoked at) of every certificate this node lost
    version: int
    superseded: tuple[str, ...] = ()  # earlier certificates of the active key, renewed (not revoked), oldest first


class DynamoNodeCertificates:
    """Issued node certificates; a node has at most one active certificate (a condition on its version)."""

    def __init__(self, models: EnclaveModels) -> None:
        self.model = models.node_certificates

    @staticmethod
    def _record(item: Any) -> NodeRecord:
        revoked = tuple((r["serial"], parse_instant(r["revoked_at"], field="revoked_at")) for r in item.revoked)
        return NodeRecord(item.node_id, item.serial, item.certificate, item.status,
                          parse_instant(item.issued_at, field="issued_at"), revoked, int(item.version),
                          tuple(item.superseded or ()))

    def get(self, node_id: str) -> NodeRecord | None:
        try:
            return self._record(self.model.get(node_id, consistent_read=True))
        except DoesNotExist:
            return None

    def put(self, record: NodeRecord, expected_version: int | None) -> None:
        item = self.model(record.node_id, serial=record.serial, certificate=record.certificate, status=record.status,
                          issued_at=format_instant(record.issued_at), version=record.version,
                          revoked=[{"serial": s, "revoked_at": format_instant(at)} for s, at in record.revoked],
                          superseded=list(record.superseded))
        condition = self.model.node_id.does_not_exist() if expected_version is None else self.model.version == expected_version
        conditional_save(item, condition, ConflictError("this node's certificate changed meanwhile", field="node_id",
                                                        code="node_changed"))

    def all(self) -> list[NodeRecord]:
        return [self._record(item) for item in self.model.scan()]


def _doc_to_dict(ref: DocumentRef) -> dict[str, str]:
    return {"key": ref.key, "content_type": ref.content_type, "sealed_sha256": ref.sealed_sha256,
            "uploaded_at": format_instant(ref.uploaded_at)}


def _doc_from_dict(d: dict[str, str]) -> DocumentRef:
    return DocumentRef(d["key"], d["content_type"], d["sealed_sha256"], parse_instant(d["uploaded_at"], field="uploaded_at"))


def _when(text: str | None, name: str) -> datetime | None:
    return parse_instant(text, field=name) if text else None


class DynamoIdentityCases:
    """One current case per user, written on its version; open cases form a sparse review queue."""

    def __init__(self, models: EnclaveModels) -> None:
        self.model = models.identity_cases

    def get(self, user_id: str) -> IdentityCase | None:
        try:
            item = self.model.get(user_id, consistent_read=True)
        except DoesNotExist:
            return None
        return self._case(item)

    @staticmethod
    def _case(item: Any) -> IdentityCase:
        return IdentityCase(item.user_id, item.case_id, item.status, {k: _doc_from_dict(v) for k, v in item.documents.items()},
                            _when(item.opened_at, "opened_at"), _when(item.decided_at, "decided_at"), item.decided_by, item.reason,
                            int(item.version))

    def save(self, case: IdentityCase, expected_version: int | None) -> None:
        item = self.model(case.user_id, case_id=case.case_id, status=case.status,
                          documents={k: _doc_to_dict(v) for k, v in case.documents.items()},
                          review_status=case.status if case.status == OPEN else None,
                          opened_at=format_instant(case.opened_at) if case.opened_at else None,
                          decided_at=format_instant(case.decided_at) if case.decided_at else None,
                          decided_by=case.decided_by, reason=case.reason, version=case.version)
        condition = self.model.user_id.does_not_exist() if expected_version is None else self.model.version == expected_version
        conditional_save(item, condition, ConcurrentUpdateError("the identity case changed meanwhile", field="case"))

    def open_cases(self, limit: int) -> list[IdentityCase]:
        return [self._case(item) for item in self.model.by_review.query(OPEN, limit=limit)]

    def is_verified(self, user_id: str) -> bool:
        case = self.get(user_id)
        return case is not None and case.status == APPROVED

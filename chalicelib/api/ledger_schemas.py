"""Wire formats of the ledger routes. Entries, headers and certificates are the canonical objects of
docs/ledger-format.md, passed through as JSON objects."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .schemas.common import Strict


class CertificateOut(BaseModel):
    header_hash: str
    signatures: list[dict[str, str]]


class BlockOut(BaseModel):
    header: dict[str, Any] = Field(description="carparker.block/v1 header (docs/ledger-format.md section 7)")
    header_hash: str
    certificate: CertificateOut


class DigestOut(BlockOut):
    ledger_id: str
    log: str
    tree_size: int
    root: str
    height: int


class EntryOut(BaseModel):
    entry: dict[str, Any] = Field(description="carparker.entry/v1; sealed fields are ciphertext")
    leaf_hash: str
    status: str = Field(description="committed (in a certified block) or queued")
    inclusion_proof: list[str] | None
    tree_size: int | None
    root: str | None
    block_height: int | None = None


class ConsistencyQuery(Strict):
    from_: int = Field(alias="from", ge=1, le=2**53 - 1)
    to: int = Field(ge=1, le=2**53 - 1)


class ConsistencyOut(BaseModel):
    log: str
    from_: int = Field(alias="from")
    to: int
    from_root: str
    to_root: str
    proof: list[str]


class HistoryItem(BaseModel):
    entry: dict[str, Any]
    status: str


class HistoryOut(BaseModel):
    entries: list[HistoryItem]


class HistoryQuery(Strict):
    user_id: str | None = Field(default=None, min_length=1, max_length=128, description="admins only: another user")


class UnsealedOut(BaseModel):
    log: str
    seq: int
    fields: dict[str, str]
    retrieve_entry: str


class ExportOut(BaseModel):
    key: str
    blocks: int
    entries: int


class PublishedValidator(BaseModel):
    id: str
    public_key: str
    certificate: str | None = None
    earlier_certificates: list[str] | None = None  # renewed certificates of the same key, valid at a bundled block's time


class ValidatorSetOut(BaseModel):
    f: int
    validators: list[PublishedValidator]
    ca_certificate: str | None = None


class LogStatus(BaseModel):
    log: str
    height: int
    tree_size: int
    queued: int
    pending_proposal: int | None
    last_failure: dict[str, Any] | None
    validators_hash: str | None  # of the set that certified the last block


class StatusOut(BaseModel):
    ledger_id: str
    validators: int
    f: int
    quorum: int
    validators_hash: str  # of the configured set; a log whose last block names another awaits its handover
    block_size: int
    block_timeout_s: float
    logs: list[LogStatus]


class CutBlock(BaseModel):
    log: str
    height: int
    entry_count: int
    signers: list[str]


class CutOut(StatusOut):
    blocks: list[CutBlock]


class BundleOut(BaseModel):
    format: str
    ledger_id: str
    validator_set: ValidatorSetOut
    items: list[dict[str, Any]]
